package dev.wechatauth.examples.orders;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.UUID;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.wechatauth.testkit.FreePort;
import dev.wechatauth.testkit.RedisProcess;
import dev.wechatauth.testkit.WechatStandIn;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The example service behind a real gateway ({@code gateway/target/gateway.jar} in a process of its own, on a Redis
 * process and a WeChat stand-in): through the gateway it answers with the user's openid; called directly, neither a
 * forged {@code X-OpenId} nor a JWT signed by another key gets past it, and a JWT the gateway made for another route
 * is refused.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.DEFINED_PORT)
class OrdersServiceIT {

    private static final String APPID = "wx_orders_example";
    private static final String SECRET = "orders-example-Secret-1";
    private static final int ORDERS_PORT = FreePort.next();
    private static final int GATEWAY_PORT = FreePort.next();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static RedisProcess redis;
    private static WechatStandIn wechat;
    private static Process gateway;
    private static Path gatewayLog;

    @DynamicPropertySource
    static void pointAtTheGateway(DynamicPropertyRegistry properties) {
        properties.add("server.port", () -> ORDERS_PORT);
        properties.add("spring.security.oauth2.resourceserver.jwt.jwk-set-uri",
                () -> "http://127.0.0.1:" + GATEWAY_PORT + "/.well-known/jwks.json");
    }

    @BeforeAll
    static void startTheGateway() throws IOException {
        Path jar = Path.of(System.getProperty("gateway.jar", "../../gateway/target/gateway.jar"));
        assertThat(jar).as("the packaged gateway (run ./mvnw verify, which packages it first)").exists();
        redis = RedisProcess.start();
        wechat = WechatStandIn.start();
        wechat.registerApp(APPID, SECRET);
        Path routes = Files.createTempFile("orders-example-routes", ".yml");
        Files.writeString(routes, """
                routes:
                  - id: login
                    uri: no://op
                    predicates: [Path=/wx/login]
                    metadata: { auth: login }
                  - id: orders
                    uri: http://127.0.0.1:%1$d
                    predicates: [Path=/api/orders/**]
                    metadata: { auth: required }
                  - id: reports
                    uri: http://127.0.0.1:%1$d
                    predicates: [Path=/reports/api/orders/**]
                    filters: [StripPrefix=1]
                    metadata: { auth: required }
                """.formatted(ORDERS_PORT));
        gatewayLog = Files.createTempFile("orders-example-gateway", ".log");
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-XX:TieredStopAtLevel=1", "-jar", jar.toString(),
                "--server.port=" + GATEWAY_PORT, "--management.server.port=" + FreePort.next(),
                "--spring.data.redis.url=" + redis.url(), "--wechat.auth.api-base-url=" + wechat.baseUrl(),
                "--wechat.auth.apps[0].appid=" + APPID, "--wechat.auth.apps[0].secret=" + SECRET,
                "--gateway.routes-file=" + routes));
        gateway = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(gatewayLog.toFile()).start();
        await("the gateway's JWK Set (log: " + gatewayLog + ")").atMost(Duration.ofSeconds(90))
                .pollInterval(Duration.ofMillis(250)).ignoreExceptions()
                .until(() -> get(gatewayUrl("/.well-known/jwks.json")).statusCode() == 200);
    }

    @AfterAll
    static void stopEverything() {
        if (gateway != null) {
            gateway.destroy();
        }
        if (wechat != null) {
            wechat.close();
        }
        if (redis != null) {
            redis.close();
        }
    }

    @Test
    void throughTheGatewayTheServiceAnswersWithTheUsersOpenid() throws Exception {
        String openid = "o_orders_" + UUID.randomUUID().toString().substring(0, 8);

        HttpResponse<String> answer = get(gatewayUrl("/api/orders/42"), "Authorization", "Bearer " + login(openid));

        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        assertThat(answer.body()).contains("\"openid\":\"" + openid + "\"").contains("\"appid\":\"" + APPID + "\"")
                .contains("\"id\":\"42\"");
    }

    @Test
    void calledDirectlyWithAForgedOpenidHeaderTheServiceAnswers401() throws Exception {
        HttpResponse<String> answer = get(ordersUrl("/api/orders/42"), "X-OpenId", "o_someone_else");

        assertThat(answer.statusCode()).isEqualTo(401);
        assertThat(answer.body()).doesNotContain("o_someone_else");
    }

    @Test
    void calledDirectlyWithAJwtSignedByAnotherKeyTheServiceAnswers401() throws Exception {
        String gatewaysKid = JWKSet.parse(get(gatewayUrl("/.well-known/jwks.json")).body()).getKeys().get(0)
                .getKeyID();
        ECKey forger = new ECKeyGenerator(Curve.P_256).keyID(gatewaysKid).generate();
        Instant now = Instant.now();
        SignedJWT forged = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(gatewaysKid)
                .type(JOSEObjectType.JWT).build(), new JWTClaimsSet.Builder().issuer("wechat-auth-gateway")
                .subject("o_someone_else").audience("orders").claim("appid", APPID).issueTime(Date.from(now))
                .expirationTime(Date.from(now.plusSeconds(300))).build());
        forged.sign(new ECDSASigner(forger));

        HttpResponse<String> answer = get(ordersUrl("/api/orders/42"), "Authorization", "Bearer " + forged.serialize(),
                "X-OpenId", "o_someone_else");

        assertThat(answer.statusCode()).isEqualTo(401);
    }

    @Test
    void aJwtTheGatewayMadeForAnotherRouteIsRefused() throws Exception {
        String token = login("o_orders_" + UUID.randomUUID().toString().substring(0, 8));

        HttpResponse<String> answer = get(gatewayUrl("/reports/api/orders/42"), "Authorization", "Bearer " + token);

        assertThat(answer.statusCode()).as("a JWT whose aud is the route reports").isEqualTo(401);
        assertThat(answer.headers().firstValue("WWW-Authenticate")).as("the service's own refusal")
                .hasValueSatisfying(challenge -> assertThat(challenge).contains("invalid_token").contains("aud"));
    }

    /** Logs a user in through the gateway, as a mini-program would, and returns the bearer token. */
    private static String login(String openid) throws Exception {
        String code = "code-" + UUID.randomUUID();
        wechat.issueCode(APPID, code, openid, null, "c2Vzc2lvbi1rZXktMTIzNA==");
        HttpResponse<String> answer = HTTP.send(HttpRequest.newBuilder(URI.create(gatewayUrl("/wx/login")))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"code\":\"" + code + "\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        return answer.body().replaceAll(".*\"token\":\"([^\"]+)\".*", "$1");
    }

    private static HttpResponse<String> get(String url, String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20));
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return HTTP.send(request.GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String gatewayUrl(String path) {
        return "http://127.0.0.1:" + GATEWAY_PORT + path;
    }

    private static String ordersUrl(String path) {
        return "http://127.0.0.1:" + ORDERS_PORT + path;
    }
}
