package dev.wechatauth.plugin.login;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import dev.wechatauth.plugin.config.WechatAuthProperties;
import dev.wechatauth.plugin.config.WechatAuthSettings;
import dev.wechatauth.plugin.exchange.BodyReader;
import dev.wechatauth.plugin.identity.DownstreamIdentity;
import dev.wechatauth.plugin.identity.IdentityForwarding;
import dev.wechatauth.plugin.routing.RoutePolicy;
import dev.wechatauth.plugin.routing.RoutePolicyFilter;
import dev.wechatauth.plugin.session.RedisSessionStore;
import dev.wechatauth.plugin.session.SessionPolicy;
import dev.wechatauth.plugin.session.SessionWriter;
import dev.wechatauth.plugin.session.Session;
import dev.wechatauth.plugin.session.SessionStore;
import dev.wechatauth.plugin.session.Tokens;
import dev.wechatauth.plugin.support.Answered;
import dev.wechatauth.plugin.support.CapturingChain;
import dev.wechatauth.plugin.support.Json;
import dev.wechatauth.plugin.support.RedisFixture;
import dev.wechatauth.plugin.support.Routes;
import dev.wechatauth.plugin.wechat.MiniProgram;
import dev.wechatauth.plugin.wechat.WechatCallGuard;
import dev.wechatauth.plugin.wechat.WechatClient;
import dev.wechatauth.plugin.wechat.WechatHttpClients;
import dev.wechatauth.testkit.FreePort;
import dev.wechatauth.testkit.RedisProcess;
import dev.wechatauth.testkit.Reply;
import dev.wechatauth.testkit.WechatStandIn;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.server.MockServerWebExchange;
import org.springframework.util.unit.DataSize;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;

/** The login request through the gateway's route policy filter, as WebFlux runs it (errors by the one error handler). */
class LoginRouteTest {

    private static final String APP_ONE = "wx_app_one";
    private static final String APP_TWO = "wx_app_two";
    private static final String SECRET_ONE = "secret-of-app-one";
    private static final String SECRET_TWO = "secret-of-app-two";
    private static final String SESSION_KEY = "c2Vzc2lvbi1rZXktMTIzNDU=";
    private static final Duration TTL = Duration.ofDays(7);
    private static final int MAX_BODY = 16 * 1024;
    private static final String SELF_ANSWERING = "no://op";
    private static final String BACKEND = "http://accounts.internal:8080";

    private static RedisProcess redis;
    private static RedisFixture fixture;
    private static WechatStandIn wechat;
    private static RedisSessionStore sessions;
    private static WechatClient wechatClient;
    private static WechatAuthSettings settings;
    private static RoutePolicyFilter filter;

    private int codes;

    @BeforeAll
    static void start() {
        redis = RedisProcess.start();
        fixture = new RedisFixture(redis.port());
        wechat = WechatStandIn.start();
        wechat.registerApp(APP_ONE, SECRET_ONE);
        wechat.registerApp(APP_TWO, SECRET_TWO);
        settings = new WechatAuthSettings(properties(URI.create(wechat.baseUrl())));
        sessions = new RedisSessionStore(fixture.template(), new Tokens(), SessionWriter.of(fixture.template()), "login-filter-test", new SessionPolicy(TTL, Duration.ofDays(30), 0), Clock.systemUTC());
        wechatClient = new WechatClient(WechatHttpClients.webClient(Duration.ofSeconds(2), 50),
                URI.create(wechat.baseUrl()), Duration.ofSeconds(2), 64 * 1024);
        filter = routes(sessions);
    }

    @AfterAll
    static void stop() {
        wechat.close();
        fixture.close();
        redis.close();
    }

    @BeforeEach
    void freshStandIn() {
        wechat.clearScripts();
        wechat.resetCounters();
    }

    // --- self-answering login ---

    @Test
    void filterWhenJsonLoginOnSelfAnsweringRouteThenTokenJsonWithoutUnionid() {
        String code = issue(APP_ONE, "o_plain", null);

        Outcome outcome = run(SELF_ANSWERING, json("{\"code\":\"" + code + "\"}"));

        assertThat(outcome.chain().wasCalled()).isFalse();
        assertThat(outcome.status()).isEqualTo(200);
        assertThat(outcome.contentType()).isEqualTo("application/json");
        JsonNode body = Json.parse(outcome.body());
        assertThat(body.propertyNames()).containsExactlyInAnyOrder("token", "tokenType", "expiresIn", "openid");
        assertThat(body.get("token").asString()).matches("^[A-Za-z0-9_-]{43}$");
        assertThat(body.get("tokenType").asString()).isEqualTo("Bearer");
        assertThat(body.get("expiresIn").isIntegralNumber()).isTrue();
        assertThat(body.get("expiresIn").asLong()).isEqualTo(TTL.toSeconds());
        assertThat(body.get("openid").asString()).isEqualTo("o_plain");
        outcome.assertSessionKeyNowhere();
        assertThat(wechat.calls(code)).isEqualTo(1);

        Session session = sessions.find(body.get("token").asString()).block(Duration.ofSeconds(5));
        assertThat(session).isNotNull();
        assertThat(session.openid()).isEqualTo("o_plain");
        assertThat(session.appid()).isEqualTo(APP_ONE);
    }

    @Test
    void filterWhenWechatGivesUnionidThenTheAnswerCarriesIt() {
        String code = issue(APP_ONE, "o_union", "u_union");

        Outcome outcome = run(SELF_ANSWERING, json("{\"code\":\"" + code + "\"}"));

        JsonNode body = Json.parse(outcome.body());
        assertThat(body.propertyNames()).containsExactlyInAnyOrder("token", "tokenType", "expiresIn", "openid", "unionid");
        assertThat(body.get("unionid").asString()).isEqualTo("u_union");
        outcome.assertSessionKeyNowhere();
    }

    @Test
    void filterWhenFormLoginThenTokenJson() {
        String code = issue(APP_ONE, "o_form", null);

        Outcome outcome = run(SELF_ANSWERING, MockServerHttpRequest.post("/wx/login")
                .contentType(MediaType.APPLICATION_FORM_URLENCODED).body("code=" + code));

        assertThat(outcome.status()).isEqualTo(200);
        assertThat(Json.parse(outcome.body()).get("openid").asString()).isEqualTo("o_form");
    }

    @Test
    void filterWhenJsonWithCharsetThenAccepted() {
        String code = issue(APP_ONE, "o_charset", null);

        Outcome outcome = run(SELF_ANSWERING, MockServerHttpRequest.post("/wx/login")
                .header(HttpHeaders.CONTENT_TYPE, "application/json;charset=UTF-8").body("{\"code\":\"" + code + "\"}"));

        assertThat(outcome.status()).isEqualTo(200);
    }

    @Test
    void filterWhenBodyExactlyAtTheLimitThenAccepted() {
        String code = issue(APP_ONE, "o_limit", null);
        String start = "{\"code\":\"" + code + "\",\"pad\":\"";
        String body = start + "x".repeat(MAX_BODY - start.length() - 2) + "\"}";
        assertThat(body.getBytes(StandardCharsets.UTF_8)).hasSize(MAX_BODY);

        Outcome outcome = run(SELF_ANSWERING, MockServerHttpRequest.post("/wx/login")
                .contentType(MediaType.APPLICATION_JSON).contentLength(MAX_BODY).body(body));

        assertThat(outcome.status()).isEqualTo(200);
    }

    // --- forwarding login ---

    @Test
    void filterWhenLoginRouteForwardsThenBodyBytesIdentityAndTokenHeaders() {
        String code = issue(APP_ONE, "o_forward", "u_forward");
        String sent = "{ \"code\" : \"" + code + "\",\n  \"nickname\": \"\u5f20\u4e09\", \"n\": 1.50, \"x\": [ ] }\n";
        AtomicReference<byte[]> received = new AtomicReference<>();
        CapturingChain backend = new CapturingChain(exchange -> DataBufferUtils.join(exchange.getRequest().getBody())
                .doOnNext(buffer -> received.set(bytesOf(buffer)))
                .then(Mono.defer(() -> answer(exchange, HttpStatus.CREATED, "{\"profile\":\"created\"}"))));

        Outcome outcome = run(BACKEND, backend, MockServerHttpRequest.post("/wx/login")
                .contentType(MediaType.APPLICATION_JSON).body(sent));

        assertThat(backend.calls()).isEqualTo(1);
        assertThat(received.get()).isEqualTo(sent.getBytes(StandardCharsets.UTF_8));
        HttpHeaders forwarded = backend.forwarded().getRequest().getHeaders();
        assertThat(forwarded.get("X-OpenId")).containsExactly("o_forward");
        assertThat(forwarded.get("X-UnionId")).containsExactly("u_forward");
        assertThat(forwarded.get("X-AppId")).containsExactly(APP_ONE);
        assertThat(outcome.status()).isEqualTo(201);
        assertThat(outcome.body()).isEqualTo("{\"profile\":\"created\"}");
        String token = outcome.header(LoginRoute.TOKEN_HEADER);
        assertThat(token).matches("^[A-Za-z0-9_-]{43}$");
        assertThat(outcome.header(LoginRoute.EXPIRES_IN_HEADER)).isEqualTo(Long.toString(TTL.toSeconds()));
        assertThat(sessions.find(token).map(Session::openid).block(Duration.ofSeconds(5))).isEqualTo("o_forward");
        outcome.assertSessionKeyNowhere();
        assertThat(forwarded.toString()).doesNotContain(SESSION_KEY);
    }

    @Test
    void filterWhenFormLoginForwardsThenTheFormBytesArriveUnchanged() {
        String code = issue(APP_ONE, "o_forward_form", null);
        String sent = "nickname=%E5%BC%A0&code=" + code + "&scene=1001";
        AtomicReference<byte[]> received = new AtomicReference<>();
        CapturingChain backend = new CapturingChain(exchange -> DataBufferUtils.join(exchange.getRequest().getBody())
                .doOnNext(buffer -> received.set(bytesOf(buffer)))
                .then(Mono.defer(() -> answer(exchange, HttpStatus.OK, "{}"))));

        run(BACKEND, backend, MockServerHttpRequest.post("/wx/login")
                .contentType(MediaType.APPLICATION_FORM_URLENCODED).body(sent));

        assertThat(received.get()).isEqualTo(sent.getBytes(StandardCharsets.UTF_8));
        assertThat(backend.forwarded().getRequest().getHeaders().containsHeader("X-UnionId")).isFalse();
    }

    @Test
    void filterWhenForwardedLoginSpoofsIdentityThenOnlyTheGatewaysValuesAndNoTokenOfTheClientArrive() {
        String code = issue(APP_ONE, "o_real", null);
        CapturingChain backend = new CapturingChain(exchange -> answer(exchange, HttpStatus.OK, "{}"));

        run(BACKEND, backend, MockServerHttpRequest.post("/wx/login")
                .contentType(MediaType.APPLICATION_JSON)
                .header("X-OpenId", "o_spoofed")
                .header("x_openid", "o_spoofed")
                .header("X-UnionId", "u_spoofed")
                .header("X-WX-OPENID", "o_spoofed")
                .header(HttpHeaders.AUTHORIZATION, "Bearer " + "A".repeat(43))
                .body("{\"code\":\"" + code + "\"}"));

        HttpHeaders forwarded = backend.forwarded().getRequest().getHeaders();
        assertThat(forwarded.get("X-OpenId")).containsExactly("o_real");
        assertThat(forwarded.get("X-AppId")).containsExactly(APP_ONE);
        assertThat(forwarded.containsHeader("X-UnionId")).isFalse();
        assertThat(forwarded.containsHeader("x_openid")).isFalse();
        assertThat(forwarded.containsHeader("X-WX-OPENID")).isFalse();
        assertThat(forwarded.containsHeader(HttpHeaders.AUTHORIZATION)).isFalse();
    }

    @Test
    void filterWhenLoginSpoofsOpenIdAndAppIdThenReplacesThem() {
        String code = issue(APP_ONE, "o_real_2", null);
        CapturingChain backend = new CapturingChain(exchange -> answer(exchange, HttpStatus.OK, "{}"));

        run(BACKEND, backend, MockServerHttpRequest.post("/wx/login").contentType(MediaType.APPLICATION_JSON)
                .header("X-OpenId", "o_spoofed").header("X-AppId", "wx_spoofed")
                .body("{\"code\":\"" + code + "\"}"));

        HttpHeaders forwarded = backend.forwarded().getRequest().getHeaders();
        assertThat(forwarded.get("X-OpenId")).containsExactly("o_real_2");
        assertThat(forwarded.get("X-AppId")).containsExactly(APP_ONE);
    }

    // --- refused requests ---

    @ParameterizedTest
    @ValueSource(strings = {"GET", "PUT", "DELETE", "PATCH"})
    void filterWhenNotPostThenMethodNotAllowedAllowingPost(String method) {
        Outcome outcome = run(SELF_ANSWERING, MockServerHttpRequest.method(HttpMethod.valueOf(method), "/wx/login")
                .contentType(MediaType.APPLICATION_JSON).body("{\"code\":\"c\"}"));

        outcome.assertError(405, "invalid_request");
        assertThat(outcome.header(HttpHeaders.ALLOW)).isEqualTo("POST");
        assertThat(wechat.calls()).isZero();
    }

    @Test
    void filterWhenNoContentTypeThenUnsupportedMediaType() {
        Outcome outcome = run(SELF_ANSWERING, MockServerHttpRequest.post("/wx/login").body("{\"code\":\"c\"}"));

        outcome.assertError(415, "invalid_request");
        assertThat(wechat.calls()).isZero();
    }

    @ParameterizedTest
    @ValueSource(strings = {"text/plain", "multipart/form-data; boundary=x", "application/xml", "application/octet-stream",
            "not a media type", "application/jsonp"})
    void filterWhenOtherContentTypeThenUnsupportedMediaType(String contentType) {
        Outcome outcome = run(SELF_ANSWERING, MockServerHttpRequest.post("/wx/login")
                .header(HttpHeaders.CONTENT_TYPE, contentType).body(Flux.just(utf8("{\"code\":\"c\"}"))));

        outcome.assertError(415, "invalid_request");
        assertThat(wechat.calls()).isZero();
    }

    @Test
    void filterWhenDeclaredLengthOverTheLimitThenContentTooLarge() {
        Outcome outcome = run(SELF_ANSWERING, MockServerHttpRequest.post("/wx/login")
                .contentType(MediaType.APPLICATION_JSON).contentLength(MAX_BODY + 1).body("{\"code\":\"c\"}"));

        outcome.assertError(413, "invalid_request");
        assertThat(wechat.calls()).isZero();
    }

    @Test
    void filterWhenStreamedBodyOverTheLimitThenContentTooLarge() {
        String code = issue(APP_ONE, "o_too_large", null);
        Flux<DataBuffer> chunks = Flux.concat(Flux.just(utf8("{\"code\":\"" + code + "\",\"pad\":\"")),
                Flux.range(0, 20).map(i -> utf8("x".repeat(1024))), Flux.just(utf8("\"}")));

        Outcome outcome = run(SELF_ANSWERING, MockServerHttpRequest.post("/wx/login")
                .contentType(MediaType.APPLICATION_JSON).body(chunks));

        outcome.assertError(413, "invalid_request");
        assertThat(wechat.calls()).isZero();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "{", "{\"code\":\"\"}", "{}", "{\"code\":42}", "[\"c\"]", "{\"appid\":\"wx_app_one\"}"})
    void filterWhenBodyMalformedOrCodeMissingThenInvalidRequest(String body) {
        Outcome outcome = run(SELF_ANSWERING, json(body));

        outcome.assertError(400, "invalid_request");
        assertThat(wechat.calls()).isZero();
    }

    @Test
    void filterWhenCodeOver128CharactersThenInvalidRequest() {
        run(SELF_ANSWERING, json("{\"code\":\"" + "c".repeat(129) + "\"}")).assertError(400, "invalid_request");
        assertThat(wechat.calls()).isZero();
    }

    @Test
    void filterWhenAppidNotConfiguredThenUnknownApp() {
        String code = issue(APP_ONE, "o_unknown_app", null);

        Outcome outcome = run(SELF_ANSWERING, json("{\"code\":\"" + code + "\",\"appid\":\"wx_not_served\"}"));

        outcome.assertError(400, "unknown_app");
        assertThat(wechat.calls()).isZero();
    }

    // --- choosing the app ---

    @Test
    void filterWhenBodyNamesTheSecondAppThenLogsIntoIt() {
        String code = issue(APP_TWO, "o_two", null);

        Outcome outcome = run(SELF_ANSWERING, json("{\"code\":\"" + code + "\",\"appid\":\"" + APP_TWO + "\"}"));

        assertThat(outcome.status()).isEqualTo(200);
        assertThat(appidOfToken(outcome)).isEqualTo(APP_TWO);
    }

    @Test
    void filterWhenRefererNamesAConfiguredAppThenLogsIntoIt() {
        String code = issue(APP_TWO, "o_two_referer", null);

        Outcome outcome = run(SELF_ANSWERING, MockServerHttpRequest.post("/wx/login")
                .contentType(MediaType.APPLICATION_JSON)
                .header(HttpHeaders.REFERER, "https://servicewechat.com/" + APP_TWO + "/12/page-frame.html")
                .body("{\"code\":\"" + code + "\"}"));

        assertThat(outcome.status()).isEqualTo(200);
        assertThat(appidOfToken(outcome)).isEqualTo(APP_TWO);
    }

    @Test
    void filterWhenRefererNamesAnUnconfiguredAppThenTheFirstApp() {
        String code = issue(APP_ONE, "o_one_referer", null);

        Outcome outcome = run(SELF_ANSWERING, MockServerHttpRequest.post("/wx/login")
                .contentType(MediaType.APPLICATION_JSON)
                .header(HttpHeaders.REFERER, "https://servicewechat.com/wx_someone_else/3/page-frame.html")
                .body("{\"code\":\"" + code + "\"}"));

        assertThat(outcome.status()).isEqualTo(200);
        assertThat(appidOfToken(outcome)).isEqualTo(APP_ONE);
    }

    @Test
    void filterWhenRefererIsNotAMiniProgramThenTheFirstApp() {
        String code = issue(APP_ONE, "o_one_web", null);

        Outcome outcome = run(SELF_ANSWERING, MockServerHttpRequest.post("/wx/login")
                .contentType(MediaType.APPLICATION_JSON)
                .header(HttpHeaders.REFERER, "https://evil.example/" + APP_TWO + "/1/page-frame.html")
                .body("{\"code\":\"" + code + "\"}"));

        assertThat(appidOfToken(outcome)).isEqualTo(APP_ONE);
    }

    @Test
    void filterWhenBodyAppidAndRefererDisagreeThenTheBodyWins() {
        String code = issue(APP_ONE, "o_body_wins", null);

        Outcome outcome = run(SELF_ANSWERING, MockServerHttpRequest.post("/wx/login")
                .contentType(MediaType.APPLICATION_JSON)
                .header(HttpHeaders.REFERER, "https://servicewechat.com/" + APP_TWO + "/12/page-frame.html")
                .body("{\"code\":\"" + code + "\",\"appid\":\"" + APP_ONE + "\"}"));

        assertThat(appidOfToken(outcome)).isEqualTo(APP_ONE);
    }

    // --- WeChat's answers ---

    @Test
    void filterWhenCodeUnknownThenInvalidCode() {
        Outcome outcome = run(SELF_ANSWERING, json("{\"code\":\"never-issued\"}"));

        outcome.assertError(401, "invalid_code");
        assertThat(outcome.header(HttpHeaders.WWW_AUTHENTICATE)).startsWith("Bearer");
    }

    @Test
    void filterWhenWechatSaysTheCodeWasUsedThenInvalidCode() {
        String code = issue(APP_ONE, "o_twice", null);
        wechat.script(code, Reply.errcode(40163));

        run(SELF_ANSWERING, json("{\"code\":\"" + code + "\"}")).assertError(401, "invalid_code");
    }

    @Test
    void filterWhenWechatRateLimitsThenRateLimitedWithRetryAfter60() {
        wechat.script("code-45011", Reply.errcode(45011));

        Outcome outcome = run(SELF_ANSWERING, json("{\"code\":\"code-45011\"}"));

        outcome.assertError(429, "rate_limited");
        assertThat(outcome.header(HttpHeaders.RETRY_AFTER)).isEqualTo("60");
    }

    @Test
    void filterWhenUserHighRiskThenUserBlocked() {
        wechat.script("code-40226", Reply.errcode(40226));

        run(SELF_ANSWERING, json("{\"code\":\"code-40226\"}")).assertError(403, "user_blocked");
    }

    @Test
    void filterWhenWechatBusyThenWechatUnavailable() {
        wechat.script("code-busy", Reply.errcode(-1));

        run(SELF_ANSWERING, json("{\"code\":\"code-busy\"}")).assertError(503, "wechat_unavailable");
    }

    @Test
    void filterWhenWechatAnswersGarbageThenWechatError() {
        wechat.script("code-garbage", Reply.body("<html>oops</html>"));

        run(SELF_ANSWERING, json("{\"code\":\"code-garbage\"}")).assertError(502, "wechat_error");
    }

    @Test
    void filterWhenWechatFailsOnForwardingRouteThenNotForwarded() {
        CapturingChain backend = new CapturingChain();

        Outcome outcome = run(BACKEND, backend, json("{\"code\":\"never-issued-either\"}"));

        outcome.assertError(401, "invalid_code");
        assertThat(backend.wasCalled()).isFalse();
    }

    @Test
    void filterWhenSessionStoreUnavailableThenSessionStoreUnavailable() {
        try (RedisFixture nowhere = new RedisFixture(FreePort.next())) {
            RoutePolicyFilter withoutRedis = routes(new RedisSessionStore(nowhere.template(), new Tokens(), SessionWriter.of(nowhere.template()), "x", new SessionPolicy(TTL, Duration.ofDays(30), 0),
                    Clock.systemUTC()));
            String code = issue(APP_ONE, "o_no_redis", null);

            Outcome outcome = run(withoutRedis, SELF_ANSWERING, new CapturingChain(), json("{\"code\":\"" + code + "\"}"));

            outcome.assertError(503, "session_store_unavailable");
        }
    }

    // --- other routes ---

    @ParameterizedTest
    @ValueSource(strings = {"optional", "public"})
    void filterWhenRouteIsNotALoginRouteThenForwardedWithoutALogin(String policy) {
        CapturingChain chain = new CapturingChain();
        MockServerWebExchange exchange = Routes.routed(MockServerWebExchange.from(MockServerHttpRequest.post("/api/x")
                .contentType(MediaType.APPLICATION_JSON).body("{\"code\":\"c\"}")), Routes.route(BACKEND, policy));

        Answered.run(exchange, filter.filter(exchange, chain));

        assertThat(chain.wasCalled()).isTrue();
        assertThat(exchange.getResponse().getStatusCode()).isNull();
        assertThat(exchange.getResponse().getHeaders().containsHeader(LoginRoute.TOKEN_HEADER)).isFalse();
        assertThat(wechat.calls()).isZero();
    }

    @Test
    void filterWhenTwoAuthorizationHeadersThenInvalidRequestAndTheAttemptCounts() {
        Outcome outcome = run(SELF_ANSWERING, MockServerHttpRequest.post("/wx/login")
                .remoteAddress(new InetSocketAddress("203.0.113.77", 40000))
                .contentType(MediaType.APPLICATION_JSON)
                .header(HttpHeaders.AUTHORIZATION, "Bearer a", "Bearer b")
                .body("{\"code\":\"c\"}"));

        outcome.assertError(400, "invalid_request");
        assertThat(wechat.calls()).isZero();
        assertThat(fixture.inspector().get("login-route-test:login-limit:203.0.113.77")).isEqualTo("1");
    }

    // --- helpers ---

    record Outcome(MockServerWebExchange exchange, CapturingChain chain) {

        int status() {
            HttpStatus status = HttpStatus.resolve(exchange.getResponse().getStatusCode().value());
            assertThat(status).isNotNull();
            return status.value();
        }

        String header(String name) {
            return exchange.getResponse().getHeaders().getFirst(name);
        }

        String contentType() {
            MediaType type = exchange.getResponse().getHeaders().getContentType();
            return type == null ? null : type.getType() + "/" + type.getSubtype();
        }

        String body() {
            return exchange.getResponse().getBodyAsString().block(Duration.ofSeconds(5));
        }

        void assertError(int status, String code) {
            assertThat(status()).isEqualTo(status);
            assertThat(contentType()).isEqualTo("application/json");
            JsonNode body = Json.parse(body());
            assertThat(body.get("error").asString()).isEqualTo(code);
            assertThat(body.get("message").asString()).isNotBlank();
            assertThat(chain.wasCalled()).isFalse();
        }

        void assertSessionKeyNowhere() {
            assertThat(exchange.getResponse().getHeaders().toString()).doesNotContain(SESSION_KEY);
            assertThat(body() == null ? "" : body()).doesNotContain(SESSION_KEY).doesNotContain("session_key")
                    .doesNotContain("sessionKey");
        }
    }

    private static Outcome run(RoutePolicyFilter filter, String routeUri, CapturingChain chain,
            MockServerHttpRequest request) {
        MockServerWebExchange exchange = Routes.routed(MockServerWebExchange.from(request), Routes.route(routeUri, "login"));
        Answered.run(exchange, filter.filter(exchange, chain));
        return new Outcome(exchange, chain);
    }

    private Outcome run(String routeUri, MockServerHttpRequest request) {
        return run(filter, routeUri, new CapturingChain(), request);
    }

    private Outcome run(String routeUri, CapturingChain chain, MockServerHttpRequest request) {
        return run(filter, routeUri, chain, request);
    }

    private static MockServerHttpRequest json(String body) {
        return MockServerHttpRequest.post("/wx/login").contentType(MediaType.APPLICATION_JSON).body(body);
    }

    /** Issues a fresh code for {@code appid} and returns it. */
    private String issue(String appid, String openid, String unionid) {
        String code = "code-" + openid + "-" + (++codes) + "-" + System.nanoTime();
        wechat.issueCode(appid, code, openid, unionid, SESSION_KEY);
        return code;
    }

    private static String appidOfToken(Outcome outcome) {
        assertThat(outcome.status()).isEqualTo(200);
        String token = Json.parse(outcome.body()).get("token").asString();
        Session session = sessions.find(token).block(Duration.ofSeconds(5));
        assertThat(session).isNotNull();
        return session.appid();
    }

    private static Mono<Void> answer(ServerWebExchange exchange, HttpStatus status, String body) {
        exchange.getResponse().setStatusCode(status);
        exchange.getResponse().getHeaders().setContentType(MediaType.APPLICATION_JSON);
        return exchange.getResponse().writeWith(Mono.just(utf8(body)));
    }

    private static DataBuffer utf8(String text) {
        return DefaultDataBufferFactory.sharedInstance.wrap(text.getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] bytesOf(DataBuffer buffer) {
        byte[] bytes = new byte[buffer.readableByteCount()];
        buffer.read(bytes);
        DataBufferUtils.release(buffer);
        return bytes;
    }

    /** The route policy filter of a gateway whose login exchange uses {@code store}; a generous login limit. */
    private static RoutePolicyFilter routes(SessionStore store) {
        LoginRoute login = new LoginRoute(new ClientAddress(List.of()),
                new LoginRateLimiter(fixture.template(), "login-route-test", 10_000, Duration.ofMinutes(1)),
                new BodyReader(MAX_BODY), new AppSelector(settings.miniPrograms()),
                new LoginService(wechatClient, new WechatCallGuard(50, 20, 10, Duration.ofSeconds(10), 3, 256), store,
                        new DuplicateLoginWindow(fixture.template(), store, "login-filter-test", Duration.ZERO,
                                Duration.ofSeconds(2))), DownstreamIdentity.headersOnly());
        IdentityForwarding identity = new IdentityForwarding(store, DownstreamIdentity.headersOnly());
        return new RoutePolicyFilter(Map.of(RoutePolicy.LOGIN, login, RoutePolicy.REQUIRED, identity,
                RoutePolicy.OPTIONAL, identity, RoutePolicy.PUBLIC, identity,
                RoutePolicy.PHONE, (exchange, chain, route) -> Mono.error(new AssertionError("not a phone route")),
                RoutePolicy.DECRYPT, (exchange, chain, route) -> Mono.error(new AssertionError("not a decrypt route"))));
    }

    private static WechatAuthProperties properties(URI apiBaseUrl) {
        return new WechatAuthProperties(true, List.of(new MiniProgram(APP_ONE, SECRET_ONE), new MiniProgram(APP_TWO, SECRET_TWO)),
                apiBaseUrl, Duration.ofSeconds(2),
                new WechatAuthProperties.LoginLimit(30, Duration.ofMinutes(1)),
                new WechatAuthProperties.Login(Duration.ofSeconds(10), DataSize.ofBytes(MAX_BODY), 256),
                List.of(),
                new WechatAuthProperties.Session(TTL, "login-filter-test", Duration.ofSeconds(1), null, Duration.ofMillis(100), 0,
                        Duration.ofDays(30), 0),
                new WechatAuthProperties.Endpoints("/wx/logout", "/wx/session", "/wx/sessions"),
                new WechatAuthProperties.CircuitBreaker(50, 20, 10, Duration.ofSeconds(10), 3),
                new WechatAuthProperties.Phone(256), new WechatAuthProperties.AccessToken(Duration.ofMinutes(4)),
                new WechatAuthProperties.IdentityToken(true, "Authorization", "wechat-auth-gateway", Duration.ofMinutes(5),
                        Duration.ofHours(24), null),
                new WechatAuthProperties.IdentityHeaders(false), new WechatAuthProperties.Admin(null));
    }
}
