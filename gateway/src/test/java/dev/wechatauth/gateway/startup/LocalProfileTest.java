package dev.wechatauth.gateway.startup;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

import dev.wechatauth.gateway.rig.Answer;
import dev.wechatauth.gateway.rig.Backends;
import dev.wechatauth.gateway.rig.GatewayLauncher;
import dev.wechatauth.gateway.rig.GatewayProcess;
import dev.wechatauth.gateway.rig.Routes;
import dev.wechatauth.testkit.EchoDownstream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * docs/reference.md, Build and run: the {@code local} profile starts an embedded Redis and a WeChat sandbox in the
 * process, needs nothing configured but the routes, and warns loudly that codes are not checked with WeChat. A real
 * {@code java … GatewayApplication --spring.profiles.active=local} process with only {@code gateway.routes-file}
 * (and its ports) given.
 */
class LocalProfileTest {

    private static EchoDownstream echo;
    private static GatewayProcess gateway;

    @BeforeAll
    static void startTheLocalProfile() {
        echo = EchoDownstream.start();
        gateway = GatewayLauncher.withoutBackends()
                .with("spring.profiles.active=local",
                        "gateway.routes-file=" + Routes.withLogin()
                                .route("orders", "/api/orders/**", echo.baseUrl(), "required").write())
                .startProcessListening(Duration.ofSeconds(60));
    }

    @AfterAll
    static void stopTheLocalProfile() {
        if (gateway != null) {
            gateway.close();
        }
        echo.close();
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
        echo.clear();

        Answer answer = gateway.withToken(login.get("token").asString());

        assertThat(answer.status()).as("%s", answer).isEqualTo(200);
        assertThat(echo.last().headerValues("X-OpenId")).containsExactly(login.get("openid").asString());
    }

    @Test
    void theLogWarnsLoudlyThatCodesAreNotCheckedWithWechat() {
        assertThat(gateway.output().toLowerCase()).contains("not checked with wechat");
        assertThat(gateway.output()).contains("WARN");
    }
}
