package dev.wechatauth.contract;

import static dev.wechatauth.contract.Backends.REQUIRED;
import static dev.wechatauth.contract.ContractAssertions.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * CONTRACT.md, {@code wechat.auth.session.ttl} and "Sessions in Redis": the TTL is an idle timeout that every
 * authenticated request renews, in Redis too; an unused session expires; Redis never holds a usable token. Its own
 * gateway and Redis, with a TTL of 3 s.
 */
class SessionRenewalContractTest {

    private static final long TTL_MILLIS = 3000;

    private static Backends backends;
    private static GatewayInstance gateway;

    @BeforeAll
    static void startGateway() {
        backends = Backends.start();
        gateway = GatewayInstance.start(backends, "wechat.auth.session.ttl=3s");
    }

    @AfterAll
    static void stopGateway() {
        gateway.close();
        backends.close();
    }

    @Test
    void theLoginAnswerGivesTheConfiguredTtl() {
        Answer answer = gateway.login(backends.issueCode(backends.newUser()));

        assertThat(answer.json().get("expiresIn").asLong()).isEqualTo(3);
    }

    @Test
    void aTokenUsedEverySecondOutlivesTheTtlWhileAnUnusedOneExpires() throws InterruptedException {
        String used = gateway.newToken();
        String unused = gateway.newToken();
        long start = System.currentTimeMillis();

        for (int second = 1; second <= 5; second++) {
            Thread.sleep(Math.max(0, start + second * 1000L - System.currentTimeMillis()));
            Answer answer = gateway.get(REQUIRED, "Authorization: Bearer " + used);
            assertThat(answer.status()).as("use after %d s: %s", second, answer).isEqualTo(200);
        }

        assertThat(System.currentTimeMillis() - start).isGreaterThan(TTL_MILLIS + 1000);
        assertError(gateway.get(REQUIRED, "Authorization: Bearer " + unused), 401, "invalid_token");
        assertError(gateway.get("/wx/session", "Authorization: Bearer " + unused), 401, "invalid_token");
        assertThat(gateway.get(REQUIRED, "Authorization: Bearer " + used).status()).isEqualTo(200);
    }

    @Test
    void usingATokenRenewsItsSessionsTtlInRedis() throws InterruptedException {
        String token = gateway.newToken();
        Thread.sleep(1200);

        Map<String, Long> before = ttls();
        assertThat(gateway.get(REQUIRED, "Authorization: Bearer " + token).status()).isEqualTo(200);
        Map<String, Long> after = ttls();

        assertThat(after.keySet())
                .as("a key whose TTL went from about 1.8 s back to about 3 s; TTLs before %s, after %s", before, after)
                .anyMatch(key -> before.getOrDefault(key, Long.MAX_VALUE) <= 2000
                        && after.get(key) >= TTL_MILLIS - 300 && after.get(key) <= TTL_MILLIS);
    }

    @Test
    void redisNeverHoldsTheTokenItself() {
        String token = gateway.newToken();

        for (String key : RedisCli.keys(backends.redis.port())) {
            assertThat(RedisCli.dump(backends.redis.port(), key)).doesNotContain(token);
        }
        assertThat(RedisCli.keys(backends.redis.port())).as("keys in Redis").isNotEmpty();
    }

    private static Map<String, Long> ttls() {
        Map<String, Long> ttls = new LinkedHashMap<>();
        for (String key : RedisCli.keys(backends.redis.port())) {
            ttls.put(key, RedisCli.pttl(backends.redis.port(), key));
        }
        return ttls;
    }
}
