package dev.wechatauth.contract;

import static dev.wechatauth.contract.Backends.REQUIRED;
import static dev.wechatauth.contract.ContractAssertions.assertError;
import static dev.wechatauth.contract.ContractAssertions.assertForwarded;
import static dev.wechatauth.contract.ContractAssertions.assertIdentity;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * CONTRACT.md, "Sessions in Redis": several gateway instances on one Redis share every session, and a logout on
 * one takes effect on every other within one second.
 */
class TwoInstancesContractTest {

    private static Backends backends;
    private static GatewayInstance a;
    private static GatewayInstance b;

    @BeforeAll
    static void startTwoGateways() {
        a = SharedGateway.get();
        backends = a.backends();
        b = GatewayInstance.start(backends);
    }

    @AfterAll
    static void stopTheSecond() {
        b.close();
    }

    @BeforeEach
    void forgetEarlierRequests() {
        backends.echo.clear();
    }

    @Test
    void aTokenIssuedByOneInstanceWorksOnAnother() {
        WechatUser user = backends.newUser();
        String token = a.tokenFor(user);

        assertIdentity(assertForwarded(b.get(REQUIRED, "Authorization: Bearer " + token), backends.echo), user);
        Answer session = b.get("/wx/session", "Authorization: Bearer " + token);
        assertThat(session.json().get("openid").asString()).isEqualTo(user.openid());
    }

    @Test
    void aLogoutOnOneInstanceEndsTheSessionOnTheOtherWithinOneSecond() {
        String token = a.newToken();
        assertThat(a.get(REQUIRED, "Authorization: Bearer " + token).status()).isEqualTo(200);
        assertThat(b.get(REQUIRED, "Authorization: Bearer " + token).status()).isEqualTo(200);

        assertThat(b.post("/wx/logout", null, "Authorization: Bearer " + token).status()).isEqualTo(204);

        await().atMost(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(50)).untilAsserted(() ->
                assertThat(a.get(REQUIRED, "Authorization: Bearer " + token).status()).isEqualTo(401));
        assertError(a.get(REQUIRED, "Authorization: Bearer " + token), 401, "invalid_token");
        assertError(a.get("/wx/session", "Authorization: Bearer " + token), 401, "invalid_token");
    }

    @Test
    void aLogoutOnTheOtherInstanceEndsTheSessionHereWithinOneSecond() {
        String token = b.newToken();
        assertThat(b.get(REQUIRED, "Authorization: Bearer " + token).status()).isEqualTo(200);

        assertThat(a.post("/wx/logout", null, "Authorization: Bearer " + token).status()).isEqualTo(204);

        await().atMost(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(50)).untilAsserted(() ->
                assertThat(b.get(REQUIRED, "Authorization: Bearer " + token).status()).isEqualTo(401));
        assertError(b.get(REQUIRED, "Authorization: Bearer " + token), 401, "invalid_token");
    }
}
