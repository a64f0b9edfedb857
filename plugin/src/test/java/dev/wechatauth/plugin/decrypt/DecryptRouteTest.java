package dev.wechatauth.plugin.decrypt;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import dev.wechatauth.plugin.exchange.BodyReader;
import dev.wechatauth.plugin.identity.DownstreamIdentity;
import dev.wechatauth.plugin.identity.IdentityForwarding;
import dev.wechatauth.plugin.identity.RequiredSession;
import dev.wechatauth.plugin.routing.RoutePolicy;
import dev.wechatauth.plugin.routing.RoutePolicyFilter;
import dev.wechatauth.plugin.session.IssuedSession;
import dev.wechatauth.plugin.session.RedisSessionStore;
import dev.wechatauth.plugin.session.SessionPolicy;
import dev.wechatauth.plugin.session.SessionStore;
import dev.wechatauth.plugin.session.SessionWriter;
import dev.wechatauth.plugin.session.Tokens;
import dev.wechatauth.plugin.support.Answered;
import dev.wechatauth.plugin.support.CapturingChain;
import dev.wechatauth.plugin.support.Json;
import dev.wechatauth.plugin.support.RedisFixture;
import dev.wechatauth.plugin.support.Routes;
import dev.wechatauth.plugin.wechat.WechatIdentity;
import dev.wechatauth.testkit.FreePort;
import dev.wechatauth.testkit.RedisProcess;
import dev.wechatauth.testkit.WechatEncryptedData;
import dev.wechatauth.testkit.WechatEncryptedData.Sealed;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.server.MockServerWebExchange;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;

/**
 * The decrypt request through the gateway's route policy filter, as WebFlux runs it (errors by the one error
 * handler), with sessions and the user's newest session_key in a real Redis.
 */
class DecryptRouteTest {

    private static final String APP = "wx_decrypt_app";
    private static final String OTHER_APP = "wx_other_app";
    private static final String NAMESPACE = "decrypt-route-test";
    private static final Duration TTL = Duration.ofDays(7);
    private static final String SELF_ANSWERING = "no://op";
    private static final String BACKEND = "http://steps.internal:8080";
    private static final String WERUN = "{\"stepInfoList\":[{\"timestamp\":1700000000,\"step\":8123}],"
            + WechatEncryptedData.watermark(APP) + "}";

    private static RedisProcess redis;
    private static RedisFixture fixture;
    private static RedisSessionStore sessions;
    private static RoutePolicyFilter filter;

    private int users;

    @BeforeAll
    static void start() {
        redis = RedisProcess.start();
        fixture = new RedisFixture(redis.port());
        sessions = new RedisSessionStore(fixture.template(), new Tokens(), SessionWriter.of(fixture.template()),
                NAMESPACE, new SessionPolicy(TTL, Duration.ofDays(30), 0), Clock.systemUTC());
        filter = routes(sessions);
    }

    @AfterAll
    static void stop() {
        fixture.close();
        redis.close();
    }

    // --- answered by the gateway ---

    @Test
    void filterWhenDataDecryptsThenTheObjectWithoutItsWatermark() {
        User user = login();
        Sealed sealed = WechatEncryptedData.seal(user.sessionKey(), WERUN);

        Outcome outcome = run(SELF_ANSWERING, decrypt(user.token(), json(sealed)));

        assertThat(outcome.status()).isEqualTo(200);
        assertThat(outcome.contentType()).isEqualTo("application/json");
        assertThat(outcome.header(HttpHeaders.CACHE_CONTROL)).isEqualTo("no-store");
        JsonNode body = Json.parse(outcome.body());
        assertThat(body.propertyNames()).containsExactly("stepInfoList");
        assertThat(body.get("stepInfoList").get(0).get("step").asInt()).isEqualTo(8123);
        assertThat(outcome.body()).doesNotContain("watermark").doesNotContain(user.sessionKey());
        assertThat(outcome.chain().wasCalled()).isFalse();
    }

    @Test
    void filterWhenUnicodeAndNestedValuesThenTheyComeBackAsTheyWere() {
        User user = login();
        String plain = "{\"nickName\":\"\u5f20\u4e09 \ud83d\ude00\",\"openGId\":\"G_1\",\"n\":1.5,\"flags\":[true,null],"
                + WechatEncryptedData.watermark(APP) + ",\"after\":{\"a\":\"b\"}}";

        Outcome outcome = run(SELF_ANSWERING, decrypt(user.token(), json(WechatEncryptedData.seal(user.sessionKey(), plain))));

        JsonNode body = Json.parse(outcome.body());
        assertThat(body.propertyNames()).containsExactly("nickName", "openGId", "n", "flags", "after");
        assertThat(body.get("nickName").asString()).isEqualTo("\u5f20\u4e09 \ud83d\ude00");
        assertThat(body.get("after").get("a").asString()).isEqualTo("b");
    }

    @Test
    void filterWhenFormBodyWithUnescapedPlusThenThePlusTurnedSpaceIsRestored() {
        User user = login();
        Sealed sealed = sealedWithPlus(user.sessionKey());

        Outcome outcome = run(SELF_ANSWERING, MockServerHttpRequest.post("/wx/decrypt")
                .header(HttpHeaders.AUTHORIZATION, "Bearer " + user.token())
                .contentType(MediaType.APPLICATION_FORM_URLENCODED)
                // a client that does not escape: every + arrives as a space after form decoding
                .body("encryptedData=" + sealed.encryptedData() + "&iv=" + sealed.iv()));

        assertThat(outcome.status()).isEqualTo(200);
        assertThat(Json.parse(outcome.body()).get("stepInfoList").get(0).get("step").asInt()).isEqualTo(8123);
    }

    @Test
    void filterWhenFormBodyProperlyEscapedThenDecrypts() {
        User user = login();
        Sealed sealed = sealedWithPlus(user.sessionKey());

        Outcome outcome = run(SELF_ANSWERING, MockServerHttpRequest.post("/wx/decrypt")
                .header(HttpHeaders.AUTHORIZATION, "Bearer " + user.token())
                .contentType(MediaType.APPLICATION_FORM_URLENCODED)
                .body("encryptedData=" + URLEncoder.encode(sealed.encryptedData(), StandardCharsets.UTF_8)
                        + "&iv=" + URLEncoder.encode(sealed.iv(), StandardCharsets.UTF_8)));

        assertThat(outcome.status()).isEqualTo(200);
    }

    @Test
    void filterWhenJsonCarriesSpacesForPlusThenTheyAreRestoredToo() {
        User user = login();
        Sealed sealed = sealedWithPlus(user.sessionKey());

        Outcome outcome = run(SELF_ANSWERING, decrypt(user.token(), json(new Sealed(
                sealed.encryptedData().replace('+', ' '), sealed.iv().replace('+', ' ')))));

        assertThat(outcome.status()).isEqualTo(200);
    }

    @Test
    void filterWhenTheUserLoggedInAgainElsewhereThenTheNewestSessionKeyDecryptsForEverySession() {
        User first = login();
        User second = login(first.openid());

        Outcome outcome = run(SELF_ANSWERING, decrypt(first.token(),
                json(WechatEncryptedData.seal(second.sessionKey(), WERUN))));

        assertThat(outcome.status()).isEqualTo(200);
    }

    // --- forwarded ---

    @Test
    void filterWhenForwardingRouteThenTheServiceGetsThePlaintextAsJsonWithIdentity() {
        User user = login();
        AtomicReference<byte[]> received = new AtomicReference<>();
        CapturingChain backend = new CapturingChain(exchange -> DataBufferUtils.join(exchange.getRequest().getBody())
                .doOnNext(buffer -> received.set(bytesOf(buffer)))
                .then(Mono.defer(() -> answer(exchange, HttpStatus.OK, "{\"saved\":true}"))));
        Sealed sealed = WechatEncryptedData.seal(user.sessionKey(), WERUN);

        Outcome outcome = run(BACKEND, backend, MockServerHttpRequest.post("/wx/decrypt")
                .header(HttpHeaders.AUTHORIZATION, "Bearer " + user.token())
                .header("X-OpenId", "o_spoofed")
                .header("X-Phone-Number", "+10000000000")
                .contentType(MediaType.APPLICATION_FORM_URLENCODED)
                .body("encryptedData=" + URLEncoder.encode(sealed.encryptedData(), StandardCharsets.UTF_8)
                        + "&iv=" + URLEncoder.encode(sealed.iv(), StandardCharsets.UTF_8) + "&scene=1"));

        assertThat(outcome.status()).isEqualTo(200);
        assertThat(outcome.body()).isEqualTo("{\"saved\":true}");
        String forwardedBody = new String(received.get(), StandardCharsets.UTF_8);
        JsonNode forwardedJson = Json.parse(forwardedBody);
        assertThat(forwardedJson.propertyNames()).containsExactly("stepInfoList");
        assertThat(forwardedBody).doesNotContain("watermark");
        HttpHeaders forwarded = backend.forwarded().getRequest().getHeaders();
        assertThat(forwarded.getContentType()).isEqualTo(MediaType.APPLICATION_JSON);
        assertThat(forwarded.getContentLength()).isEqualTo(received.get().length);
        assertThat(forwarded.get("X-OpenId")).containsExactly(user.openid());
        assertThat(forwarded.get("X-AppId")).containsExactly(APP);
        assertThat(forwarded.containsHeader("X-Phone-Number")).isFalse();
        assertThat(forwarded.containsHeader(HttpHeaders.AUTHORIZATION)).isFalse();
        assertThat(forwarded.toString()).doesNotContain(user.sessionKey());
    }

    @Test
    void filterWhenDataDoesNotDecryptOnForwardingRouteThenNotForwarded() {
        User user = login();
        CapturingChain backend = new CapturingChain();

        Outcome outcome = run(BACKEND, backend, decrypt(user.token(),
                json(WechatEncryptedData.seal(WechatEncryptedData.randomSessionKey(), WERUN))));

        outcome.assertError(400, "decrypt_failed");
        assertThat(backend.wasCalled()).isFalse();
    }

    // --- data that does not decrypt ---

    @Nested
    class DecryptFailed {

        @Test
        void filterWhenMadeWithAStaleSessionKeyThenDecryptFailed() {
            User first = login();
            Sealed withOldKey = WechatEncryptedData.seal(first.sessionKey(), WERUN);
            User again = login(first.openid());

            run(SELF_ANSWERING, decrypt(first.token(), json(withOldKey))).assertError(400, "decrypt_failed");
            run(SELF_ANSWERING, decrypt(again.token(), json(withOldKey))).assertError(400, "decrypt_failed");
        }

        @ParameterizedTest
        @ValueSource(strings = {"not base64!", "####", "YWJj-_", "YQ==YQ==", "\u00e9t\u00e9"})
        void filterWhenEncryptedDataIsBrokenBase64ThenDecryptFailed(String encryptedData) {
            User user = login();
            Sealed sealed = WechatEncryptedData.seal(user.sessionKey(), WERUN);

            run(SELF_ANSWERING, decrypt(user.token(), json(new Sealed(encryptedData, sealed.iv()))))
                    .assertError(400, "decrypt_failed");
        }

        @Test
        void filterWhenEncryptedDataIsCutShortThenDecryptFailed() {
            User user = login();
            Sealed sealed = WechatEncryptedData.seal(user.sessionKey(), WERUN);
            byte[] data = Base64.getDecoder().decode(sealed.encryptedData());
            String cut = Base64.getEncoder().encodeToString(java.util.Arrays.copyOf(data, data.length - 3));

            run(SELF_ANSWERING, decrypt(user.token(), json(new Sealed(cut, sealed.iv()))))
                    .assertError(400, "decrypt_failed");
        }

        @Test
        void filterWhenTheIvIsWrongThenDecryptFailed() {
            User user = login();
            Sealed sealed = WechatEncryptedData.seal(user.sessionKey(), WERUN);
            String otherIv = WechatEncryptedData.seal(user.sessionKey(), WERUN).iv();

            run(SELF_ANSWERING, decrypt(user.token(), json(new Sealed(sealed.encryptedData(), otherIv))))
                    .assertError(400, "decrypt_failed");
        }

        @ParameterizedTest
        @ValueSource(strings = {"AAAA", "not base64", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"})
        void filterWhenTheIvIsNot16BytesOrNotBase64ThenDecryptFailed(String iv) {
            User user = login();
            Sealed sealed = WechatEncryptedData.seal(user.sessionKey(), WERUN);

            run(SELF_ANSWERING, decrypt(user.token(), json(new Sealed(sealed.encryptedData(), iv))))
                    .assertError(400, "decrypt_failed");
        }

        @ParameterizedTest
        @ValueSource(strings = {"hello, not JSON", "[1,2,3]", "\"a string\"", "{\"stepInfoList\":[]}",
                "{\"watermark\":\"wx_decrypt_app\"}", "{\"watermark\":{\"appid\":42}}", "{\"a\":1", "null"})
        void filterWhenThePlaintextIsNotAJsonObjectWithTheWatermarkThenDecryptFailed(String plaintext) {
            User user = login();

            run(SELF_ANSWERING, decrypt(user.token(), json(WechatEncryptedData.seal(user.sessionKey(), plaintext))))
                    .assertError(400, "decrypt_failed");
        }

        @Test
        void filterWhenThePlaintextIsNotUtf8ThenDecryptFailed() {
            User user = login();
            byte[] latin1 = ("{\"n\":\"\u00e9\"," + WechatEncryptedData.watermark(APP) + "}")
                    .getBytes(StandardCharsets.ISO_8859_1);

            run(SELF_ANSWERING, decrypt(user.token(), json(WechatEncryptedData.seal(user.sessionKey(), latin1))))
                    .assertError(400, "decrypt_failed");
        }

        @Test
        void filterWhenTheWatermarkNamesAnotherAppThenDecryptFailed() {
            User user = login();
            String plaintext = "{\"stepInfoList\":[]," + WechatEncryptedData.watermark(OTHER_APP) + "}";

            run(SELF_ANSWERING, decrypt(user.token(), json(WechatEncryptedData.seal(user.sessionKey(), plaintext))))
                    .assertError(400, "decrypt_failed");
        }
    }

    // --- the session and the body ---

    @Nested
    class Refused {

        @Test
        void filterWhenNoTokenThenMissingToken() {
            Outcome outcome = run(SELF_ANSWERING, MockServerHttpRequest.post("/wx/decrypt")
                    .contentType(MediaType.APPLICATION_JSON).body("{\"encryptedData\":\"AAAA\",\"iv\":\"AAAA\"}"));

            outcome.assertError(401, "missing_token");
        }

        @ParameterizedTest
        @ValueSource(strings = {"Bearer x", "Bearer AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"})
        void filterWhenTokenMalformedOrUnknownThenInvalidToken(String authorization) {
            Outcome outcome = run(SELF_ANSWERING, MockServerHttpRequest.post("/wx/decrypt")
                    .header(HttpHeaders.AUTHORIZATION, authorization)
                    .contentType(MediaType.APPLICATION_JSON).body("{\"encryptedData\":\"AAAA\",\"iv\":\"AAAA\"}"));

            outcome.assertError(401, "invalid_token");
        }

        @Test
        void filterWhenNotPostThenMethodNotAllowed() {
            User user = login();

            Outcome outcome = run(SELF_ANSWERING, MockServerHttpRequest.put("/wx/decrypt")
                    .header(HttpHeaders.AUTHORIZATION, "Bearer " + user.token())
                    .contentType(MediaType.APPLICATION_JSON).body("{}"));

            outcome.assertError(405, "invalid_request");
            assertThat(outcome.header(HttpHeaders.ALLOW)).isEqualTo("POST");
        }

        @ParameterizedTest
        @ValueSource(strings = {"", "{}", "{\"encryptedData\":\"AAAA\"}", "{\"iv\":\"AAAA\"}",
                "{\"encryptedData\":\"\",\"iv\":\"AAAA\"}", "{\"encryptedData\":1,\"iv\":\"AAAA\"}", "[]", "{"})
        void filterWhenBodyMalformedThenInvalidRequest(String body) {
            User user = login();

            run(SELF_ANSWERING, decrypt(user.token(), body)).assertError(400, "invalid_request");
        }

        @Test
        void filterWhenBodyOverTheLimitThenContentTooLarge() {
            User user = login();

            run(SELF_ANSWERING, decrypt(user.token(), "{\"encryptedData\":\"" + "A".repeat(17_000) + "\",\"iv\":\"A\"}"))
                    .assertError(413, "invalid_request");
        }

        @Test
        void filterWhenSessionStoreUnavailableThenSessionStoreUnavailable() {
            try (RedisFixture nowhere = new RedisFixture(FreePort.next())) {
                RoutePolicyFilter withoutRedis = routes(new RedisSessionStore(nowhere.template(), new Tokens(),
                        SessionWriter.of(nowhere.template()), NAMESPACE, new SessionPolicy(TTL, Duration.ofDays(30), 0), Clock.systemUTC()));

                Outcome outcome = run(withoutRedis, SELF_ANSWERING, new CapturingChain(),
                        decrypt(new Tokens().next().block(Duration.ofSeconds(5)), "{}"));

                outcome.assertError(503, "session_store_unavailable");
            }
        }
    }

    // --- helpers ---

    record User(String token, String openid, String sessionKey) {
    }

    /** A new user logged in once. */
    private User login() {
        return login("o_decrypt_" + (++users) + "_" + System.nanoTime());
    }

    /** A new login of {@code openid}, with a new session_key (which becomes the user's newest). */
    private User login(String openid) {
        String sessionKey = WechatEncryptedData.randomSessionKey();
        IssuedSession issued = sessions.create(new WechatIdentity(APP, openid, null, sessionKey), null)
                .block(Duration.ofSeconds(5));
        assertThat(issued).isNotNull();
        return new User(issued.token(), openid, sessionKey);
    }

    /** WeRun data whose encryptedData and iv both contain {@code +}. */
    private static Sealed sealedWithPlus(String sessionKey) {
        for (int attempt = 0; attempt < 10_000; attempt++) {
            Sealed sealed = WechatEncryptedData.seal(sessionKey, WERUN);
            if (sealed.encryptedData().contains("+") && sealed.iv().contains("+")) {
                return sealed;
            }
        }
        throw new AssertionError("no sealing with a + in both values");
    }

    private static String json(Sealed sealed) {
        return "{\"encryptedData\":\"" + sealed.encryptedData() + "\",\"iv\":\"" + sealed.iv() + "\"}";
    }

    record Outcome(MockServerWebExchange exchange, CapturingChain chain) {

        int status() {
            return exchange.getResponse().getStatusCode().value();
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
    }

    private Outcome run(String routeUri, MockServerHttpRequest request) {
        return run(filter, routeUri, new CapturingChain(), request);
    }

    private Outcome run(String routeUri, CapturingChain chain, MockServerHttpRequest request) {
        return run(filter, routeUri, chain, request);
    }

    private static Outcome run(RoutePolicyFilter filter, String routeUri, CapturingChain chain,
            MockServerHttpRequest request) {
        MockServerWebExchange exchange = Routes.routed(MockServerWebExchange.from(request),
                Routes.route(routeUri, "decrypt"));
        Answered.run(exchange, filter.filter(exchange, chain));
        return new Outcome(exchange, chain);
    }

    private static MockServerHttpRequest decrypt(String token, String body) {
        return MockServerHttpRequest.post("/wx/decrypt")
                .header(HttpHeaders.AUTHORIZATION, "Bearer " + token)
                .contentType(MediaType.APPLICATION_JSON)
                .body(body);
    }

    private static Mono<Void> answer(ServerWebExchange exchange, HttpStatus status, String body) {
        exchange.getResponse().setStatusCode(status);
        exchange.getResponse().getHeaders().setContentType(MediaType.APPLICATION_JSON);
        return exchange.getResponse().writeWith(Mono.just(
                DefaultDataBufferFactory.sharedInstance.wrap(body.getBytes(StandardCharsets.UTF_8))));
    }

    private static byte[] bytesOf(DataBuffer buffer) {
        byte[] bytes = new byte[buffer.readableByteCount()];
        buffer.read(bytes);
        DataBufferUtils.release(buffer);
        return bytes;
    }

    private static RoutePolicyFilter routes(SessionStore store) {
        RequiredSession required = new RequiredSession(store);
        IdentityForwarding identity = new IdentityForwarding(store, DownstreamIdentity.headersOnly());
        return new RoutePolicyFilter(Map.of(RoutePolicy.REQUIRED, identity, RoutePolicy.OPTIONAL, identity,
                RoutePolicy.PUBLIC, identity,
                RoutePolicy.DECRYPT, new DecryptRoute(required, store, new BodyReader(16 * 1024), DownstreamIdentity.headersOnly()),
                RoutePolicy.PHONE, (exchange, chain, route) -> Mono.error(new AssertionError("not a phone route")),
                RoutePolicy.LOGIN, (exchange, chain, route) -> Mono.error(new AssertionError("not a login route"))));
    }
}
