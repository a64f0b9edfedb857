package dev.wechatauth.gateway.wechatapis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import dev.wechatauth.gateway.rig.Answer;
import dev.wechatauth.gateway.rig.Backends;
import dev.wechatauth.gateway.rig.Gateway;
import dev.wechatauth.gateway.rig.GatewayLauncher;
import dev.wechatauth.gateway.rig.Http;
import dev.wechatauth.gateway.rig.OnTheSharedGateway;
import dev.wechatauth.gateway.rig.RedisView;
import dev.wechatauth.gateway.rig.Timing;
import dev.wechatauth.gateway.rig.WechatUser;
import dev.wechatauth.testkit.Resp;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * docs/reference.md, WeChat APIs on the session, access_token: every instance shares the mini-program's access_token
 * through Redis, takes a new one with at most one stable_token call at a time across instances, and after WeChat
 * refuses it (40001) takes a new one and calls once more. Two gateways of their own on the shared backends (one Redis,
 * one WeChat stand-in), with a WeChat timeout of 5 s instead of the shared gateways' 1 s, so that fifty calls at once
 * on a busy machine are not turned into {@code wechat_timeout}, and {@code access-token.refresh-ahead=1ms}, so that a
 * token is renewed only once it expired: refreshing ahead is the plugin's {@code AccessTokensTest}'s subject.
 * <p>
 * The expiry test uses the second mini-program, whose access_token no other test of the suite asks for, with tokens
 * that live {@value #LIFETIME_SECONDS} s; the stand-in hands out a new token in its last seconds, as WeChat does in a
 * token's last minutes.
 */
class SharedAccessTokenTest extends OnTheSharedGateway {

    private static final int LIFETIME_SECONDS = 15;
    private static final int CALLS = 50;

    private static Gateway instanceA;
    private static Gateway instanceB;

    @BeforeAll
    static void startTwoInstances() {
        instanceA = launcher("A").start();
        instanceB = launcher("B").start();
    }

    @AfterAll
    static void stopThem() {
        instanceA.close();
        instanceB.close();
    }

    private static GatewayLauncher launcher(String name) {
        return GatewayLauncher.on(backends).named(name).with("wechat.auth.timeout=5s",
                "wechat.auth.access-token.refresh-ahead=1ms");
    }

    @Test
    void fiftyConcurrentPhoneCallsOnTwoInstancesFetchTheAccessTokenOncePerExpiry() {
        String appid = Backends.SECOND_APPID;
        String key = RedisView.NAMESPACE + ":access-token:" + appid;
        WechatUser second = backends.newUser(appid, false);
        String onA = instanceA.tokenFor(second);
        String onB = instanceB.tokenFor(second);
        backends.wechat.accessTokenLifetime(Duration.ofSeconds(LIFETIME_SECONDS));
        backends.wechat.accessTokenRenewWithin(Duration.ofSeconds(5));
        try {
            backends.forgetRequests();

            List<Answer> firstWave = concurrentPhoneCalls(appid, onA, onB);

            assertThat(firstWave).as("every answer of the first wave").allMatch(answer -> answer.status() == 200);
            assertThat(backends.wechat.stableTokenCalls()).as("stable_token calls for the first wave").isEqualTo(1);
            assertThat(RedisView.pttl(redisPort(), key)).isBetween(1L, LIFETIME_SECONDS * 1000L);

            // the token expires; nobody asked for it meanwhile
            await().atMost(Timing.generous(Duration.ofSeconds(LIFETIME_SECONDS)))
                    .pollInterval(Duration.ofMillis(200))
                    .until(() -> RedisView.pttl(redisPort(), key) == -2);
            List<Answer> secondWave = concurrentPhoneCalls(appid, onA, onB);

            assertThat(secondWave).as("every answer of the second wave").allMatch(answer -> answer.status() == 200);
            assertThat(backends.wechat.stableTokenCalls()).as("stable_token calls after one expiry").isEqualTo(2);
            assertThat(backends.wechat.refusedAccessTokens()).as("no call used an expired token").isZero();
            assertThat(RedisView.keys(redisPort())).as("no lock is left behind")
                    .doesNotContain(RedisView.NAMESPACE + ":access-token-lock:" + appid);
        } finally {
            backends.wechat.accessTokenLifetime(Duration.ofSeconds(7200));
            backends.wechat.accessTokenRenewWithin(Duration.ofMinutes(5));
        }
    }

    @Test
    void afterWechatRefusedTheTokenTheSecondInstanceTakesTheNewOneFromRedisWithoutCallingWechat() {
        String tokenA = instanceA.tokenFor(user);
        String tokenB = instanceB.tokenFor(user);
        // both instances hold the current token
        assertThat(phone(instanceA, tokenA).status()).isEqualTo(200);
        assertThat(phone(instanceB, tokenB).status()).isEqualTo(200);
        backends.wechat.invalidateAccessTokens(Backends.FIRST_APPID);
        backends.forgetRequests();

        Answer first = phone(instanceA, tokenA);
        Answer second = phone(instanceB, tokenB);

        assertThat(first.status()).as("%s", first).isEqualTo(200);
        assertThat(second.status()).as("%s", second).isEqualTo(200);
        assertThat(backends.wechat.refusedAccessTokens()).as("each instance met the refused token once").isEqualTo(2);
        assertThat(backends.wechat.stableTokenCalls()).as("one new token, for both instances").isEqualTo(1);
    }

    @Test
    void redisHoldsTheAccessTokenOnlyInAFormThatIsUselessWithoutTheAppSecret() {
        assertThat(phone(instanceA, instanceA.tokenFor(user)).status()).isEqualTo(200);
        String accessToken = backends.wechat.currentAccessToken(Backends.FIRST_APPID);

        String stored = (String) Resp.command(redisPort(), "GET",
                RedisView.NAMESPACE + ":access-token:" + Backends.FIRST_APPID);

        assertThat(accessToken).isNotNull();
        assertThat(stored).isNotNull().doesNotContain(accessToken);
        assertThat(RedisView.dumpAll(redisPort())).noneMatch(dump -> dump.contains(accessToken));
    }

    private List<Answer> concurrentPhoneCalls(String appid, String onA, String onB) {
        List<CompletableFuture<Answer>> calls = new ArrayList<>();
        for (int i = 0; i < CALLS; i++) {
            String code = backends.issuePhoneCode(appid, "+86138" + String.format("%08d", i), "138"
                    + String.format("%08d", i), "86");
            Gateway instance = i % 2 == 0 ? instanceA : instanceB;
            String bearer = i % 2 == 0 ? onA : onB;
            calls.add(Http.inBackground(() -> instance.post(Backends.PHONE, "{\"code\":\"" + code + "\"}",
                    "Authorization: Bearer " + bearer, "Content-Type: application/json")));
        }
        return calls.stream().map(CompletableFuture::join).toList();
    }

    private static Answer phone(Gateway on, String bearer) {
        String code = backends.issuePhoneCode(Backends.FIRST_APPID, "+8613800138000", "13800138000", "86");
        return on.post(Backends.PHONE, "{\"code\":\"" + code + "\"}", "Authorization: Bearer " + bearer,
                "Content-Type: application/json");
    }

    private static int redisPort() {
        return backends.redis.port();
    }
}
