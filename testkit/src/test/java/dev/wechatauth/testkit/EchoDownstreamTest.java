package dev.wechatauth.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

class EchoDownstreamTest {

    private static final HttpClient HTTP = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2))
            .build();
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private static EchoDownstream echo;

    @BeforeAll
    static void startEcho() {
        echo = EchoDownstream.start();
    }

    @AfterAll
    static void stopEcho() {
        echo.close();
    }

    @BeforeEach
    void clear() {
        echo.clear();
    }

    @Test
    void echoesMethodPathQueryHeadersAndBody() throws Exception {
        HttpRequest request = request("/api/orders/1?a=b&c=%20d")
                .header("X-Trace", "t-1")
                .POST(HttpRequest.BodyPublishers.ofString("héllo", StandardCharsets.UTF_8))
                .build();

        HttpResponse<String> response = HTTP.send(request, BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
        JsonNode report = JSON.readTree(response.body());
        assertThat(report.get("method").asString()).isEqualTo("POST");
        assertThat(report.get("path").asString()).isEqualTo("/api/orders/1");
        assertThat(report.get("query").asString()).isEqualTo("a=b&c=%20d");
        assertThat(report.get("body").asString()).isEqualTo("héllo");
        assertThat(report.get("headers").valueStream()
                .map(h -> h.get(0).asString() + ": " + h.get(1).asString()).toList())
                .contains("X-Trace: t-1");

        EchoDownstream.Received last = echo.last();
        assertThat(echo.count()).isEqualTo(1);
        assertThat(last.method()).isEqualTo("POST");
        assertThat(last.rawQuery()).isEqualTo("a=b&c=%20d");
        assertThat(last.body()).isEqualTo("héllo");
        assertThat(last.headerValues("x-trace")).containsExactly("t-1");
    }

    @Test
    void queryIsNullAndBodyEmptyWhenAbsent() throws Exception {
        HttpResponse<String> response = HTTP.send(request("/plain").build(), BodyHandlers.ofString());

        JsonNode report = JSON.readTree(response.body());
        assertThat(report.get("query").isNull()).isTrue();
        assertThat(report.get("body").asString()).isEmpty();
        assertThat(echo.last().rawQuery()).isNull();
        assertThat(echo.last().body()).isEmpty();
    }

    @Test
    void recordsTheRawPathAndEveryHeaderLineInOrderAndCase() throws Exception {
        String answer = rawRequest("GET /a%2Fb/./%7Bx%7D/..;/c?q=%41+1 HTTP/1.1\r\n"
                + "Host: 127.0.0.1\r\n"
                + "X-First: 1\r\n"
                + "x_wx_openid: spoofed\r\n"
                + "X-FIRST: 2\r\n"
                + "Connection: close\r\n"
                + "\r\n");

        assertThat(answer).startsWith("HTTP/1.1 200");
        EchoDownstream.Received got = echo.last();
        assertThat(got.path()).isEqualTo("/a%2Fb/./%7Bx%7D/..;/c");
        assertThat(got.rawQuery()).isEqualTo("q=%41+1");
        assertThat(got.headers()).containsExactly(
                Map.entry("Host", "127.0.0.1"),
                Map.entry("X-First", "1"),
                Map.entry("x_wx_openid", "spoofed"),
                Map.entry("X-FIRST", "2"),
                Map.entry("Connection", "close"));
        assertThat(got.headerValues("x-first")).containsExactly("1", "2");
        assertThat(got.header("X-FIRST")).isEqualTo("1");
        assertThat(got.hasHeaderNamedLike("X-WX-OPENID")).isTrue();
        assertThat(got.hasHeaderNamedLike("x_wx_unionid")).isFalse();
        assertThat(answer).contains("[\"x_wx_openid\",\"spoofed\"]");
    }

    @Test
    void keepsEveryRequestInOrderUntilCleared() throws Exception {
        HTTP.send(request("/one").build(), BodyHandlers.ofString());
        HTTP.send(request("/two").DELETE().build(), BodyHandlers.ofString());

        List<EchoDownstream.Received> received = echo.received();
        assertThat(received).extracting(EchoDownstream.Received::path).containsExactly("/one", "/two");
        assertThat(received).extracting(EchoDownstream.Received::method).containsExactly("GET", "DELETE");
        assertThat(echo.count()).isEqualTo(2);
        assertThat(echo.last().path()).isEqualTo("/two");

        echo.clear();
        assertThat(echo.count()).isZero();
        assertThat(echo.last()).isNull();
    }

    @Test
    void slowPathAnswersAfterTheDelay() throws Exception {
        long started = System.nanoTime();

        HttpResponse<String> response = HTTP.send(request("/api/__slow/300/x").build(), BodyHandlers.ofString());

        assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(Duration.ofMillis(300));
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(response.body()).get("path").asString()).isEqualTo("/api/__slow/300/x");
    }

    @Test
    void hangPathNeverAnswers() {
        HttpRequest request = request("/__hang/x").timeout(Duration.ofMillis(300)).build();

        assertThatThrownBy(() -> HTTP.send(request, BodyHandlers.ofString())).isInstanceOf(HttpTimeoutException.class);
        assertThat(echo.last().path()).isEqualTo("/__hang/x");
    }

    @Test
    void resetPathClosesTheConnectionWithoutAnswer() {
        assertThatThrownBy(() -> HTTP.send(request("/x/__reset/y").build(), BodyHandlers.ofString()))
                .isInstanceOf(IOException.class)
                .isNotInstanceOf(HttpTimeoutException.class);
        assertThat(echo.count()).isPositive();
    }

    @Test
    void statusPathAnswersThatStatusWithTheEcho() throws Exception {
        HttpResponse<String> response = HTTP.send(request("/__status/503/api").build(), BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(JSON.readTree(response.body()).get("path").asString()).isEqualTo("/__status/503/api");
    }

    @Test
    void headerPathAddsResponseHeaders() throws Exception {
        HttpResponse<String> response = HTTP.send(
                request("/api/__header/X-Session-Key/leak%20me/__header/Set-Cookie/a=b/end").build(),
                BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("X-Session-Key")).hasValue("leak me");
        assertThat(response.headers().firstValue("Set-Cookie")).hasValue("a=b");
    }

    @Test
    void specialSegmentsCombine() throws Exception {
        HttpResponse<String> response = HTTP.send(
                request("/__slow/50/__status/418/__header/X-A/1").build(), BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(418);
        assertThat(response.headers().firstValue("X-A")).hasValue("1");
    }

    private static HttpRequest.Builder request(String pathAndQuery) {
        return HttpRequest.newBuilder(URI.create(echo.baseUrl() + pathAndQuery)).timeout(Duration.ofSeconds(5));
    }

    /** Sends bytes exactly as given and reads the whole answer (the request asks to close the connection). */
    private static String rawRequest(String request) throws IOException {
        URI base = URI.create(echo.baseUrl());
        try (Socket socket = new Socket(base.getHost(), base.getPort())) {
            socket.setSoTimeout(5000);
            OutputStream out = socket.getOutputStream();
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = socket.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
