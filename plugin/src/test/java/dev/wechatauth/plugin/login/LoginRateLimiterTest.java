package dev.wechatauth.plugin.login;

import java.time.Duration;

import dev.wechatauth.plugin.error.GatewayError;
import dev.wechatauth.plugin.error.GatewayErrorException;
import dev.wechatauth.testkit.RedisProcess;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import reactor.test.StepVerifier;

import static org.assertj.core.api.Assertions.assertThat;

class LoginRateLimiterTest {

    private static RedisProcess redisProcess;
    private static LettuceConnectionFactory connections;
    private static ReactiveStringRedisTemplate redis;

    @BeforeAll
    static void startRedis() {
        redisProcess = RedisProcess.start();
        connections = new LettuceConnectionFactory(new RedisStandaloneConfiguration("127.0.0.1", redisProcess.port()));
        connections.afterPropertiesSet();
        connections.start();
        redis = new ReactiveStringRedisTemplate(connections);
    }

    @AfterAll
    static void stopRedis() {
        connections.destroy();
        redisProcess.close();
    }

    @Test
    void attemptsUpToTheLimitPassAndTheNextIsRateLimitedWithTheTimeLeft() {
        LoginRateLimiter limiter = new LoginRateLimiter(redis, "t1", 3, Duration.ofSeconds(30));

        for (int i = 0; i < 3; i++) {
            StepVerifier.create(limiter.attempt("198.51.100.1")).verifyComplete();
        }
        StepVerifier.create(limiter.attempt("198.51.100.1"))
                .expectErrorSatisfies(failure -> {
                    GatewayErrorException refused = (GatewayErrorException) failure;
                    assertThat(refused.error()).isEqualTo(GatewayError.RATE_LIMITED);
                    assertThat(refused.retryAfter()).isBetween(Duration.ofSeconds(25), Duration.ofSeconds(30));
                })
                .verify();
    }

    @Test
    void eachAddressHasItsOwnCount() {
        LoginRateLimiter limiter = new LoginRateLimiter(redis, "t2", 1, Duration.ofSeconds(30));

        StepVerifier.create(limiter.attempt("198.51.100.1")).verifyComplete();
        StepVerifier.create(limiter.attempt("198.51.100.2")).verifyComplete();
        StepVerifier.create(limiter.attempt("198.51.100.1")).verifyError(GatewayErrorException.class);
    }

    @Test
    void theCountStartsAgainAfterThePeriod() {
        LoginRateLimiter limiter = new LoginRateLimiter(redis, "t3", 1, Duration.ofMillis(300));

        StepVerifier.create(limiter.attempt("198.51.100.1")).verifyComplete();
        StepVerifier.create(limiter.attempt("198.51.100.1")).verifyError(GatewayErrorException.class);
        StepVerifier.create(reactor.core.publisher.Mono.delay(Duration.ofMillis(400))
                .then(limiter.attempt("198.51.100.1"))).verifyComplete();
    }

    @Test
    void theCounterKeyAlwaysHasATtl() {
        LoginRateLimiter limiter = new LoginRateLimiter(redis, "t4", 5, Duration.ofSeconds(60));

        StepVerifier.create(limiter.attempt("198.51.100.1")).verifyComplete();

        StepVerifier.create(redis.getExpire("t4:login-limit:198.51.100.1"))
                .assertNext(ttl -> assertThat(ttl).isPositive().isLessThanOrEqualTo(Duration.ofSeconds(60)))
                .verifyComplete();
    }

    @Test
    void aStoreThatCannotAnswerIsSessionStoreUnavailable() {
        LettuceConnectionFactory nowhere = new LettuceConnectionFactory(
                new RedisStandaloneConfiguration("127.0.0.1", dev.wechatauth.testkit.FreePort.next()));
        nowhere.afterPropertiesSet();
        nowhere.start();
        try {
            LoginRateLimiter limiter = new LoginRateLimiter(new ReactiveStringRedisTemplate(nowhere), "t5", 5,
                    Duration.ofSeconds(60));

            StepVerifier.create(limiter.attempt("198.51.100.1"))
                    .expectErrorSatisfies(failure -> assertThat(((GatewayErrorException) failure).error())
                            .isEqualTo(GatewayError.SESSION_STORE_UNAVAILABLE))
                    .verify(Duration.ofSeconds(15));
        } finally {
            nowhere.destroy();
        }
    }
}
