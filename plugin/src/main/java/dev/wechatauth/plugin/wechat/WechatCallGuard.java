package dev.wechatauth.plugin.wechat;

import java.time.Duration;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import dev.wechatauth.plugin.error.GatewayError;
import dev.wechatauth.plugin.error.GatewayErrorException;
import dev.wechatauth.plugin.metrics.Outcomes;
import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.bulkhead.BulkheadConfig;
import io.github.resilience4j.bulkhead.BulkheadFullException;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.micrometer.tagged.TaggedCircuitBreakerMetrics;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.github.resilience4j.reactor.bulkhead.operator.BulkheadOperator;
import io.github.resilience4j.reactor.circuitbreaker.operator.CircuitBreakerOperator;
import reactor.core.publisher.Mono;

/**
 * Keeps a failing or slow WeChat from taking the gateway down, per {@link WechatApi API} and mini-program: a circuit
 * breaker (Resilience4j) that, once that API keeps failing, answers 503 {@code wechat_unavailable} at once instead of
 * queueing requests, and a bound on that API's calls in flight, past which requests are refused with the same answer.
 * Each API of each mini-program has its own breaker and bound (named {@code api:appid}), so a failing phone-number
 * API never stops logins. Only WeChat's own faults count as failures (-1, HTTP 5xx, unreachable, timeouts, unusable
 * answers), never an errcode about the code or the user. Nothing is retried here: a code that reached WeChat is used.
 * <p>
 * Bound to a meter registry ({@link MeterBinder}), it times every call that reached WeChat,
 * {@code wechat_auth_wechat_calls_seconds{api,appid,outcome}} (a histogram; {@code outcome} is {@code success}, the
 * error code answered, or {@code cancelled}), and shows per API and mini-program
 * {@code wechat_auth_circuit_breaker_open} (1 while the breaker refuses calls, else 0),
 * {@code wechat_auth_wechat_calls_in_flight}, and Resilience4j's own {@code resilience4j_circuitbreaker_*} series.
 */
public class WechatCallGuard implements MeterBinder {

    /** The outcomes that say WeChat, not the user, is at fault. */
    private static final Set<GatewayError> WECHAT_FAULTS = EnumSet.of(
            GatewayError.WECHAT_UNAVAILABLE, GatewayError.WECHAT_TIMEOUT, GatewayError.WECHAT_ERROR);

    /** The histogram's buckets: WeChat answers in tens to hundreds of milliseconds; the timeout is 5 s by default. */
    private static final Duration[] LATENCY_BUCKETS = {Duration.ofMillis(25), Duration.ofMillis(50),
            Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1),
            Duration.ofMillis(2500), Duration.ofSeconds(5), Duration.ofSeconds(10)};

    private final CircuitBreakerRegistry breakers;
    private final Map<WechatApi, BulkheadConfig> bulkheadConfigs = new EnumMap<>(WechatApi.class);
    private final Map<String, Guarded> guarded = new ConcurrentHashMap<>();
    /** Where calls are timed; null until {@link #bindTo}: then nothing is measured. */
    private volatile MeterRegistry registry;

    /** The breaker and the bound of one API of one mini-program, and the timers of its calls by outcome. */
    private record Guarded(WechatApi api, String appid, CircuitBreaker breaker, Bulkhead bulkhead,
            Map<String, Timer> timers) {
    }

    /** The same in-flight bound for every API: see {@link #WechatCallGuard(float, int, int, Duration, int, Map)}. */
    public WechatCallGuard(float failureRate, int window, int minimumCalls, Duration openFor, int trialCalls,
            int maxInFlight) {
        this(failureRate, window, minimumCalls, openFor, trialCalls, everyApi(maxInFlight));
    }

    /**
     * @param failureRate the percentage of failed calls that opens a breaker
     * @param window how many recent calls the rate is taken over
     * @param minimumCalls how many calls must have been seen before the rate counts
     * @param openFor how long a breaker stays open before trial calls
     * @param trialCalls how many trial calls decide whether it closes again
     * @param maxInFlight the most calls in flight per mini-program, for each API (every API must have one)
     */
    public WechatCallGuard(float failureRate, int window, int minimumCalls, Duration openFor, int trialCalls,
            Map<WechatApi, Integer> maxInFlight) {
        this.breakers = CircuitBreakerRegistry.of(CircuitBreakerConfig.custom()
                .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                .slidingWindowSize(window)
                .minimumNumberOfCalls(minimumCalls)
                .failureRateThreshold(failureRate)
                .waitDurationInOpenState(openFor)
                .permittedNumberOfCallsInHalfOpenState(trialCalls)
                .automaticTransitionFromOpenToHalfOpenEnabled(false)
                .recordException(WechatCallGuard::isWechatFault)
                .ignoreException(failure -> failure instanceof BulkheadFullException)
                .build());
        for (WechatApi api : WechatApi.values()) {
            Integer bound = maxInFlight.get(api);
            if (bound == null) {
                throw new IllegalArgumentException("no in-flight bound for the " + api.label() + " API");
            }
            bulkheadConfigs.put(api, BulkheadConfig.custom()
                    .maxConcurrentCalls(bound)
                    .maxWaitDuration(Duration.ZERO)
                    .build());
        }
    }

    private static Map<WechatApi, Integer> everyApi(int maxInFlight) {
        Map<WechatApi, Integer> bounds = new EnumMap<>(WechatApi.class);
        for (WechatApi api : WechatApi.values()) {
            bounds.put(api, maxInFlight);
        }
        return bounds;
    }

    /** Runs {@code call}, a call of {@code api} for mini-program {@code appid}, under that pair's breaker and bound. */
    public <T> Mono<T> guard(WechatApi api, String appid, Supplier<Mono<T>> call) {
        Guarded pair = guarded(api, appid);
        MeterRegistry meters = registry;
        return (meters == null ? Mono.defer(call) : timed(pair, meters, call))
                .transformDeferred(BulkheadOperator.of(pair.bulkhead()))
                .transformDeferred(CircuitBreakerOperator.of(pair.breaker()))
                .onErrorMap(failure -> failure instanceof CallNotPermittedException
                                || failure instanceof BulkheadFullException,
                        refused -> new GatewayErrorException(GatewayError.WECHAT_UNAVAILABLE));
    }

    /** The state of the breaker of {@code api} for {@code appid}, for tests and diagnostics. */
    public CircuitBreaker.State state(WechatApi api, String appid) {
        return guarded(api, appid).breaker().getState();
    }

    /** Makes the breakers and bounds of every API of {@code appid} now, so that their series show from the start. */
    public void expect(String appid) {
        for (WechatApi api : WechatApi.values()) {
            guarded(api, appid);
        }
    }

    @Override
    public void bindTo(MeterRegistry meters) {
        TaggedCircuitBreakerMetrics.ofCircuitBreakerRegistry(breakers).bindTo(meters);
        registry = meters;
        guarded.values().forEach(pair -> gauges(pair, meters));
    }

    private Guarded guarded(WechatApi api, String appid) {
        String name = name(api, appid);
        Guarded pair = guarded.get(name);
        if (pair != null) {
            return pair;
        }
        return guarded.computeIfAbsent(name, key -> {
            Guarded made = new Guarded(api, appid, breakers.circuitBreaker(key),
                    Bulkhead.of(key, bulkheadConfigs.get(api)), new ConcurrentHashMap<>());
            MeterRegistry meters = registry;
            if (meters != null) {
                gauges(made, meters);
            }
            return made;
        });
    }

    private static void gauges(Guarded pair, MeterRegistry meters) {
        Gauge.builder("wechat.auth.circuit.breaker.open", pair.breaker(), WechatCallGuard::openAsNumber)
                .description("1 while the circuit breaker of this WeChat API and mini-program refuses calls, else 0")
                .tags("api", pair.api().label(), "appid", pair.appid())
                .register(meters);
        Gauge.builder("wechat.auth.wechat.calls.in.flight", pair.bulkhead(), WechatCallGuard::inFlight)
                .description("Calls of this WeChat API for this mini-program in flight now")
                .tags("api", pair.api().label(), "appid", pair.appid())
                .register(meters);
        timer(pair, meters, Outcomes.SUCCESS);
    }

    private static double openAsNumber(CircuitBreaker breaker) {
        CircuitBreaker.State state = breaker.getState();
        return state == CircuitBreaker.State.OPEN || state == CircuitBreaker.State.FORCED_OPEN ? 1 : 0;
    }

    private static double inFlight(Bulkhead bulkhead) {
        return bulkhead.getBulkheadConfig().getMaxConcurrentCalls() - bulkhead.getMetrics().getAvailableConcurrentCalls();
    }

    /** {@code call}, timed from its subscription to its end: only calls that got past the breaker and the bound. */
    private static <T> Mono<T> timed(Guarded pair, MeterRegistry meters, Supplier<Mono<T>> call) {
        return Mono.defer(() -> {
            long start = System.nanoTime();
            return call.get()
                    .doOnSuccess(answer -> record(pair, meters, Outcomes.SUCCESS, start))
                    .doOnError(failure -> record(pair, meters, Outcomes.of(failure), start))
                    .doOnCancel(() -> record(pair, meters, "cancelled", start));
        });
    }

    private static void record(Guarded pair, MeterRegistry meters, String outcome, long start) {
        timer(pair, meters, outcome).record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
    }

    private static Timer timer(Guarded pair, MeterRegistry meters, String outcome) {
        return pair.timers().computeIfAbsent(outcome, code -> Timer.builder("wechat.auth.wechat.calls")
                .description("Calls to WeChat's APIs, by API, mini-program and outcome")
                .tags("api", pair.api().label(), "appid", pair.appid(), "outcome", code)
                .serviceLevelObjectives(LATENCY_BUCKETS)
                .register(meters));
    }

    private static String name(WechatApi api, String appid) {
        return api.label() + ":" + appid;
    }

    private static boolean isWechatFault(Throwable failure) {
        return failure instanceof GatewayErrorException expected && WECHAT_FAULTS.contains(expected.error());
    }
}
