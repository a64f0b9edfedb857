package dev.wechatauth.gateway.login;

import static dev.wechatauth.gateway.rig.IdentityJwt.assertIdentityJwt;
import static dev.wechatauth.gateway.rig.Backends.FIRST_APPID;
import static dev.wechatauth.gateway.rig.Backends.REQUIRED;
import static dev.wechatauth.gateway.rig.Backends.SECOND_APPID;
import static dev.wechatauth.gateway.rig.Backends.UNCONFIGURED_APPID;
import static dev.wechatauth.gateway.rig.ContractAssertions.assertForwarded;
import static dev.wechatauth.gateway.rig.ContractAssertions.assertIdentity;
import static dev.wechatauth.gateway.rig.ContractAssertions.assertNoSessionKey;
import static dev.wechatauth.gateway.rig.ContractAssertions.valuesNamedLike;
import static org.assertj.core.api.Assertions.assertThat;

import dev.wechatauth.gateway.rig.Answer;
import dev.wechatauth.gateway.rig.Backends;
import dev.wechatauth.gateway.rig.OnTheSharedGateway;
import dev.wechatauth.gateway.rig.WechatUser;
import dev.wechatauth.testkit.EchoDownstream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import tools.jackson.databind.JsonNode;

/** docs/reference.md, Login: the exchange of a {@code wx.login} code for a token, answered or forwarded. */
@ExtendWith(OutputCaptureExtension.class)
class LoginTest extends OnTheSharedGateway {

    private static final long SEVEN_DAYS = 604_800;

    @Test
    void aJsonLoginIsAnsweredWithABearerTokenTheOpenidAndTheUnionid() {
        WechatUser user = backends.newUser(FIRST_APPID, true);

        Answer answer = gateway.login(backends.issueCode(user));

        assertThat(answer.status()).as("%s", answer).isEqualTo(200);
        assertThat(answer.header("Content-Type")).startsWith("application/json");
        JsonNode json = answer.json();
        assertThat(json.propertyNames()).containsExactlyInAnyOrder("token", "tokenType", "expiresIn", "openid", "unionid");
        assertThat(json.get("token").asString()).isNotBlank();
        assertThat(json.get("tokenType").asString()).isEqualTo("Bearer");
        assertThat(json.get("expiresIn").isNumber()).isTrue();
        assertThat(json.get("expiresIn").asLong()).isEqualTo(SEVEN_DAYS);
        assertThat(json.get("openid").asString()).isEqualTo(user.openid());
        assertThat(json.get("unionid").asString()).isEqualTo(user.unionid());
        assertIdentity(assertForwarded(gateway.get(REQUIRED, "Authorization: Bearer " + json.get("token").asString()),
                backends.echo), user);
    }

    @Test
    void aLoginAnswerHasNoUnionidWhenWechatGaveNone() {
        WechatUser user = backends.newUser(FIRST_APPID, false);

        Answer answer = gateway.login(backends.issueCode(user));

        assertThat(answer.status()).as("%s", answer).isEqualTo(200);
        assertThat(answer.json().propertyNames()).containsExactlyInAnyOrder("token", "tokenType", "expiresIn", "openid");
        assertThat(answer.json().get("openid").asString()).isEqualTo(user.openid());
    }

    @Test
    void aFormLoginIsAnsweredLikeAJsonOne() {
        WechatUser user = backends.newUser(FIRST_APPID, true);

        Answer answer = gateway.post("/wx/login", "code=" + backends.issueCode(user),
                "Content-Type: application/x-www-form-urlencoded");

        assertThat(answer.status()).as("%s", answer).isEqualTo(200);
        JsonNode json = answer.json();
        assertThat(json.propertyNames()).containsExactlyInAnyOrder("token", "tokenType", "expiresIn", "openid", "unionid");
        assertThat(json.get("tokenType").asString()).isEqualTo("Bearer");
        assertThat(json.get("expiresIn").asLong()).isEqualTo(SEVEN_DAYS);
        assertThat(json.get("openid").asString()).isEqualTo(user.openid());
        assertThat(gateway.get(REQUIRED, "Authorization: Bearer " + json.get("token").asString()).status())
                .isEqualTo(200);
    }

    @Test
    void theWechatCallCarriesAppidSecretCodeAndGrantType() {
        WechatUser user = backends.newUser(FIRST_APPID, false);
        String code = backends.issueCode(user);

        assertThat(gateway.login(code).status()).isEqualTo(200);

        assertThat(backends.wechat.lastQuery()).contains("appid=" + FIRST_APPID, "secret=" + Backends.FIRST_SECRET,
                "js_code=" + code, "grant_type=authorization_code");
    }

    @Test
    void theSessionKeyNeverLeavesTheGatewayInAnAnswerOrAHeader() {
        WechatUser user = backends.newUser(FIRST_APPID, true);

        Answer login = gateway.login(backends.issueCode(user));
        String token = login.json().get("token").asString();
        Answer session = gateway.get("/wx/session", "Authorization: Bearer " + token);
        Answer forwarded = gateway.get(REQUIRED, "Authorization: Bearer " + token);
        Answer forwardedLogin = gateway.post("/wx/login-forward", "{\"code\":\"" + backends.issueCode(user) + "\"}",
                "Content-Type: application/json");

        for (Answer answer : new Answer[] {login, session, forwarded, forwardedLogin}) {
            assertThat(answer.status()).as("%s", answer).isEqualTo(200);
            assertNoSessionKey(answer, user);
        }
        for (EchoDownstream.Received received : backends.echo.received()) {
            received.headers().forEach(h -> assertThat(h.getKey() + ": " + h.getValue()).as("header sent downstream")
                    .doesNotContain(user.sessionKey()));
            assertThat(received.body()).doesNotContain(user.sessionKey());
        }
    }

    @Test
    void theSessionKeyNeverAppearsInALogLine(CapturedOutput output) {
        WechatUser user = backends.newUser(FIRST_APPID, true);

        Answer login = gateway.login(backends.issueCode(user));
        String token = login.json().get("token").asString();
        gateway.get(REQUIRED, "Authorization: Bearer " + token);
        gateway.get("/wx/session", "Authorization: Bearer " + token);
        gateway.post("/wx/login-forward", "{\"code\":\"" + backends.issueCode(user) + "\"}",
                "Content-Type: application/json");
        gateway.post("/wx/logout", null, "Authorization: Bearer " + token);

        assertThat(login.status()).isEqualTo(200);
        assertThat(output.getAll()).as("log lines at DEBUG for dev.wechatauth").doesNotContain(user.sessionKey());
    }

    @Test
    void theAppidInTheBodyChoosesTheMiniProgram() {
        WechatUser user = backends.newUser(SECOND_APPID, true);

        Answer answer = gateway.loginWithBody(
                "{\"code\":\"" + backends.issueCode(user) + "\",\"appid\":\"" + SECOND_APPID + "\"}");

        assertThat(answer.status()).as("%s", answer).isEqualTo(200);
        assertThat(backends.wechat.lastQuery()).contains("appid=" + SECOND_APPID, "secret=" + Backends.SECOND_SECRET);
        assertThat(appidOfSession(answer)).isEqualTo(SECOND_APPID);
    }

    @Test
    void theAppidInAFormBodyChoosesTheMiniProgram() {
        WechatUser user = backends.newUser(SECOND_APPID, false);

        Answer answer = gateway.post("/wx/login", "code=" + backends.issueCode(user) + "&appid=" + SECOND_APPID,
                "Content-Type: application/x-www-form-urlencoded");

        assertThat(answer.status()).as("%s", answer).isEqualTo(200);
        assertThat(appidOfSession(answer)).isEqualTo(SECOND_APPID);
    }

    @Test
    void withoutAnAppidAMiniProgramRefererNamingAConfiguredAppChoosesIt() {
        WechatUser user = backends.newUser(SECOND_APPID, true);

        Answer answer = gateway.login(backends.issueCode(user),
                "Referer: https://servicewechat.com/" + SECOND_APPID + "/1/page-frame.html");

        assertThat(answer.status()).as("%s", answer).isEqualTo(200);
        assertThat(backends.wechat.lastQuery()).contains("appid=" + SECOND_APPID);
        assertThat(appidOfSession(answer)).isEqualTo(SECOND_APPID);
    }

    @Test
    void aRefererNamingAnUnconfiguredAppLeavesTheFirstApp() {
        WechatUser user = backends.newUser(FIRST_APPID, true);

        Answer answer = gateway.login(backends.issueCode(user),
                "Referer: https://servicewechat.com/" + UNCONFIGURED_APPID + "/1/page-frame.html");

        assertThat(answer.status()).as("%s", answer).isEqualTo(200);
        assertThat(backends.wechat.lastQuery()).contains("appid=" + FIRST_APPID);
        assertThat(appidOfSession(answer)).isEqualTo(FIRST_APPID);
    }

    @Test
    void withoutAnAppidOrARefererTheFirstAppIsChosen() {
        WechatUser user = backends.newUser(FIRST_APPID, false);

        Answer answer = gateway.login(backends.issueCode(user));

        assertThat(answer.status()).as("%s", answer).isEqualTo(200);
        assertThat(backends.wechat.lastQuery()).contains("appid=" + FIRST_APPID);
        assertThat(appidOfSession(answer)).isEqualTo(FIRST_APPID);
    }

    @Test
    void theAppidInTheBodyWinsOverTheReferer() {
        WechatUser user = backends.newUser(FIRST_APPID, false);

        Answer answer = gateway.loginWithBody(
                "{\"code\":\"" + backends.issueCode(user) + "\",\"appid\":\"" + FIRST_APPID + "\"}",
                "Referer: https://servicewechat.com/" + SECOND_APPID + "/1/page-frame.html");

        assertThat(answer.status()).as("%s", answer).isEqualTo(200);
        assertThat(appidOfSession(answer)).isEqualTo(FIRST_APPID);
    }

    @Test
    void aForwardingLoginRouteSendsTheBodyIntactWithTheIdentityHeaders() {
        WechatUser user = backends.newUser(FIRST_APPID, true);
        String body = "{ \"code\" : \"" + backends.issueCode(user) + "\",\n  \"note\": \"h\u00e9llo w\u00f6rld\", \"n\": [1, 2.50] }";

        Answer answer = gateway.post("/wx/login-forward", body, "Content-Type: application/json; charset=utf-8");

        EchoDownstream.Received received = assertForwarded(answer, backends.echo);
        assertThat(received.method()).isEqualTo("POST");
        assertThat(received.body()).isEqualTo(body);
        assertIdentity(received, user);
    }

    @Test
    void aForwardingLoginRouteSendsAFormBodyIntact() {
        WechatUser user = backends.newUser(FIRST_APPID, false);
        String body = "code=" + backends.issueCode(user) + "&device=phone%20X&x=1";

        Answer answer = gateway.post("/wx/login-forward", body, "Content-Type: application/x-www-form-urlencoded");

        EchoDownstream.Received received = assertForwarded(answer, backends.echo);
        assertThat(received.body()).isEqualTo(body);
        assertIdentity(received, user);
    }

    @Test
    void aForwardingLoginRouteReturnsTheServicesAnswerWithAWorkingTokenAndItsLifetime() {
        WechatUser user = backends.newUser(FIRST_APPID, true);

        Answer answer = gateway.post("/wx/login-forward", "{\"code\":\"" + backends.issueCode(user) + "\"}",
                "Content-Type: application/json");

        assertThat(answer.status()).as("%s", answer).isEqualTo(200);
        assertThat(answer.json().get("path").asString()).as("the echo's own report").isEqualTo("/wx/login-forward");
        assertThat(answer.headerValues("X-Auth-Expires-In")).containsExactly(Long.toString(SEVEN_DAYS));
        assertThat(answer.headerValues("X-Auth-Token")).hasSize(1);
        backends.echo.clear();
        Answer used = gateway.get(REQUIRED, "Authorization: Bearer " + answer.header("X-Auth-Token"));
        assertIdentity(assertForwarded(used, backends.echo), user);
    }

    @Test
    void aForwardingLoginRouteNeverForwardsTheClientsAuthorizationOrAClientSentIdentity() {
        String someonesToken = gateway.newToken();
        WechatUser user = backends.newUser(FIRST_APPID, false);
        backends.echo.clear();

        Answer answer = gateway.post("/wx/login-forward", "{\"code\":\"" + backends.issueCode(user) + "\"}",
                "Content-Type: application/json", "Authorization: Bearer " + someonesToken,
                "X-OpenId: o_spoofed", "X-UnionId: u_spoofed", "X-AppId: " + SECOND_APPID);

        EchoDownstream.Received received = assertForwarded(answer, backends.echo);
        assertIdentityJwt(received, gateway, user, answer.header("X-Auth-Token"), "login-forward");
        assertThat(received.headers()).noneMatch(h -> h.getValue().contains(someonesToken));
        assertThat(valuesNamedLike(received, "X-OpenId")).containsExactly(user.openid());
        assertThat(received.hasHeaderNamedLike("X-UnionId")).isFalse();
        assertThat(valuesNamedLike(received, "X-AppId")).containsExactly(FIRST_APPID);
    }

    private static String appidOfSession(Answer login) {
        Answer session = gateway.get("/wx/session", "Authorization: Bearer " + login.json().get("token").asString());
        assertThat(session.status()).as("%s", session).isEqualTo(200);
        return session.json().get("appid").asString();
    }
}
