package dev.wechatauth.gateway.startup;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.wechatauth.gateway.rig.Answer;
import dev.wechatauth.gateway.rig.Backends;
import dev.wechatauth.gateway.rig.GatewayProcess;
import dev.wechatauth.gateway.rig.Gateways;
import dev.wechatauth.gateway.rig.Http;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * docs/reference.md, Build and run: the {@code local} profile starts an embedded Redis and a WeChat sandbox in the
 * process, needs nothing configured but the routes, and warns loudly that codes are not checked with WeChat; the
 * sandbox answers any phone code with a fake number, and decryption works with its session_keys (its
 * {@code /sandbox/encrypt} makes the data). A real
 * {@code java … GatewayApplication --spring.profiles.active=local} process with only the repository's
 * {@code routes.yml} (and its ports) given ({@link Gateways#local()}).
 */
class LocalProfileTest {

    private static GatewayProcess gateway;

    @BeforeAll
    static void startTheLocalProfile() {
        gateway = Gateways.local();
    }

    @Test
    void anyCodeLogsIn() {
        Answer answer = gateway.login("whatever-code-" + Backends.random(4));

        assertThat(answer.status()).as("%s", answer).isEqualTo(200);
        JsonNode json = answer.json();
        assertThat(json.get("token").asString()).isNotBlank();
        assertThat(json.get("tokenType").asString()).isEqualTo("Bearer");
        assertThat(json.get("openid").asString()).matches("[A-Za-z0-9_-]{1,64}");
    }

    @Test
    void theSameCodeIsTheSameUserAndAnotherCodeAnotherUser() {
        String code = "same-code-" + Backends.random(4);

        String first = gateway.login(code).json().get("openid").asString();
        String again = gateway.login(code).json().get("openid").asString();
        String other = gateway.login("other-code-" + Backends.random(4)).json().get("openid").asString();

        assertThat(again).isEqualTo(first);
        assertThat(other).isNotEqualTo(first);
    }

    @Test
    void theTokenOfALocalLoginOpensARequiredRoute() {
        JsonNode login = gateway.login("route-code-" + Backends.random(4)).json();

        Answer answer = gateway.withToken(login.get("token").asString());

        assertThat(answer.status()).as("%s", answer).isEqualTo(200);
        assertThat(answer.json().get("identity").get("X-OpenId").asString()).isEqualTo(login.get("openid").asString());
    }

    @Test
    void anyPhoneCodeGivesAFakeNumber() {
        String token = gateway.login("phone-user-" + Backends.random(4)).json().get("token").asString();

        Answer answer = gateway.post("/wx/phone", "{\"code\":\"any-phone-code\"}", "Authorization: Bearer " + token,
                "Content-Type: application/json");

        assertThat(answer.status()).as("%s", answer).isEqualTo(200);
        JsonNode json = answer.json();
        assertThat(json.get("phoneNumber").asString()).matches("\\+861[0-9]{10}");
        assertThat(json.get("purePhoneNumber").asString()).matches("1[0-9]{10}");
        assertThat(json.get("countryCode").asString()).isEqualTo("86");
    }

    @Test
    void dataTheSandboxEncryptsForAUserDecryptsWithThatUsersSession() {
        String code = "decrypt-user-" + Backends.random(4);
        String token = gateway.login(code).json().get("token").asString();
        Matcher sandbox = Pattern.compile("WeChat sandbox: (http://127\\.0\\.0\\.1:[0-9]+)").matcher(gateway.output());
        assertThat(sandbox.find()).as("the sandbox's address in the start-up warning").isTrue();
        Answer sealed = Http.to(sandbox.group(1)).post("/sandbox/encrypt?code=" + code,
                "{\"stepInfoList\":[{\"timestamp\":1700000000,\"step\":4321}]}", "Content-Type: application/json");
        assertThat(sealed.status()).as("%s", sealed).isEqualTo(200);

        Answer answer = gateway.post("/wx/decrypt", sealed.body(), "Authorization: Bearer " + token,
                "Content-Type: application/json");

        assertThat(answer.status()).as("%s", answer).isEqualTo(200);
        assertThat(answer.body()).isEqualTo("{\"stepInfoList\":[{\"timestamp\":1700000000,\"step\":4321}]}");
        Answer otherUser = gateway.post("/wx/decrypt", sealed.body(), "Authorization: Bearer "
                + gateway.login("someone-else-" + Backends.random(4)).json().get("token").asString(),
                "Content-Type: application/json");
        assertThat(otherUser.status()).as("%s", otherUser).isEqualTo(400);
    }

    @Test
    void theLogWarnsLoudlyThatCodesAreNotCheckedWithWechat() {
        assertThat(gateway.output().toLowerCase()).contains("not checked with wechat");
        assertThat(gateway.output()).contains("WARN");
    }
}
