package dev.wechatauth.gateway.session;

import static dev.wechatauth.gateway.rig.Backends.REQUIRED;
import static dev.wechatauth.gateway.rig.ContractAssertions.assertError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

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
 * docs/reference.md, {@code wechat.auth.session.ttl} and Sessions in Redis: the TTL is an idle timeout that every
 * authenticated request renews, in Redis too; an unused session expires; Redis never holds a usable token. Its own
 * gateway and Redis, with a TTL of 3 s.
 */
class SessionRenewalTest {

    private static final long TTL_MILLIS = 3000;
    /** How often the used token is used: well within the TTL, so that a stalled machine does not let it expire. */
    private static final long USE_EVERY_MILLIS = 500;

    private static Backends backends;
    private static Gateway gateway;

    @BeforeAll
    static void startGateway() {
        backends = Backends.start();
        gateway = GatewayLauncher.on(backends).with("wechat.auth.session.ttl=3s").start();
    }

    @AfterAll
    static void stopGateway() {
        gateway.close();
        backends.close();
    }

    @Test
    void theLoginAnswerGivesTheConfiguredTtl() {
        Answer answer = gateway.login(backends.newCode());

        assertThat(answer.json().get("expiresIn").asLong()).isEqualTo(3);
    }

    @Test
    void aTokenUsedAgainAndAgainOutlivesTheTtlWhileAnUnusedOneExpires() throws InterruptedException {
        String used = gateway.newToken();
        String unused = gateway.newToken();
        long start = System.currentTimeMillis();

        for (int use = 1; System.currentTimeMillis() - start <= TTL_MILLIS + 1000; use++) {
            Thread.sleep(Math.max(0, start + use * USE_EVERY_MILLIS - System.currentTimeMillis()));
            Answer answer = gateway.get(REQUIRED, "Authorization: Bearer " + used);
            assertThat(answer.status()).as("use after %d ms: %s", System.currentTimeMillis() - start, answer)
                    .isEqualTo(200);
        }

        assertThat(System.currentTimeMillis() - start).isGreaterThan(TTL_MILLIS + 1000);
        assertError(gateway.get(REQUIRED, "Authorization: Bearer " + unused), 401, "invalid_token");
        assertError(gateway.get("/wx/session", "Authorization: Bearer " + unused), 401, "invalid_token");
        assertThat(gateway.get(REQUIRED, "Authorization: Bearer " + used).status()).isEqualTo(200);
    }

    /**
     * After 1.2 s unused, a session's key has at most 1.8 s left; once the token is used, a key's TTL is back up to
     * the full TTL: read until it is (the renewal may be written just after the answer), and allowed to have run down
     * by up to a second since, for a machine slow to read it.
     */
    @Test
    void usingATokenRenewsItsSessionsTtlInRedis() throws InterruptedException {
        String token = gateway.newToken();
        Thread.sleep(1200);

        Map<String, Long> before = ttls();
        assertThat(gateway.get(REQUIRED, "Authorization: Bearer " + token).status()).isEqualTo(200);

        await("a session key's TTL renewed").atMost(Timing.generous(Duration.ofSeconds(1)))
                .pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(50)).untilAsserted(() -> {
                    Map<String, Long> after = ttls();
                    assertThat(after.keySet())
                            .as("a key whose TTL went from at most 2 s back to 2-3 s; TTLs before %s, after %s",
                                    before, after)
                            .anyMatch(key -> before.getOrDefault(key, Long.MAX_VALUE) <= 2000
                                    && after.get(key) > before.get(key)
                                    && after.get(key) >= TTL_MILLIS - 1000 && after.get(key) <= TTL_MILLIS);
                });
    }

    @Test
    void redisNeverHoldsTheTokenItself() {
        String token = gateway.newToken();

        for (String entry : RedisView.dumpAll(backends.redis.port())) {
            assertThat(entry).doesNotContain(token);
        }
        assertThat(RedisView.keys(backends.redis.port())).as("keys in Redis").isNotEmpty();
    }

    private static Map<String, Long> ttls() {
        Map<String, Long> ttls = new LinkedHashMap<>();
        for (String key : RedisView.keys(backends.redis.port())) {
            ttls.put(key, RedisView.pttl(backends.redis.port(), key));
        }
        return ttls;
    }
}
