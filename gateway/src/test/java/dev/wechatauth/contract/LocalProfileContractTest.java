package dev.wechatauth.contract;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import dev.wechatauth.testkit.EchoDownstream;
import dev.wechatauth.testkit.FreePort;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * CONTRACT.md, "Build and run": the {@code local} profile starts an embedded Redis and a WeChat sandbox in the
 * process, needs nothing configured but the routes, and warns loudly that codes are not checked with WeChat. A real
 * {@code java … GatewayApplication --spring.profiles.active=local} process with only {@code gateway.routes-file}
 * (and a port) given.
 */
class LocalProfileContractTest {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private static EchoDownstream echo;
    private static Path routes;
    private static GatewayProcess gateway;
    private static int port;

    @BeforeAll
    static void startTheLocalProfile() throws Exception {
        echo = EchoDownstream.start();
        routes = Files.createTempFile("contract-local-routes-", ".yml");
        Files.writeString(routes, """
                routes:
                  - id: login
                    uri: no://op
                    predicates: [Path=/wx/login]
                    metadata: { auth: login }
                  - id: orders
                    uri: %s
                    predicates: [Path=/api/orders/**]
                    metadata: { auth: required }
                """.formatted(echo.baseUrl()));
        port = FreePort.next();
        gateway = GatewayProcess.start(List.of("--spring.profiles.active=local", "--server.port=" + port,
                "--gateway.routes-file=" + routes));
        awaitListening(Duration.ofSeconds(60));
    }

    @AfterAll
    static void stopTheLocalProfile() throws IOException {
        if (gateway != null) {
            gateway.close();
        }
        echo.close();
        Files.deleteIfExists(routes);
    }

    @Test
    void anyCodeLogsIn() throws Exception {
        HttpResponse<String> answer = login("whatever-code-" + Backends.random(4));

        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        JsonNode json = JSON.readTree(answer.body());
        assertThat(json.get("token").asString()).isNotBlank();
        assertThat(json.get("tokenType").asString()).isEqualTo("Bearer");
        assertThat(json.get("openid").asString()).matches("[A-Za-z0-9_-]{1,64}");
    }

    @Test
    void theSameCodeIsTheSameUserAndAnotherCodeAnotherUser() throws Exception {
        String code = "same-code-" + Backends.random(4);

        String first = JSON.readTree(login(code).body()).get("openid").asString();
        String again = JSON.readTree(login(code).body()).get("openid").asString();
        String other = JSON.readTree(login("other-code-" + Backends.random(4)).body()).get("openid").asString();

        assertThat(again).isEqualTo(first);
        assertThat(other).isNotEqualTo(first);
    }

    @Test
    void theTokenOfALocalLoginOpensARequiredRoute() throws Exception {
        JsonNode login = JSON.readTree(login("route-code-" + Backends.random(4)).body());
        echo.clear();

        HttpResponse<String> answer = HTTP.send(HttpRequest.newBuilder(URI.create(base() + "/api/orders/1"))
                .header("Authorization", "Bearer " + login.get("token").asString()).build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        assertThat(echo.last().headerValues("X-OpenId")).containsExactly(login.get("openid").asString());
    }

    @Test
    void theLogWarnsLoudlyThatCodesAreNotCheckedWithWechat() {
        assertThat(gateway.output().toLowerCase()).contains("not checked with wechat");
        assertThat(gateway.output()).contains("WARN");
    }

    private static HttpResponse<String> login(String code) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(base() + "/wx/login"))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"code\":\"" + code + "\"}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static String base() {
        return "http://127.0.0.1:" + port;
    }

    private static void awaitListening(Duration limit) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < deadline) {
            if (!gateway.isAlive()) {
                throw new AssertionError("the local profile exited with " + gateway.exitCode() + ":\n" + gateway.output());
            }
            try {
                HTTP.send(HttpRequest.newBuilder(URI.create(base() + "/actuator/health")).build(),
                        HttpResponse.BodyHandlers.discarding());
                return;
            } catch (ConnectException notYet) {
                Thread.sleep(200);
            } catch (IOException notYet) {
                Thread.sleep(200);
            }
        }
        throw new AssertionError("the local profile did not listen within " + limit + ":\n" + gateway.output());
    }
}
