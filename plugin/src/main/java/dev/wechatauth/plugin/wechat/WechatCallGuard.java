package dev.wechatauth.plugin.wechat;

import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;
import java.util.function.Supplier;

import dev.wechatauth.plugin.error.GatewayError;
import dev.wechatauth.plugin.error.GatewayErrorException;
import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.bulkhead.BulkheadConfig;
import io.github.resilience4j.bulkhead.BulkheadFullException;
import io.github.resilience4j.bulkhead.BulkheadRegistry;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.reactor.bulkhead.operator.BulkheadOperator;
import io.github.resilience4j.reactor.circuitbreaker.operator.CircuitBreakerOperator;
import reactor.core.publisher.Mono;

/**
 * Keeps a failing or slow WeChat from taking the gateway down, per mini-program: a circuit breaker (Resilience4j)
 * that, once WeChat keeps failing, answers 503 {@code wechat_unavailable} at once instead of queueing logins, and a
 * bound on code2Session calls in flight, past which logins are refused with the same answer. Only WeChat's own
 * faults count as failures (-1, HTTP 5xx, unreachable, timeouts, unusable answers), never an errcode about the code
 * or the user. Nothing is retried: a code that reached WeChat is used.
 */
public class WechatCallGuard {

    /** The outcomes that say WeChat, not the user, is at fault. */
    private static final Set<GatewayError> WECHAT_FAULTS = EnumSet.of(
            GatewayError.WECHAT_UNAVAILABLE, GatewayError.WECHAT_TIMEOUT, GatewayError.WECHAT_ERROR);

    private final CircuitBreakerRegistry breakers;
    private final BulkheadRegistry bulkheads;

    /**
     * @param failureRate the percentage of failed calls that opens the breaker
     * @param window how many recent calls the rate is taken over
     * @param minimumCalls how many calls must have been seen before the rate counts
     * @param openFor how long the breaker stays open before trial calls
     * @param trialCalls how many trial calls decide whether it closes again
     * @param maxInFlight the most code2Session calls in flight per mini-program
     */
    public WechatCallGuard(float failureRate, int window, int minimumCalls, Duration openFor, int trialCalls,
            int maxInFlight) {
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
        this.bulkheads = BulkheadRegistry.of(BulkheadConfig.custom()
                .maxConcurrentCalls(maxInFlight)
                .maxWaitDuration(Duration.ZERO)
                .build());
    }

    /** Runs {@code call} for mini-program {@code appid} under its breaker and in-flight bound. */
    public <T> Mono<T> guard(String appid, Supplier<Mono<T>> call) {
        CircuitBreaker breaker = breakers.circuitBreaker(appid);
        Bulkhead bulkhead = bulkheads.bulkhead(appid);
        return Mono.defer(call)
                .transformDeferred(BulkheadOperator.of(bulkhead))
                .transformDeferred(CircuitBreakerOperator.of(breaker))
                .onErrorMap(failure -> failure instanceof CallNotPermittedException
                                || failure instanceof BulkheadFullException,
                        refused -> new GatewayErrorException(GatewayError.WECHAT_UNAVAILABLE));
    }

    /** The breaker's state for {@code appid}, for tests and diagnostics. */
    public CircuitBreaker.State state(String appid) {
        return breakers.circuitBreaker(appid).getState();
    }

    private static boolean isWechatFault(Throwable failure) {
        return failure instanceof GatewayErrorException expected && WECHAT_FAULTS.contains(expected.error());
    }
}
