package dev.wechatauth.gateway.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

import dev.wechatauth.gateway.rig.Answer;
import dev.wechatauth.gateway.rig.Backends;
import dev.wechatauth.gateway.rig.GatewayProcess;
import dev.wechatauth.gateway.rig.Gateways;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * README, the run command: in the {@code local} profile the example routes of the repository's {@code routes.yml}
 * answer on a laptop, through the profile's echo backend, whose answer shows what a backend received: the identity
 * headers, the phone headers, a JWT decoded (not verified), every header and the body.
 */
class LocalExampleRoutesTest {

    private static GatewayProcess gateway;
    private static String token;
    private static String openid;

    @BeforeAll
    static void logIn() {
        gateway = Gateways.local();
        JsonNode login = gateway.login("routes-user:" + Backends.random(4)).json();
        token = login.get("token").asString();
        openid = login.get("openid").asString();
    }

    @Test
    void aRequiredRouteReachesTheEchoBackendWithTheIdentity() {
        Answer answer = gateway.get("/api/orders/42?x=1", "Authorization: Bearer " + token);

        assertThat(answer.status()).as("%s", answer).isEqualTo(200);
        JsonNode backend = answer.json();
        assertThat(backend.get("method").asString()).isEqualTo("GET");
        assertThat(backend.get("path").asString()).isEqualTo("/api/orders/42");
        assertThat(backend.get("query").asString()).isEqualTo("x=1");
        assertThat(backend.get("identity").get("X-OpenId").asString()).isEqualTo(openid);
        assertThat(backend.get("identity").get("X-AppId").asString()).isEqualTo("wx_local_sandbox");
        assertThat(backend.get("headers").get("X-OpenId").asString()).isEqualTo(openid);
        assertThat(backend.get("phone").size()).isZero();
    }

    @Test
    void theEchoShowsTheGatewaysIdentityJwtDecoded() {
        JsonNode jwt = gateway.get("/api/orders/1", "Authorization: Bearer " + token).json().get("jwt");

        assertThat(jwt.get("in").asString()).isEqualToIgnoringCase("Authorization");
        assertThat(jwt.get("header").get("alg").asString()).isEqualTo("ES256");
        assertThat(jwt.get("claims").get("sub").asString()).isEqualTo(openid);
        assertThat(jwt.get("claims").get("aud").toString()).contains("orders");
        assertThat(jwt.get("claims").get("appid").asString()).isEqualTo("wx_local_sandbox");
        assertThat(jwt.get("verified").asBoolean()).isFalse();
    }

    @Test
    void theOptionalAndPublicRoutesAnswerWithoutAToken() {
        for (String path : new String[] {"/api/catalog/1", "/api/status/1"}) {
            Answer answer = gateway.get(path, "X-OpenId: forged");

            assertThat(answer.status()).as("%s: %s", path, answer).isEqualTo(200);
            assertThat(answer.json().get("identity").size()).as(path).isZero();
            assertThat(answer.json().get("jwt").isNull()).as(path).isTrue();
        }
    }

    @Test
    void theEchoDecodesAJwtThatArrivesWithoutVerifyingIt() {
        String jwt = base64Url("{\"alg\":\"ES256\",\"kid\":\"k1\",\"typ\":\"JWT\"}") + "."
                + base64Url("{\"sub\":\"someone\",\"iss\":\"wechat-auth-gateway\"}") + ".c2lnbmF0dXJl";

        // a public route leaves the client's Authorization alone, so this JWT reaches the backend as sent
        JsonNode backend = gateway.get("/api/status/1", "Authorization: Bearer " + jwt).json();

        assertThat(backend.get("jwt").get("in").asString()).isEqualToIgnoringCase("Authorization");
        assertThat(backend.get("jwt").get("header").get("kid").asString()).isEqualTo("k1");
        assertThat(backend.get("jwt").get("claims").get("sub").asString()).isEqualTo("someone");
        assertThat(backend.get("jwt").get("verified").asBoolean()).isFalse();
    }

    @Test
    void aValueThatOnlyLooksLikeAJwtIsNotShownAsOne() {
        JsonNode backend = gateway.get("/api/status/1", "Authorization: Bearer not.a.jwt",
                "X-Note: " + base64Url("{\"no\":\"alg\"}") + ".e30.").json();

        assertThat(backend.get("jwt").isNull()).as("%s", backend).isTrue();
    }

    @Test
    void thePhoneRouteWithAServiceGivesItThePhoneHeaders() {
        Answer answer = gateway.post("/api/users/me/phone", "{\"code\":\"any-phone-code\"}",
                "Authorization: Bearer " + token, "Content-Type: application/json");

        assertThat(answer.status()).as("%s", answer).isEqualTo(200);
        JsonNode backend = answer.json();
        assertThat(backend.get("identity").get("X-OpenId").asString()).isEqualTo(openid);
        assertThat(backend.get("phone").get("X-Phone-Number").asString()).matches("\\+861[0-9]{10}");
        assertThat(backend.get("phone").get("X-Pure-Phone-Number").asString()).matches("1[0-9]{10}");
        assertThat(backend.get("phone").get("X-Phone-Country-Code").asString()).isEqualTo("86");
        assertThat(backend.get("body").get("code").asString()).isEqualTo("any-phone-code");
    }

    @Test
    void theDecryptRouteWithAServiceGivesItTheDecryptedJson() {
        Answer sealed = gateway.post("/playground/sandbox/encrypt?code=routes-user",
                "{\"stepInfoList\":[{\"timestamp\":1700000000,\"step\":1234}]}", "Content-Type: application/json");
        assertThat(sealed.status()).as("%s", sealed).isEqualTo(200);

        Answer answer = gateway.post("/api/steps", sealed.body(), "Authorization: Bearer " + token,
                "Content-Type: application/json");

        assertThat(answer.status()).as("%s", answer).isEqualTo(200);
        assertThat(answer.json().get("body").toString())
                .isEqualTo("{\"stepInfoList\":[{\"timestamp\":1700000000,\"step\":1234}]}");
        assertThat(answer.json().get("identity").get("X-OpenId").asString()).isEqualTo(openid);
    }

    @Test
    void everyCodeOfOneSandboxUserIsThatUser() {
        String first = gateway.login("sandbox-name:" + Backends.random(4)).json().get("openid").asString();
        String again = gateway.login("sandbox-name:" + Backends.random(4)).json().get("openid").asString();
        String bare = gateway.login("sandbox-name").json().get("openid").asString();

        assertThat(again).isEqualTo(first);
        assertThat(bare).isEqualTo(first);
    }

    private static String base64Url(String json) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8));
    }
}
