package dev.wechatauth.plugin.login;

import java.time.Duration;
import java.util.List;

import dev.wechatauth.plugin.error.GatewayError;
import dev.wechatauth.plugin.error.GatewayErrorException;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;
import reactor.core.publisher.Mono;

/**
 * Counts login attempts per client address in Redis, so the limit holds across every gateway instance: a fixed
 * window of {@code period} per address, one round trip per attempt.
 * <pre>
 * {ns}:login-limit:{address}  string  attempts in the current window; PEXPIRE period set by the first attempt
 *                                     EVAL: INCR, PEXPIRE when new, PTTL (one key, Cluster-safe)
 * </pre>
 */
public class LoginRateLimiter {

    private static final RedisScript<List> COUNT = RedisScript.of("""
            local attempts = redis.call('INCR', KEYS[1])
            local ttl = redis.call('PTTL', KEYS[1])
            if ttl < 0 then
              redis.call('PEXPIRE', KEYS[1], ARGV[1])
              ttl = tonumber(ARGV[1])
            end
            return {attempts, ttl}""", List.class);

    private final ReactiveStringRedisTemplate redis;
    private final String prefix;
    private final int requests;
    private final Duration period;

    public LoginRateLimiter(ReactiveStringRedisTemplate redis, String namespace, int requests, Duration period) {
        this.redis = redis;
        this.prefix = namespace + ":login-limit:";
        this.requests = requests;
        this.period = period;
    }

    /**
     * Counts one attempt from {@code address}; completes empty when it is allowed, fails with {@code rate_limited}
     * (carrying how long until the window ends) when it is not, or {@code session_store_unavailable}.
     */
    public Mono<Void> attempt(String address) {
        return redis.execute(COUNT, List.of(prefix + address), List.of(Long.toString(period.toMillis())))
                .next()
                .onErrorMap(failure -> new GatewayErrorException(GatewayError.SESSION_STORE_UNAVAILABLE))
                .flatMap(reply -> {
                    long attempts = ((Number) reply.get(0)).longValue();
                    long millisLeft = ((Number) reply.get(1)).longValue();
                    return attempts <= requests ? Mono.empty()
                            : Mono.error(new GatewayErrorException(GatewayError.RATE_LIMITED,
                                    Duration.ofMillis(Math.max(millisLeft, 1))));
                });
    }
}
