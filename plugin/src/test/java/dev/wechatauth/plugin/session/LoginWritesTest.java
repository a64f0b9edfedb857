package dev.wechatauth.plugin.session;

import java.time.Clock;
import java.time.Duration;

import dev.wechatauth.plugin.error.GatewayError;
import dev.wechatauth.plugin.error.GatewayErrorException;
import dev.wechatauth.plugin.support.RedisFixture;
import dev.wechatauth.plugin.wechat.WechatIdentity;
import dev.wechatauth.testkit.RedisProcess;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.sync.RedisCommands;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.test.StepVerifier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A login's writes where one primary holds every key (here a standalone Redis): the session, the user's index and the
 * login's receipt for copies of its code in one script; a blocked user's login writes nothing.
 */
class LoginWritesTest {

    private static final String NAMESPACE = "login-writes";
    private static final Duration TTL = Duration.ofHours(2);
    private static final Duration WINDOW = Duration.ofSeconds(10);
    private static final WechatIdentity USER = new WechatIdentity("wx_app", "o_user", null, "a2V5");

    private static RedisProcess redis;
    private static RedisFixture fixture;
    private static RedisSessionStore store;

    @BeforeAll
    static void startRedis() {
        redis = RedisProcess.start();
        fixture = new RedisFixture(redis.port());
        store = new RedisSessionStore(fixture.template(), new Tokens(), SessionWriter.of(fixture.template()),
                NAMESPACE, new SessionPolicy(TTL, Duration.ofDays(30), 2), Clock.systemUTC());
    }

    @AfterAll
    static void stopRedis() {
        fixture.close();
        redis.close();
    }

    @BeforeEach
    void emptyRedis() {
        inspector().flushall();
    }

    @Test
    void aLoginWritesItsSessionItsIndexAndItsReceiptTogether() {
        LoginReceipt receipt = claimed("code-1");

        IssuedSession issued = store.create(USER, null, receipt).block();

        assertThat(receipt.recorded()).as("recorded by the script that wrote the session").isTrue();
        String hash = Tokens.hash(issued.token());
        assertThat(inspector().pttl(NAMESPACE + ":session:" + hash)).as("the session's time to live")
                .isBetween(TTL.minusMinutes(1).toMillis(), TTL.toMillis());
        assertThat(inspector().hget(userKey(), "s:" + hash)).as("the session in the user's index").isNotNull();
        assertThat(inspector().hget(userKey(), "session_key")).isEqualTo(USER.sessionKey());
        assertThat(inspector().get(receipt.key())).isEqualTo("ok:" + hash);
        assertThat(inspector().pttl(receipt.key())).as("the window's time to live, kept")
                .isPositive().isLessThanOrEqualTo(WINDOW.toMillis());
    }

    @Test
    void theLimitPerUserStillEndsTheOldestSessionInTheSameScript() {
        String oldest = store.create(USER, null, claimed("a")).block().token();
        String second = store.create(USER, null, claimed("b")).block().token();

        String third = store.create(USER, null, claimed("c")).block().token();

        StepVerifier.create(store.find(oldest)).verifyComplete();
        StepVerifier.create(store.find(second)).expectNextCount(1).verifyComplete();
        StepVerifier.create(store.find(third)).expectNextCount(1).verifyComplete();
        assertThat(inspector().hkeys(userKey())).filteredOn(field -> field.startsWith("s:")).hasSize(2);
    }

    @Test
    void aReceiptWhoseWindowEndedIsNotWrittenAgain() {
        LoginReceipt receipt = new LoginReceipt(NAMESPACE + ":login-code:gone", token -> "ok:" + Tokens.hash(token));

        store.create(USER, null, receipt).block();

        assertThat(inspector().exists(receipt.key())).isZero();
    }

    @Test
    void aBlockedUsersLoginWritesNeitherASessionNorItsReceipt() {
        store.block(USER.appid(), USER.openid(), Duration.ofMinutes(5)).block();
        LoginReceipt receipt = claimed("code-blocked");

        StepVerifier.create(store.create(USER, null, receipt))
                .expectErrorSatisfies(failure -> assertThat(((GatewayErrorException) failure).error())
                        .isEqualTo(GatewayError.BLOCKED_USER))
                .verify();

        assertThat(inspector().keys(NAMESPACE + ":session:*")).isEmpty();
        assertThat(receipt.recorded()).isFalse();
        assertThat(inspector().get(receipt.key())).isEqualTo("pending");
    }

    /** A receipt whose key the first copy of a login claimed, as the duplicate window does. */
    private static LoginReceipt claimed(String code) {
        String key = NAMESPACE + ":login-code:" + code;
        inspector().set(key, "pending", SetArgs.Builder.px(WINDOW.toMillis()));
        return new LoginReceipt(key, token -> "ok:" + Tokens.hash(token));
    }

    private static String userKey() {
        return NAMESPACE + ":user:" + USER.appid() + ":" + USER.openid();
    }

    private static RedisCommands<String, String> inspector() {
        return fixture.inspector();
    }
}
