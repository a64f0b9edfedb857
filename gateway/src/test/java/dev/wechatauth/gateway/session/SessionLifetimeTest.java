package dev.wechatauth.gateway.session;

import static dev.wechatauth.gateway.rig.ContractAssertions.assertError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;

import dev.wechatauth.gateway.rig.Answer;
import dev.wechatauth.gateway.rig.Backends;
import dev.wechatauth.gateway.rig.Gateway;
import dev.wechatauth.gateway.rig.GatewayLauncher;
import dev.wechatauth.gateway.rig.RedisView;
import dev.wechatauth.gateway.rig.Timing;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * docs/reference.md, {@code wechat.auth.session.max-lifetime}: a session ends that long after its login however often
 * it is used, in Redis and in each instance's memory, and {@code expiresIn} (login answer, {@code X-Auth-Expires-In},
 * {@code /wx/session}, {@code /wx/sessions}) is the smaller of the idle time and the absolute time left. Two gateways
 * of their own on one Redis, with an idle timeout of 7 days and an absolute lifetime of 4 s.
 */
class SessionLifetimeTest {

    private static final long MAX_LIFETIME_SECONDS = 4;
    private static final long USE_EVERY_MILLIS = 250;

    private static Backends backends;
    private static Gateway a;
    private static Gateway b;

    @BeforeAll
    static void startGateways() {
        backends = Backends.start();
        a = GatewayLauncher.on(backends).named("A").with("wechat.auth.session.max-lifetime=4s").start();
        b = GatewayLauncher.on(backends).named("B").with("wechat.auth.session.max-lifetime=4s").start();
    }

    @AfterAll
    static void stopGateways() {
        a.close();
        b.close();
        backends.close();
    }

    @Test
    void everyExpiresInIsTheAbsoluteTimeLeftWhenThatIsSmaller() {
        Answer login = a.login(backends.newCode());
        assertThat(login.json().get("expiresIn").asLong()).isEqualTo(MAX_LIFETIME_SECONDS);
        Answer forwarded = a.post("/wx/login-forward", "{\"code\":\"" + backends.newCode() + "\"}",
                "Content-Type: application/json");
        assertThat(forwarded.headerValues("X-Auth-Expires-In")).containsExactly(Long.toString(MAX_LIFETIME_SECONDS));

        String token = login.json().get("token").asString();
        assertThat(b.get("/wx/session", "Authorization: Bearer " + token).json().get("expiresIn").asLong())
                .isBetween(0L, MAX_LIFETIME_SECONDS);
        assertThat(b.get("/wx/sessions", "Authorization: Bearer " + token).json().get("sessions").get(0)
                .get("expiresIn").asLong()).isBetween(0L, MAX_LIFETIME_SECONDS);
        assertThat(RedisView.pttl(backends.redis.port(), RedisView.sessionKey(token)))
                .isBetween(0L, MAX_LIFETIME_SECONDS * 1000);
    }

    @Test
    void aSessionUsedWithoutPauseOnBothInstancesEndsAtItsAbsoluteEnd() throws InterruptedException {
        String token = a.newToken();
        long start = System.currentTimeMillis();

        while (System.currentTimeMillis() - start < (MAX_LIFETIME_SECONDS - 1) * 1000) {
            assertThat(a.withToken(token).status()).as("in use on A, %d ms after the login",
                    System.currentTimeMillis() - start).isEqualTo(200);
            assertThat(b.withToken(token).status()).isEqualTo(200);
            Thread.sleep(USE_EVERY_MILLIS);
        }

        await("the absolute end").atMost(Timing.generous(Duration.ofSeconds(2))).pollInterval(Duration.ofMillis(100))
                .untilAsserted(() -> {
                    assertError(a.withToken(token), 401, "invalid_token");
                    assertError(b.withToken(token), 401, "invalid_token");
                });
        assertThat(RedisView.keys(backends.redis.port())).doesNotContain(RedisView.sessionKey(token));
    }
}
