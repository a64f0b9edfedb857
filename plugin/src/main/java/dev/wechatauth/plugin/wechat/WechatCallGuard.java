package dev.wechatauth.plugin.wechat;

import java.time.Duration;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

import dev.wechatauth.plugin.error.GatewayError;
import dev.wechatauth.plugin.error.GatewayErrorException;
import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.bulkhead.BulkheadConfig;
import io.github.resilience4j.bulkhead.BulkheadFullException;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
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
 */
public class WechatCallGuard {

    /** The outcomes that say WeChat, not the user, is at fault. */
    private static final Set<GatewayError> WECHAT_FAULTS = EnumSet.of(
            GatewayError.WECHAT_UNAVAILABLE, GatewayError.WECHAT_TIMEOUT, GatewayError.WECHAT_ERROR);

    private final CircuitBreakerRegistry breakers;
    private final Map<WechatApi, BulkheadConfig> bulkheadConfigs = new EnumMap<>(WechatApi.class);
    private final Map<String, Bulkhead> bulkheads = new ConcurrentHashMap<>();

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
        String name = name(api, appid);
        CircuitBreaker breaker = breakers.circuitBreaker(name);
        Bulkhead bulkhead = bulkheads.computeIfAbsent(name, key -> Bulkhead.of(key, bulkheadConfigs.get(api)));
        return Mono.defer(call)
                .transformDeferred(BulkheadOperator.of(bulkhead))
                .transformDeferred(CircuitBreakerOperator.of(breaker))
                .onErrorMap(failure -> failure instanceof CallNotPermittedException
                                || failure instanceof BulkheadFullException,
                        refused -> new GatewayErrorException(GatewayError.WECHAT_UNAVAILABLE));
    }

    /** The state of the breaker of {@code api} for {@code appid}, for tests and diagnostics. */
    public CircuitBreaker.State state(WechatApi api, String appid) {
        return breakers.circuitBreaker(name(api, appid)).getState();
    }

    private static String name(WechatApi api, String appid) {
        return api.label() + ":" + appid;
    }

    private static boolean isWechatFault(Throwable failure) {
        return failure instanceof GatewayErrorException expected && WECHAT_FAULTS.contains(expected.error());
    }
}
