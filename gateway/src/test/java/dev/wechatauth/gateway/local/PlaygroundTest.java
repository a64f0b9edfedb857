package dev.wechatauth.gateway.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import dev.wechatauth.gateway.rig.Answer;
import dev.wechatauth.gateway.rig.ContractAssertions;
import dev.wechatauth.gateway.rig.Gateway;
import dev.wechatauth.gateway.rig.Gateways;
import org.junit.jupiter.api.Test;

/**
 * The playground is served at {@code /playground/} in the {@code local} profile, with the client library itself beside
 * it; without that profile none of it exists: every path of it is the gateway's 404 {@code not_found}.
 */
class PlaygroundTest {

    private static final String[] PLAYGROUND_FILES = {"/playground/", "/playground/index.html",
            "/playground/wechat-auth.js", "/playground/wx-shim.js", "/playground/playground.js"};

    @Test
    void theLocalProfileServesThePageWithTheClientLibrary() throws IOException {
        Gateway local = Gateways.local();

        Answer page = local.get("/playground/");
        assertThat(page.status()).as("%s", page).isEqualTo(200);
        assertThat(page.header("Content-Type")).startsWith("text/html");
        assertThat(page.body()).contains("<script src=\"wechat-auth.js\"></script>", "<script src=\"wx-shim.js\"></script>");

        Answer library = local.get("/playground/wechat-auth.js");
        assertThat(library.status()).as("%s", library).isEqualTo(200);
        assertThat(library.body()).as("the library the playground runs is client/wechat-auth.js as it is")
                .isEqualTo(Files.readString(Gateways.repositoryRoutes().resolveSibling(Path.of("client", "wechat-auth.js"))));
        for (String file : PLAYGROUND_FILES) {
            assertThat(local.get(file).status()).as(file).isEqualTo(200);
        }
    }

    @Test
    void thePlaygroundWithoutItsSlashRedirectsToIt() {
        Answer answer = Gateways.local().get("/playground");

        assertThat(answer.status()).isEqualTo(308);
        assertThat(answer.header("Location")).isEqualTo("/playground/");
    }

    @Test
    void theSandboxEncryptsDataForAUserOfALoginCode() {
        Answer sealed = Gateways.local().post("/playground/sandbox/encrypt?code=someone:123", "{\"a\":1}",
                "Content-Type: application/json");

        assertThat(sealed.status()).as("%s", sealed).isEqualTo(200);
        assertThat(sealed.json().get("encryptedData").asString()).isNotBlank();
        assertThat(sealed.json().get("iv").asString()).isNotBlank();
        Answer notAnObject = Gateways.local().post("/playground/sandbox/encrypt?code=someone", "[1]",
                "Content-Type: application/json");
        assertThat(notAnObject.json().get("errcode").asInt()).isEqualTo(47001);
    }

    @Test
    void withoutTheLocalProfileThereIsNoPlayground() {
        Gateway gateway = Gateways.shared();

        for (String file : PLAYGROUND_FILES) {
            Answer answer = gateway.get(file);
            ContractAssertions.assertError(answer, 404, "not_found");
        }
        ContractAssertions.assertError(gateway.get("/playground"), 404, "not_found");
        ContractAssertions.assertError(gateway.post("/playground/sandbox/encrypt?code=x", "{}",
                "Content-Type: application/json"), 404, "not_found");
    }
}
