package dev.wechatauth.plugin.login;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import dev.wechatauth.plugin.error.GatewayError;
import dev.wechatauth.plugin.error.GatewayErrorException;
import dev.wechatauth.plugin.session.IssuedSession;
import dev.wechatauth.plugin.session.LoginReceipt;
import dev.wechatauth.plugin.session.RedisSessionStore;
import dev.wechatauth.plugin.session.SessionPolicy;
import dev.wechatauth.plugin.session.SessionWriter;
import dev.wechatauth.plugin.session.Tokens;
import dev.wechatauth.plugin.wechat.WechatIdentity;
import dev.wechatauth.testkit.RedisProcess;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

import static org.assertj.core.api.Assertions.assertThat;

class DuplicateLoginWindowTest {

    private static RedisProcess redisProcess;
    private static LettuceConnectionFactory connections;
    private static ReactiveStringRedisTemplate redis;
    private static RedisSessionStore sessions;

    private final AtomicInteger wechatCalls = new AtomicInteger();

    @BeforeAll
    static void startRedis() {
        redisProcess = RedisProcess.start();
        connections = new LettuceConnectionFactory(new RedisStandaloneConfiguration("127.0.0.1", redisProcess.port()));
        connections.afterPropertiesSet();
        connections.start();
        redis = new ReactiveStringRedisTemplate(connections);
        sessions = new RedisSessionStore(redis, new Tokens(), SessionWriter.of(redis), "dup", new SessionPolicy(Duration.ofMinutes(5), Duration.ofDays(30), 0), Clock.systemUTC());
    }

    @AfterAll
    static void stopRedis() {
        connections.destroy();
        redisProcess.close();
    }

    private DuplicateLoginWindow window(Duration length) {
        return new DuplicateLoginWindow(redis, sessions, "dup", length, Duration.ofSeconds(2));
    }

    /** Stands for code2Session + session creation: counts calls, takes {@code latency}. */
    private Function<LoginReceipt, Mono<IssuedSession>> exchange(String openid, Duration latency) {
        return receipt -> Mono.delay(latency)
                .doOnNext(tick -> wechatCalls.incrementAndGet())
                .then(sessions.create(new WechatIdentity("wx_app", openid, null, "a2V5"), null, receipt));
    }

    private Function<LoginReceipt, Mono<IssuedSession>> failing(GatewayError error) {
        return receipt -> Mono.defer(() -> {
            wechatCalls.incrementAndGet();
            return Mono.error(new GatewayErrorException(error, Duration.ofSeconds(60)));
        });
    }

    @Test
    void aCodeSentAgainWithinTheWindowGetsTheSameSessionWithOneWechatCall() {
        DuplicateLoginWindow window = window(Duration.ofSeconds(10));

        IssuedSession first = window.login("wx_app", "code-a", exchange("user_a", Duration.ZERO)).block();
        IssuedSession second = window.login("wx_app", "code-a", exchange("user_a", Duration.ZERO)).block();

        assertThat(second.token()).isEqualTo(first.token());
        assertThat(second.session().openid()).isEqualTo("user_a");
        assertThat(wechatCalls).hasValue(1);
    }

    @Test
    void copiesArrivingAtTheSameMomentShareOneWechatCall() {
        DuplicateLoginWindow window = window(Duration.ofSeconds(10));

        List<String> tokens = Flux.range(0, 8)
                .flatMap(copy -> window.login("wx_app", "code-b", exchange("user_b", Duration.ofMillis(200))))
                .map(IssuedSession::token)
                .collectList()
                .block(Duration.ofSeconds(5));

        assertThat(tokens).hasSize(8).containsOnly(tokens.get(0));
        assertThat(wechatCalls).hasValue(1);
    }

    @Test
    void aCopyOfAFailedExchangeGetsTheSameError() {
        DuplicateLoginWindow window = window(Duration.ofSeconds(10));

        StepVerifier.create(window.login("wx_app", "code-c", failing(GatewayError.WECHAT_RATE_LIMITED)))
                .expectError(GatewayErrorException.class).verify();
        StepVerifier.create(window.login("wx_app", "code-c", exchange("user_c", Duration.ZERO)))
                .expectErrorSatisfies(failure -> {
                    assertThat(((GatewayErrorException) failure).error()).isEqualTo(GatewayError.WECHAT_RATE_LIMITED);
                    assertThat(((GatewayErrorException) failure).retryAfter()).isEqualTo(Duration.ofSeconds(60));
                })
                .verify();
        assertThat(wechatCalls).hasValue(1);
    }

    @Test
    void aCopyOfALoginThatWasLoggedOutIsAnInvalidCode() {
        DuplicateLoginWindow window = window(Duration.ofSeconds(10));
        IssuedSession first = window.login("wx_app", "code-d", exchange("user_d", Duration.ZERO)).block();
        sessions.delete(first.token()).block();

        StepVerifier.create(window.login("wx_app", "code-d", exchange("user_d", Duration.ZERO)))
                .expectErrorSatisfies(failure -> assertThat(((GatewayErrorException) failure).error())
                        .isEqualTo(GatewayError.INVALID_CODE))
                .verify();
    }

    @Test
    void theSameCodeForAnotherAppIsNotADuplicate() {
        DuplicateLoginWindow window = window(Duration.ofSeconds(10));

        window.login("wx_app", "code-e", exchange("user_e", Duration.ZERO)).block();
        window.login("wx_other", "code-e", exchange("user_e", Duration.ZERO)).block();

        assertThat(wechatCalls).hasValue(2);
    }

    @Test
    void afterTheWindowWechatIsAskedAgain() {
        DuplicateLoginWindow window = window(Duration.ofMillis(300));

        window.login("wx_app", "code-f", exchange("user_f", Duration.ZERO)).block();
        Mono.delay(Duration.ofMillis(400)).block();
        window.login("wx_app", "code-f", exchange("user_f", Duration.ZERO)).block();

        assertThat(wechatCalls).hasValue(2);
    }

    @Test
    void aZeroWindowTurnsCoalescingOff() {
        DuplicateLoginWindow window = window(Duration.ZERO);

        window.login("wx_app", "code-g", exchange("user_g", Duration.ZERO)).block();
        window.login("wx_app", "code-g", exchange("user_g", Duration.ZERO)).block();

        assertThat(wechatCalls).hasValue(2);
    }

    @Test
    void redisHoldsNeitherTheCodeNorTheTokenInUsableForm() {
        DuplicateLoginWindow window = window(Duration.ofSeconds(10));
        IssuedSession issued = window.login("wx_app", "code-h-visible", exchange("user_h", Duration.ZERO)).block();

        List<String> keys = redis.keys("dup:login-code:*").collectList().block();
        List<String> values = Flux.fromIterable(keys).flatMap(key -> redis.opsForValue().get(key)).collectList().block();

        assertThat(String.join(" ", keys) + String.join(" ", values))
                .doesNotContain("code-h-visible")
                .doesNotContain(issued.token());
        assertThat(values).allSatisfy(value -> assertThat(value).startsWith("ok:"));
    }

    @Test
    void theFirstCopyFinishesAndRecordsItsOutcomeEvenWhenItsClientGoesAway() {
        DuplicateLoginWindow window = window(Duration.ofSeconds(10));

        window.login("wx_app", "code-i", exchange("user_i", Duration.ofMillis(200)))
                .timeout(Duration.ofMillis(50), Mono.empty())
                .block();
        IssuedSession copy = window.login("wx_app", "code-i", exchange("user_i", Duration.ZERO)).block();

        assertThat(copy.session().openid()).isEqualTo("user_i");
        assertThat(wechatCalls).hasValue(1);
    }
}
