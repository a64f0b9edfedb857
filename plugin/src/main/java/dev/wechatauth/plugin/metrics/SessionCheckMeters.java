package dev.wechatauth.plugin.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import reactor.core.publisher.Mono;

/**
 * {@code wechat_auth_session_checks_total{outcome}}: the bearer tokens checked on {@code required}, {@code optional},
 * {@code phone} and {@code decrypt} routes, by outcome: {@code valid}, {@code missing_token} (none where one is
 * needed), {@code invalid_token} (malformed, unknown, expired or revoked), {@code session_store_unavailable}. The four
 * counters are made once; counting is one increment.
 */
public final class SessionCheckMeters {

    private final Counter valid;
    private final Counter missingToken;
    private final Counter invalidToken;
    private final Counter storeUnavailable;

    public SessionCheckMeters(MeterRegistry registry) {
        this.valid = counter(registry, "valid");
        this.missingToken = counter(registry, "missing_token");
        this.invalidToken = counter(registry, "invalid_token");
        this.storeUnavailable = counter(registry, "session_store_unavailable");
    }

    /** Meters that go nowhere, for a gateway without a meter registry. */
    public static SessionCheckMeters unmeasured() {
        return new SessionCheckMeters(new CompositeMeterRegistry());
    }

    private static Counter counter(MeterRegistry registry, String outcome) {
        return Counter.builder("wechat.auth.session.checks")
                .description("Bearer tokens checked, by outcome")
                .tag("outcome", outcome)
                .register(registry);
    }

    /** A route that needs a token got none. */
    public void missingToken() {
        missingToken.increment();
    }

    /** A token that is malformed. */
    public void malformedToken() {
        invalidToken.increment();
    }

    /** {@code lookup} of a well-formed token, counted by what it finds: a session, none, or a store that failed. */
    public <T> Mono<T> counted(Mono<T> lookup) {
        return lookup.doOnSuccess(session -> (session != null ? valid : invalidToken).increment())
                .doOnError(failure -> storeUnavailable.increment());
    }
}
