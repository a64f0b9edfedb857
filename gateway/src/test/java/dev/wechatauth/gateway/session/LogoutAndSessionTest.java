package dev.wechatauth.gateway.session;

import static dev.wechatauth.gateway.rig.Backends.FIRST_APPID;
import static dev.wechatauth.gateway.rig.Backends.OPTIONAL;
import static dev.wechatauth.gateway.rig.Backends.REQUIRED;
import static dev.wechatauth.gateway.rig.ContractAssertions.assertError;
import static dev.wechatauth.gateway.rig.ContractAssertions.assertForwarded;
import static dev.wechatauth.gateway.rig.ContractAssertions.assertIdentity;
import static org.assertj.core.api.Assertions.assertThat;

import dev.wechatauth.gateway.rig.Answer;
import dev.wechatauth.gateway.rig.Backends;
import dev.wechatauth.gateway.rig.OnTheSharedGateway;
import dev.wechatauth.gateway.rig.WechatUser;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * docs/reference.md, Built-in endpoints: {@code POST /wx/logout} and {@code GET /wx/session}, and several sessions of
 * one user.
 */
class LogoutAndSessionTest extends OnTheSharedGateway {

    @Test
    void logoutWithTheTokenIs204AndTheTokenStopsWorkingAtOnce() {
        String token = gateway.newToken();

        Answer logout = gateway.post("/wx/logout", null, "Authorization: Bearer " + token);

        assertThat(logout.status()).as("%s", logout).isEqualTo(204);
        assertThat(logout.body()).isEmpty();
        assertError(gateway.get(REQUIRED, "Authorization: Bearer " + token), 401, "invalid_token");
        assertError(gateway.get(OPTIONAL, "Authorization: Bearer " + token), 401, "invalid_token");
        assertError(gateway.get("/wx/session", "Authorization: Bearer " + token), 401, "invalid_token");
        assertThat(backends.echo.count()).as("requests that reached the service").isZero();
    }

    @Test
    void aSecondLogoutWithTheSameTokenIsInvalidToken() {
        String token = gateway.newToken();
        assertThat(gateway.post("/wx/logout", null, "Authorization: Bearer " + token).status()).isEqualTo(204);

        assertError(gateway.post("/wx/logout", null, "Authorization: Bearer " + token), 401, "invalid_token");
    }

    @Test
    void logoutWithoutATokenIsMissingToken() {
        assertError(gateway.post("/wx/logout", null), 401, "missing_token");
    }

    @Test
    void logoutWithAnUnknownTokenIsInvalidToken() {
        assertError(gateway.post("/wx/logout", null, "Authorization: Bearer " + Backends.unknownToken()),
                401, "invalid_token");
    }

    @Test
    void aNewLoginOfTheSameUserLeavesTheFirstTokenValid() {
        WechatUser user = backends.newUser();
        String phone = gateway.tokenFor(user);
        String tablet = gateway.tokenFor(user);

        assertThat(tablet).isNotEqualTo(phone);
        assertIdentity(assertForwarded(gateway.get(REQUIRED, "Authorization: Bearer " + phone), backends.echo), user);
        backends.echo.clear();
        assertIdentity(assertForwarded(gateway.get(REQUIRED, "Authorization: Bearer " + tablet), backends.echo), user);
    }

    @Test
    void loggingOutOneDeviceLeavesTheUsersOtherSessionValid() {
        WechatUser user = backends.newUser();
        String phone = gateway.tokenFor(user);
        String tablet = gateway.tokenFor(user);

        assertThat(gateway.post("/wx/logout", null, "Authorization: Bearer " + tablet).status()).isEqualTo(204);

        assertError(gateway.get(REQUIRED, "Authorization: Bearer " + tablet), 401, "invalid_token");
        assertIdentity(assertForwarded(gateway.get(REQUIRED, "Authorization: Bearer " + phone), backends.echo), user);
    }

    @Test
    void theSessionEndpointDescribesTheSession() {
        WechatUser user = backends.newUser(FIRST_APPID, true);
        String token = gateway.tokenFor(user);

        Answer answer = gateway.get("/wx/session", "Authorization: Bearer " + token);

        assertThat(answer.status()).as("%s", answer).isEqualTo(200);
        assertThat(answer.header("Content-Type")).startsWith("application/json");
        JsonNode json = answer.json();
        assertThat(json.propertyNames()).containsExactlyInAnyOrder("openid", "unionid", "appid", "expiresIn", "createdAt");
        assertThat(json.get("openid").asString()).isEqualTo(user.openid());
        assertThat(json.get("unionid").asString()).isEqualTo(user.unionid());
        assertThat(json.get("appid").asString()).isEqualTo(FIRST_APPID);
        assertThat(json.get("expiresIn").isNumber()).isTrue();
        assertThat(json.get("expiresIn").asLong()).isBetween(604_800L - 5, 604_800L);
    }

    @Test
    void theSessionEndpointLeavesOutTheUnionidWhenWechatGaveNone() {
        WechatUser user = backends.newUser(Backends.SECOND_APPID, false);
        String token = gateway.tokenFor(user);

        Answer answer = gateway.get("/wx/session", "Authorization: Bearer " + token);

        assertThat(answer.status()).as("%s", answer).isEqualTo(200);
        assertThat(answer.json().propertyNames()).containsExactlyInAnyOrder("openid", "appid", "expiresIn", "createdAt");
        assertThat(answer.json().get("appid").asString()).isEqualTo(Backends.SECOND_APPID);
    }

    @Test
    void theSessionEndpointWithoutATokenIsMissingToken() {
        assertError(gateway.get("/wx/session"), 401, "missing_token");
    }

    @Test
    void theSessionEndpointWithAnUnknownTokenIsInvalidToken() {
        assertError(gateway.get("/wx/session", "Authorization: Bearer " + Backends.unknownToken()),
                401, "invalid_token");
    }
}
