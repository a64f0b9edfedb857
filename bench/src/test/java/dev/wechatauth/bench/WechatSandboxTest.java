package dev.wechatauth.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import org.junit.jupiter.api.Test;

class WechatSandboxTest {

    private final HttpClient client = HttpClient.newHttpClient();

    private HttpResponse<String> code2Session(WechatSandbox sandbox, String code) throws Exception {
        URI uri = URI.create("http://127.0.0.1:" + sandbox.port() + "/sns/jscode2session?appid=wxbench&secret=s"
                + "&js_code=" + code + "&grant_type=authorization_code");
        return client.send(HttpRequest.newBuilder(uri).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void answersTextPlainJsonAfterTheLatency() throws Exception {
        try (WechatSandbox sandbox = new WechatSandbox(0, Duration.ofMillis(200))) {
            long start = System.nanoTime();
            HttpResponse<String> response = code2Session(sandbox, "code-1");
            long elapsedMs = (System.nanoTime() - start) / 1_000_000;

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().firstValue("Content-Type")).hasValue("text/plain");
            assertThat(response.body()).matches(
                    "\\{\"openid\":\"o_[0-9a-f]{24}\",\"session_key\":\"[A-Za-z0-9+/]{22}==\"}");
            assertThat(elapsedMs).isGreaterThanOrEqualTo(200);
        }
    }

    @Test
    void theSameCodeIsTheSameUserAndAnyCodeLogsIn() throws Exception {
        try (WechatSandbox sandbox = new WechatSandbox(0, Duration.ZERO)) {
            String first = code2Session(sandbox, "same").body();
            String again = code2Session(sandbox, "same").body();
            String other = code2Session(sandbox, "other").body();

            String openid = "\"openid\":\"" + WechatSandbox.openid("same") + "\"";
            assertThat(first).contains(openid);
            assertThat(again).contains(openid);
            assertThat(other).doesNotContain(openid).contains("\"openid\":\"o_");
            assertThat(code2Session(sandbox, "").body()).contains("\"errcode\":40029");
        }
    }

    @Test
    void codesWithTheSameUserBeforeATildeAreOneUserOnSeveralDevices() {
        assertThat(WechatSandbox.openid("u7~1")).isEqualTo(WechatSandbox.openid("u7~2"))
                .isEqualTo(WechatSandbox.openid("u7")).isNotEqualTo(WechatSandbox.openid("u8~1"));
    }
}
