package dev.wechatauth.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

class WechatStandInTest {

    private static final String APP = "wx-app-a";
    private static final String SECRET = "secret-a";
    private static final HttpClient HTTP = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2))
            .build();
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private static WechatStandIn wechat;

    @BeforeAll
    static void startStandIn() {
        wechat = WechatStandIn.start();
    }

    @AfterAll
    static void stopStandIn() {
        wechat.close();
    }

    @BeforeEach
    void reset() {
        wechat.clearScripts();
        wechat.resetCounters();
        wechat.registerApp(APP, SECRET);
    }

    @Test
    void baseUrlHasNoTrailingSlash() {
        assertThat(wechat.baseUrl()).matches("http://127\\.0\\.0\\.1:\\d+");
    }

    @Test
    void firstExchangeAnswersTheSessionAsTextPlainJson() throws Exception {
        wechat.issueCode(APP, "code-ok", "openid-1", "unionid-1", "key-1");

        HttpResponse<String> response = exchange(APP, SECRET, "code-ok");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("text/plain");
        JsonNode body = JSON.readTree(response.body());
        assertThat(body.get("openid").asString()).isEqualTo("openid-1");
        assertThat(body.get("session_key").asString()).isEqualTo("key-1");
        assertThat(body.get("unionid").asString()).isEqualTo("unionid-1");
        assertThat(body.has("errcode")).isFalse();
    }

    @Test
    void unionidIsAbsentWhenNotIssued() throws Exception {
        wechat.issueCode(APP, "code-no-union", "openid-2", null, "key-2");

        String body = exchange(APP, SECRET, "code-no-union").body();

        assertThat(body).isEqualTo("{\"openid\":\"openid-2\",\"session_key\":\"key-2\"}");
    }

    @Test
    void aCodeWorksOnceThenAnswers40163() throws Exception {
        wechat.issueCode(APP, "code-once", "openid-3", null, "key-3");

        assertThat(exchange(APP, SECRET, "code-once").body()).contains("\"openid\":\"openid-3\"");
        HttpResponse<String> second = exchange(APP, SECRET, "code-once");

        assertThat(second.statusCode()).isEqualTo(200);
        assertThat(second.headers().firstValue("Content-Type")).hasValue("text/plain");
        assertThat(second.body()).matches("\\{\"errcode\":40163,\"errmsg\":\"code been used, rid: [0-9a-f-]+\"}");
        assertThat(errcode(exchange(APP, SECRET, "code-once"))).isEqualTo(40163);
        assertThat(wechat.calls("code-once")).isEqualTo(3);
    }

    @Test
    void unknownCodeAnswers40029() throws Exception {
        HttpResponse<String> response = exchange(APP, SECRET, "never-issued");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).matches("\\{\"errcode\":40029,\"errmsg\":\"invalid code, rid: [0-9a-f-]+\"}");
    }

    @Test
    void aCodeOfAnotherAppAnswers40029() throws Exception {
        wechat.registerApp("wx-app-b", "secret-b");
        wechat.issueCode(APP, "code-of-a", "openid-4", null, "key-4");

        assertThat(errcode(exchange("wx-app-b", "secret-b", "code-of-a"))).isEqualTo(40029);
        assertThat(exchange(APP, SECRET, "code-of-a").body()).contains("openid-4");
    }

    @Test
    void unknownAppWrongSecretAndWrongGrantTypeAreConfigurationErrors() throws Exception {
        wechat.issueCode(APP, "code-cfg", "openid-5", null, "key-5");

        assertThat(errcode(exchange("wx-unknown", SECRET, "code-cfg"))).isEqualTo(40013);
        assertThat(errcode(exchange(APP, "wrong-secret", "code-cfg"))).isEqualTo(40125);
        assertThat(errcode(get("/sns/jscode2session?appid=" + APP + "&secret=" + SECRET + "&js_code=code-cfg")))
                .isEqualTo(40002);
        assertThat(errcode(get("/sns/jscode2session?appid=" + APP + "&secret=" + SECRET
                + "&js_code=code-cfg&grant_type=client_credential"))).isEqualTo(40002);
        // none of these consumed the code
        assertThat(exchange(APP, SECRET, "code-cfg").body()).contains("openid-5");
    }

    @Test
    void concurrentExchangesOfOneCodeSucceedExactlyOnce() throws Exception {
        for (int round = 0; round < 10; round++) {
            String code = "race-" + round;
            wechat.issueCode(APP, code, "openid-race", null, "key-race");
            List<CompletableFuture<HttpResponse<String>>> racing = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                racing.add(HTTP.sendAsync(exchangeRequest(APP, SECRET, code), BodyHandlers.ofString()));
            }
            List<String> bodies = racing.stream().map(CompletableFuture::join).map(HttpResponse::body).toList();

            assertThat(bodies).filteredOn(body -> body.contains("\"openid\"")).hasSize(1);
            assertThat(bodies).filteredOn(body -> body.contains("\"errcode\":40163")).hasSize(3);
        }
    }

    @Test
    void countsCallsAndKeepsTheRawQuery() throws Exception {
        String code = "a+b/c d&e";
        wechat.issueCode(APP, code, "openid-6", null, "key-6");

        assertThat(exchange(APP, SECRET, code).body()).contains("openid-6");
        get("/elsewhere?js_code=" + URLEncoder.encode(code, StandardCharsets.UTF_8));

        assertThat(wechat.calls()).isEqualTo(2);
        assertThat(wechat.calls(code)).isEqualTo(2);
        assertThat(wechat.calls("other")).isZero();
        assertThat(wechat.lastQuery()).isEqualTo("js_code=a%2Bb%2Fc+d%26e");

        wechat.resetCounters();
        assertThat(wechat.calls()).isZero();
        assertThat(wechat.calls(code)).isZero();
        assertThat(wechat.lastQuery()).isNull();
    }

    @Test
    void otherPathsAnswer404() throws Exception {
        assertThat(get("/cgi-bin/token").statusCode()).isEqualTo(404);
    }

    @Test
    void scriptedCodeAnswersItsReplyEveryTimeWithoutConsumingTheCode() throws Exception {
        wechat.issueCode(APP, "code-scripted", "openid-7", null, "key-7");
        wechat.script("code-scripted", Reply.errcode(-1));

        HttpResponse<String> busy = exchange(APP, SECRET, "code-scripted");
        assertThat(busy.statusCode()).isEqualTo(200);
        assertThat(busy.headers().firstValue("Content-Type")).hasValue("text/plain");
        assertThat(busy.body()).matches("\\{\"errcode\":-1,\"errmsg\":\"system error, rid: [0-9a-f-]+\"}");
        assertThat(errcode(exchange(APP, SECRET, "code-scripted"))).isEqualTo(-1);

        wechat.clearScripts();
        assertThat(exchange(APP, SECRET, "code-scripted").body()).contains("openid-7");
    }

    @Test
    void scriptAllAnswersEveryRequestUntilCleared() throws Exception {
        wechat.issueCode(APP, "code-all", "openid-8", null, "key-8");
        wechat.scriptAll(Reply.errcode(45011));

        assertThat(errcode(exchange(APP, SECRET, "code-all"))).isEqualTo(45011);
        assertThat(errcode(exchange("wx-unknown", "x", "anything"))).isEqualTo(45011);

        wechat.clearScripts();
        assertThat(exchange(APP, SECRET, "code-all").body()).contains("openid-8");
    }

    @Test
    void statusReply() throws Exception {
        wechat.script("c", Reply.status(503));

        HttpResponse<String> response = exchange(APP, SECRET, "c");

        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(response.body()).isEqualTo("503 Service Unavailable");
    }

    @Test
    void bodyReply() throws Exception {
        wechat.script("c", Reply.body("<html>not json"));

        HttpResponse<String> response = exchange(APP, SECRET, "c");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("text/plain");
        assertThat(response.body()).isEqualTo("<html>not json");
    }

    @Test
    void largeBodyReplyStreamsExactlyThatManyBytes() throws Exception {
        int tenMegabytes = 10 * 1024 * 1024;
        wechat.script("c", Reply.largeBody(tenMegabytes));

        HttpResponse<InputStream> response = HTTP.send(exchangeRequest(APP, SECRET, "c"), BodyHandlers.ofInputStream());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("text/plain");
        assertThat(response.headers().firstValue("Content-Length")).isEmpty();
        try (InputStream body = response.body()) {
            byte[] start = body.readNBytes(11);
            assertThat(new String(start, StandardCharsets.US_ASCII)).isEqualTo("{\"openid\":\"");
            long rest = body.transferTo(OutputStream.nullOutputStream());
            assertThat(start.length + rest).isEqualTo(tenMegabytes);
        }
    }

    @Test
    void redirectReply() throws Exception {
        wechat.script("c", Reply.redirect("http://127.0.0.1:1/elsewhere"));

        HttpResponse<String> response = exchange(APP, SECRET, "c");

        assertThat(response.statusCode()).isEqualTo(302);
        assertThat(response.headers().firstValue("Location")).hasValue("http://127.0.0.1:1/elsewhere");
    }

    @Test
    void delayedReplyAnswersLaterWithoutBlockingTheServer() throws Exception {
        wechat.script("slow", Reply.delayed(Duration.ofMillis(600), Reply.errcode(-1)));

        long started = System.nanoTime();
        // more concurrent slow answers than the server has event-loop threads
        List<CompletableFuture<HttpResponse<String>>> slow = new ArrayList<>();
        for (int i = 0; i < 3 * Runtime.getRuntime().availableProcessors(); i++) {
            slow.add(HTTP.sendAsync(exchangeRequest(APP, SECRET, "slow"), BodyHandlers.ofString()));
        }
        wechat.issueCode(APP, "fast", "openid-9", null, "key-9");
        assertThat(exchange(APP, SECRET, "fast").body()).contains("openid-9");
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofMillis(600));

        for (CompletableFuture<HttpResponse<String>> answer : slow) {
            assertThat(errcode(answer.join())).isEqualTo(-1);
        }
        Duration elapsed = Duration.ofNanos(System.nanoTime() - started);
        assertThat(elapsed).isGreaterThanOrEqualTo(Duration.ofMillis(600)).isLessThan(Duration.ofMillis(3000));
    }

    @Test
    void hangReplyNeverAnswers() {
        wechat.script("c", Reply.hang());
        HttpRequest request = HttpRequest.newBuilder(exchangeUri(APP, SECRET, "c"))
                .timeout(Duration.ofMillis(300))
                .build();

        assertThatThrownBy(() -> HTTP.send(request, BodyHandlers.ofString())).isInstanceOf(HttpTimeoutException.class);
        assertThat(wechat.calls("c")).isEqualTo(1);
    }

    @Test
    void resetReplyClosesTheConnectionWithoutAnswer() {
        wechat.script("c", Reply.reset());

        assertThatThrownBy(() -> exchange(APP, SECRET, "c")).isInstanceOf(IOException.class)
                .isNotInstanceOf(HttpTimeoutException.class);
    }

    private static int errcode(HttpResponse<String> response) {
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("text/plain");
        JsonNode body = JSON.readTree(response.body());
        assertThat(body.get("errmsg").asString()).contains(", rid: ");
        return body.get("errcode").asInt();
    }

    private static HttpResponse<String> exchange(String appid, String secret, String code) throws Exception {
        return HTTP.send(exchangeRequest(appid, secret, code), BodyHandlers.ofString());
    }

    private static HttpResponse<String> get(String pathAndQuery) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(wechat.baseUrl() + pathAndQuery))
                .timeout(Duration.ofSeconds(5))
                .build();
        return HTTP.send(request, BodyHandlers.ofString());
    }

    private static HttpRequest exchangeRequest(String appid, String secret, String code) {
        return HttpRequest.newBuilder(exchangeUri(appid, secret, code)).timeout(Duration.ofSeconds(5)).build();
    }

    private static URI exchangeUri(String appid, String secret, String code) {
        return URI.create(wechat.baseUrl() + "/sns/jscode2session?appid=" + enc(appid) + "&secret=" + enc(secret)
                + "&js_code=" + enc(code) + "&grant_type=authorization_code");
    }

    private static String enc(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}
