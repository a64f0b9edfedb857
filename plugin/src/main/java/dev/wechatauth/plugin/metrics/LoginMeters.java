package dev.wechatauth.plugin.metrics;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import reactor.core.publisher.Mono;

/**
 * {@code wechat_auth_logins_total{appid,outcome}}: every login attempt, by mini-program and outcome ({@code success},
 * {@code duplicate} for a copy that got the first copy's session, or the error code answered); attempts refused
 * before their mini-program was known (the login limit, an unreadable body, an unknown appid) have
 * {@code appid="none"}. {@code wechat_auth_logins_in_flight}: logins being answered now. Every counter of a configured
 * mini-program is registered at start (zero until used), so that a rate over them exists from the first scrape.
 */
public final class LoginMeters {

    /** The {@code appid} label of attempts refused before a mini-program was chosen. */
    public static final String NO_APP = "none";
    public static final String DUPLICATE = "duplicate";

    private static final List<String> OUTCOMES = List.of(Outcomes.SUCCESS, DUPLICATE, "invalid_request",
            "unknown_app", "invalid_code", "rate_limited", "user_blocked", "wechat_unavailable", "wechat_timeout",
            "wechat_error", "session_store_unavailable", "internal_error");

    private final MeterRegistry registry;
    private final Map<String, Map<String, Counter>> counters = new ConcurrentHashMap<>();
    private final AtomicInteger inFlight = new AtomicInteger();

    /** @param appids the configured mini-programs; only these (and {@link #NO_APP}) ever label a login */
    public LoginMeters(MeterRegistry registry, Collection<String> appids) {
        this.registry = registry;
        for (String appid : appids) {
            OUTCOMES.forEach(outcome -> counter(appid, outcome));
        }
        OUTCOMES.forEach(outcome -> counter(NO_APP, outcome));
        Gauge.builder("wechat.auth.logins.in.flight", inFlight, AtomicInteger::get)
                .description("Logins being answered now")
                .strongReference(true)
                .register(registry);
    }

    /** Meters that go nowhere, for a gateway without a meter registry. */
    public static LoginMeters unmeasured() {
        return new LoginMeters(new CompositeMeterRegistry(), List.of());
    }

    /** A login of {@code appid} that ended with a session: its own ({@code success}) or its first copy's. */
    public void succeeded(String appid, boolean duplicate) {
        counter(appid, duplicate ? DUPLICATE : Outcomes.SUCCESS).increment();
    }

    /** A login of {@code appid} that failed with {@code failure}. */
    public void failed(String appid, Throwable failure) {
        counter(appid, Outcomes.of(failure)).increment();
    }

    /** An attempt refused before its mini-program was known. */
    public void refused(Throwable failure) {
        failed(NO_APP, failure);
    }

    /** {@code login}, counted in {@code wechat_auth_logins_in_flight} from subscription to its end. */
    public <T> Mono<T> inFlight(Mono<T> login) {
        return Mono.defer(() -> {
            inFlight.incrementAndGet();
            return login.doFinally(signal -> inFlight.decrementAndGet());
        });
    }

    private Counter counter(String appid, String outcome) {
        return counters.computeIfAbsent(appid, app -> new ConcurrentHashMap<>())
                .computeIfAbsent(outcome, code -> Counter.builder("wechat.auth.logins")
                        .description("Login attempts by mini-program and outcome")
                        .tag("appid", appid)
                        .tag("outcome", code)
                        .register(registry));
    }
}
