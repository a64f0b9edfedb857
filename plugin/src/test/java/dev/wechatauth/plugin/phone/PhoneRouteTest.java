package dev.wechatauth.plugin.phone;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import dev.wechatauth.plugin.accesstoken.AccessTokens;
import dev.wechatauth.plugin.decrypt.DecryptRoute;
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
import dev.wechatauth.plugin.wechat.MiniProgram;
import dev.wechatauth.plugin.wechat.MiniPrograms;
import dev.wechatauth.plugin.wechat.WechatApi;
import dev.wechatauth.plugin.wechat.WechatCallGuard;
import dev.wechatauth.plugin.wechat.WechatClient;
import dev.wechatauth.plugin.wechat.WechatHttpClients;
import dev.wechatauth.plugin.wechat.WechatIdentity;
import dev.wechatauth.testkit.FreePort;
import dev.wechatauth.testkit.RedisProcess;
import dev.wechatauth.testkit.Reply;
import dev.wechatauth.testkit.WechatStandIn;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
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
 * The phone-number request through the gateway's route policy filter, as WebFlux runs it (errors by the one error
 * handler): real Redis, the WeChat stand-in over real HTTP.
 */
class PhoneRouteTest {

    private static final String APP_ONE = "wx_phone_one";
    private static final String APP_TWO = "wx_phone_two";
    private static final String SECRET_ONE = "secret-of-phone-one";
    private static final String SECRET_TWO = "secret-of-phone-two";
    private static final String NAMESPACE = "phone-route-test";
    private static final Duration TTL = Duration.ofDays(7);
    private static final Duration TIMEOUT = Duration.ofSeconds(2);
    private static final String SELF_ANSWERING = "no://op";
    private static final String BACKEND = "http://profiles.internal:8080";

    private static RedisProcess redis;
    private static RedisFixture fixture;
    private static WechatStandIn wechat;
    private static RedisSessionStore sessions;
    private static WechatClient wechatClient;
    private static MiniPrograms apps;

    private WechatCallGuard guard;
    private AccessTokens accessTokens;
    private RoutePolicyFilter filter;
    private int codes;

    @BeforeAll
    static void start() {
        redis = RedisProcess.start();
        fixture = new RedisFixture(redis.port());
        wechat = WechatStandIn.start();
        wechat.registerApp(APP_ONE, SECRET_ONE);
        wechat.registerApp(APP_TWO, SECRET_TWO);
        apps = new MiniPrograms(List.of(new MiniProgram(APP_ONE, SECRET_ONE), new MiniProgram(APP_TWO, SECRET_TWO)));
        sessions = new RedisSessionStore(fixture.template(), new Tokens(), SessionWriter.of(fixture.template()),
                NAMESPACE, new SessionPolicy(TTL, Duration.ofDays(30), 0), Clock.systemUTC());
        wechatClient = new WechatClient(WechatHttpClients.webClient(TIMEOUT, 50), URI.create(wechat.baseUrl()),
                TIMEOUT, 64 * 1024);
    }

    @AfterAll
    static void stop() {
        wechat.close();
        fixture.close();
        redis.close();
    }

    /** Every test starts with no access_token anywhere: a fresh manager, and none in Redis or at the stand-in. */
    @BeforeEach
    void fresh() {
        wechat.clearScripts();
        wechat.invalidateAccessTokens(APP_ONE);
        wechat.invalidateAccessTokens(APP_TWO);
        wechat.accessTokenLifetime(Duration.ofSeconds(7200));
        wechat.accessTokenRenewWithin(Duration.ofMinutes(5));
        wechat.resetCounters();
        fixture.inspector().del(NAMESPACE + ":access-token:" + APP_ONE, NAMESPACE + ":access-token:" + APP_TWO,
                NAMESPACE + ":access-token-lock:" + APP_ONE);
        guard = new WechatCallGuard(50, 20, 10, Duration.ofSeconds(10), 3, 256);
        accessTokens = new AccessTokens(fixture.template(), wechatClient, guard, NAMESPACE, Duration.ofMinutes(4),
                TIMEOUT);
        filter = routes(sessions, accessTokens, guard);
    }

    // --- answered by the gateway ---

    @Test
    void filterWhenCodeValidOnSelfAnsweringRouteThenThePhoneNumberAndNothingElse() {
        String token = login(APP_ONE, "o_alice");
        String code = phoneCode(APP_ONE, "+8613800138000", "13800138000", "86");

        Outcome outcome = run(SELF_ANSWERING, phone(token, "{\"code\":\"" + code + "\"}"));

        assertThat(outcome.status()).isEqualTo(200);
        assertThat(outcome.contentType()).isEqualTo("application/json");
        assertThat(outcome.header(HttpHeaders.CACHE_CONTROL)).isEqualTo("no-store");
        JsonNode body = Json.parse(outcome.body());
        assertThat(body.propertyNames()).containsExactlyInAnyOrder("phoneNumber", "purePhoneNumber", "countryCode");
        assertThat(body.get("phoneNumber").asString()).isEqualTo("+8613800138000");
        assertThat(body.get("purePhoneNumber").asString()).isEqualTo("13800138000");
        assertThat(body.get("countryCode").asString()).isEqualTo("86");
        assertThat(outcome.chain().wasCalled()).isFalse();
        assertThat(wechat.phoneCalls()).isEqualTo(1);
        assertThat(wechat.stableTokenCalls()).isEqualTo(1);
        outcome.assertNoAccessToken(wechat.currentAccessToken(APP_ONE));
    }

    @Test
    void filterWhenFormBodyThenThePhoneNumber() {
        String token = login(APP_ONE, "o_form");
        String code = phoneCode(APP_ONE, "13900139000", "13900139000", "86");

        Outcome outcome = run(SELF_ANSWERING, MockServerHttpRequest.post("/wx/phone")
                .header(HttpHeaders.AUTHORIZATION, "Bearer " + token)
                .contentType(MediaType.APPLICATION_FORM_URLENCODED).body("code=" + code));

        assertThat(outcome.status()).isEqualTo(200);
        assertThat(Json.parse(outcome.body()).get("phoneNumber").asString()).isEqualTo("13900139000");
    }

    @Test
    void filterWhenSecondAppsSessionThenItsOwnAccessTokenAndWatermark() {
        String token = login(APP_TWO, "o_bob");
        String code = phoneCode(APP_TWO, "+12025550123", "2025550123", "1");

        Outcome outcome = run(SELF_ANSWERING, phone(token, "{\"code\":\"" + code + "\"}"));

        assertThat(outcome.status()).isEqualTo(200);
        assertThat(Json.parse(outcome.body()).get("countryCode").asString()).isEqualTo("1");
        assertThat(wechat.currentAccessToken(APP_TWO)).isNotNull();
        assertThat(wechat.currentAccessToken(APP_ONE)).isNull();
    }

    @Test
    void filterWhenManyPhoneCallsThenOneAccessTokenFetch() {
        String token = login(APP_ONE, "o_many");
        for (int i = 0; i < 5; i++) {
            String code = phoneCode(APP_ONE, "+861380000000" + i, "1380000000" + i, "86");
            assertThat(run(SELF_ANSWERING, phone(token, "{\"code\":\"" + code + "\"}")).status()).isEqualTo(200);
        }

        assertThat(wechat.stableTokenCalls()).isEqualTo(1);
        assertThat(wechat.phoneCalls()).isEqualTo(5);
    }

    // --- forwarded ---

    @Test
    void filterWhenForwardingRouteThenBodyIntactIdentityAndPhoneHeaders() {
        String token = login(APP_ONE, "o_carol", "u_carol");
        String code = phoneCode(APP_ONE, "+8613700137000", "13700137000", "86");
        String sent = "{ \"code\" : \"" + code + "\", \"purpose\": \"\u6ce8\u518c\" }";
        AtomicReference<byte[]> received = new AtomicReference<>();
        CapturingChain backend = new CapturingChain(exchange -> DataBufferUtils.join(exchange.getRequest().getBody())
                .doOnNext(buffer -> received.set(bytesOf(buffer)))
                .then(Mono.defer(() -> answer(exchange, HttpStatus.CREATED, "{\"bound\":true}"))));

        Outcome outcome = run(BACKEND, backend, phoneRequest(token)
                .header("X-Phone-Number", "+10000000000")
                .header("x_pure_phone_number", "0000")
                .header("X-PHONE-COUNTRY-CODE", "99")
                .header("X-OpenId", "o_spoofed")
                .header("X-Request-Id", "req-7")
                .body(sent));

        assertThat(backend.calls()).isEqualTo(1);
        assertThat(received.get()).isEqualTo(sent.getBytes(StandardCharsets.UTF_8));
        HttpHeaders forwarded = backend.forwarded().getRequest().getHeaders();
        assertThat(forwarded.get("X-Phone-Number")).containsExactly("+8613700137000");
        assertThat(forwarded.get("X-Pure-Phone-Number")).containsExactly("13700137000");
        assertThat(forwarded.get("X-Phone-Country-Code")).containsExactly("86");
        assertThat(forwarded.get("X-OpenId")).containsExactly("o_carol");
        assertThat(forwarded.get("X-UnionId")).containsExactly("u_carol");
        assertThat(forwarded.get("X-AppId")).containsExactly(APP_ONE);
        assertThat(forwarded.get("X-Request-Id")).containsExactly("req-7");
        assertThat(forwarded.containsHeader("x_pure_phone_number")).isFalse();
        assertThat(forwarded.containsHeader(HttpHeaders.AUTHORIZATION)).isFalse();
        assertThat(outcome.status()).isEqualTo(201);
        assertThat(outcome.body()).isEqualTo("{\"bound\":true}");
        outcome.assertNoAccessToken(wechat.currentAccessToken(APP_ONE));
        assertThat(forwarded.toString()).doesNotContain(wechat.currentAccessToken(APP_ONE));
    }

    @Test
    void filterWhenWechatRefusesTheCodeOnForwardingRouteThenNotForwarded() {
        String token = login(APP_ONE, "o_refused");
        CapturingChain backend = new CapturingChain();

        Outcome outcome = run(BACKEND, backend, phone(token, "{\"code\":\"never-issued\"}"));

        outcome.assertError(400, "invalid_code");
        assertThat(backend.wasCalled()).isFalse();
    }

    // --- the session comes first ---

    @Nested
    class Session {

        @Test
        void filterWhenNoTokenThenMissingTokenAndWechatNotCalled() {
            Outcome outcome = run(SELF_ANSWERING, MockServerHttpRequest.post("/wx/phone")
                    .contentType(MediaType.APPLICATION_JSON).body("{\"code\":\"c\"}"));

            outcome.assertError(401, "missing_token");
            assertThat(outcome.header(HttpHeaders.WWW_AUTHENTICATE)).isEqualTo("Bearer");
            assertThat(wechat.calls()).isZero();
        }

        @ParameterizedTest
        @ValueSource(strings = {"Bearer ", "Bearer not-a-token", "Bearer AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"})
        void filterWhenTokenMalformedOrUnknownThenInvalidTokenAndWechatNotCalled(String authorization) {
            Outcome outcome = run(SELF_ANSWERING, MockServerHttpRequest.post("/wx/phone")
                    .header(HttpHeaders.AUTHORIZATION, authorization)
                    .contentType(MediaType.APPLICATION_JSON).body("{\"code\":\"c\"}"));

            outcome.assertError(401, "invalid_token");
            assertThat(outcome.header(HttpHeaders.WWW_AUTHENTICATE)).isEqualTo("Bearer error=\"invalid_token\"");
            assertThat(wechat.calls()).isZero();
        }

        @Test
        void filterWhenLoggedOutThenInvalidToken() {
            String token = login(APP_ONE, "o_gone");
            sessions.delete(token).block(Duration.ofSeconds(5));

            run(SELF_ANSWERING, phone(token, "{\"code\":\"c\"}")).assertError(401, "invalid_token");
            assertThat(wechat.calls()).isZero();
        }

        @Test
        void filterWhenTwoAuthorizationHeadersThenInvalidRequest() {
            Outcome outcome = run(SELF_ANSWERING, MockServerHttpRequest.post("/wx/phone")
                    .header(HttpHeaders.AUTHORIZATION, "Bearer a", "Bearer b")
                    .contentType(MediaType.APPLICATION_JSON).body("{\"code\":\"c\"}"));

            outcome.assertError(400, "invalid_request");
        }

        @Test
        void filterWhenNoTokenAndWrongMethodThenMissingTokenFirst() {
            run(SELF_ANSWERING, MockServerHttpRequest.get("/wx/phone").build()).assertError(401, "missing_token");
        }

        @Test
        void filterWhenSessionStoreUnavailableThenSessionStoreUnavailable() {
            try (RedisFixture nowhere = new RedisFixture(FreePort.next())) {
                RedisSessionStore down = new RedisSessionStore(nowhere.template(), new Tokens(),
                        SessionWriter.of(nowhere.template()), NAMESPACE, new SessionPolicy(TTL, Duration.ofDays(30), 0), Clock.systemUTC());
                RoutePolicyFilter withoutRedis = routes(down, accessTokens, guard);

                Outcome outcome = run(withoutRedis, SELF_ANSWERING, new CapturingChain(),
                        phone(new Tokens().next().block(Duration.ofSeconds(5)), "{\"code\":\"c\"}"));

                outcome.assertError(503, "session_store_unavailable");
            }
        }
    }

    // --- the body ---

    @Nested
    class Body {

        @Test
        void filterWhenNotPostThenMethodNotAllowedAllowingPost() {
            String token = login(APP_ONE, "o_get");

            Outcome outcome = run(SELF_ANSWERING, MockServerHttpRequest.get("/wx/phone")
                    .header(HttpHeaders.AUTHORIZATION, "Bearer " + token).build());

            outcome.assertError(405, "invalid_request");
            assertThat(outcome.header(HttpHeaders.ALLOW)).isEqualTo("POST");
        }

        @Test
        void filterWhenNotJsonOrFormThenUnsupportedMediaType() {
            String token = login(APP_ONE, "o_xml");

            Outcome outcome = run(SELF_ANSWERING, MockServerHttpRequest.post("/wx/phone")
                    .header(HttpHeaders.AUTHORIZATION, "Bearer " + token)
                    .contentType(MediaType.TEXT_PLAIN).body("code=c"));

            outcome.assertError(415, "invalid_request");
        }

        @ParameterizedTest
        @ValueSource(strings = {"", "{", "{}", "{\"code\":\"\"}", "{\"code\":42}", "[\"c\"]", "{\"code\":\"a b\"}",
                "{\"code\":\"\u00e9t\u00e9\"}", "{\"code\":\"line\\r\\nbreak\"}"})
        void filterWhenBodyMalformedThenInvalidRequestAndWechatNotCalled(String body) {
            String token = login(APP_ONE, "o_malformed");

            run(SELF_ANSWERING, phone(token, body)).assertError(400, "invalid_request");
            assertThat(wechat.calls()).isZero();
        }

        @Test
        void filterWhenCodeOver128CharactersThenInvalidRequest() {
            String token = login(APP_ONE, "o_long");

            run(SELF_ANSWERING, phone(token, "{\"code\":\"" + "c".repeat(129) + "\"}"))
                    .assertError(400, "invalid_request");
            assertThat(wechat.calls()).isZero();
        }
    }

    // --- WeChat's answers ---

    @Nested
    class WechatAnswers {

        @Test
        void filterWhenPhoneCodeNeverIssuedThenInvalidCodeWithoutChallenge() {
            String token = login(APP_ONE, "o_invalid");

            Outcome outcome = run(SELF_ANSWERING, phone(token, "{\"code\":\"never-issued\"}"));

            outcome.assertError(400, "invalid_code");
            assertThat(outcome.header(HttpHeaders.WWW_AUTHENTICATE)).isNull();
        }

        @Test
        void filterWhenPhoneCodeUsedTwiceThenTheSecondIsInvalidCode() {
            String token = login(APP_ONE, "o_twice");
            String code = phoneCode(APP_ONE, "+8613600136000", "13600136000", "86");

            assertThat(run(SELF_ANSWERING, phone(token, "{\"code\":\"" + code + "\"}")).status()).isEqualTo(200);
            run(SELF_ANSWERING, phone(token, "{\"code\":\"" + code + "\"}")).assertError(400, "invalid_code");
        }

        @Test
        void filterWhenPhoneCodeOfAnotherAppThenInvalidCode() {
            String token = login(APP_ONE, "o_other_app");
            String code = phoneCode(APP_TWO, "+8613600136001", "13600136001", "86");

            run(SELF_ANSWERING, phone(token, "{\"code\":\"" + code + "\"}")).assertError(400, "invalid_code");
        }

        @Test
        void filterWhenWechatSays40163ThenInvalidCode() {
            String token = login(APP_ONE, "o_40163");
            wechat.scriptPhone("code-40163", Reply.errcode(40163));

            run(SELF_ANSWERING, phone(token, "{\"code\":\"code-40163\"}")).assertError(400, "invalid_code");
        }

        @Test
        void filterWhenTheAccessTokenWasInvalidatedThen40001ThenANewTokenAndSuccess() {
            String token = login(APP_ONE, "o_40001");
            String first = phoneCode(APP_ONE, "+8613500135000", "13500135000", "86");
            assertThat(run(SELF_ANSWERING, phone(token, "{\"code\":\"" + first + "\"}")).status()).isEqualTo(200);
            String stale = wechat.currentAccessToken(APP_ONE);
            wechat.invalidateAccessTokens(APP_ONE);
            String second = phoneCode(APP_ONE, "+8613500135001", "13500135001", "86");

            Outcome outcome = run(SELF_ANSWERING, phone(token, "{\"code\":\"" + second + "\"}"));

            assertThat(outcome.status()).isEqualTo(200);
            assertThat(Json.parse(outcome.body()).get("phoneNumber").asString()).isEqualTo("+8613500135001");
            assertThat(wechat.refusedAccessTokens()).isEqualTo(1);
            assertThat(wechat.stableTokenCalls()).isEqualTo(2);
            assertThat(wechat.phoneCalls()).isEqualTo(3);
            assertThat(wechat.currentAccessToken(APP_ONE)).isNotNull().isNotEqualTo(stale);
        }

        @Test
        void filterWhenTheAccessTokenExpiredAtWechatThen42001ThenANewTokenAndSuccess() {
            String token = login(APP_ONE, "o_42001");
            String first = phoneCode(APP_ONE, "+8613500135002", "13500135002", "86");
            assertThat(run(SELF_ANSWERING, phone(token, "{\"code\":\"" + first + "\"}")).status()).isEqualTo(200);
            wechat.expireAccessTokens(APP_ONE);
            String second = phoneCode(APP_ONE, "+8613500135003", "13500135003", "86");

            Outcome outcome = run(SELF_ANSWERING, phone(token, "{\"code\":\"" + second + "\"}"));

            assertThat(outcome.status()).isEqualTo(200);
            assertThat(wechat.refusedAccessTokens()).isEqualTo(1);
            assertThat(wechat.stableTokenCalls()).isEqualTo(2);
        }

        @Test
        void filterWhenWechatRefusesTheNewTokenTooThenWechatErrorAfterExactlyOneRetry() {
            String token = login(APP_ONE, "o_refused_twice");
            wechat.scriptPhone("code-always-40001", Reply.errcode(40001));

            Outcome outcome = run(SELF_ANSWERING, phone(token, "{\"code\":\"code-always-40001\"}"));

            outcome.assertError(502, "wechat_error");
            assertThat(wechat.phoneCalls()).isEqualTo(2);
            assertThat(wechat.stableTokenCalls()).isEqualTo(2);
        }

        @ParameterizedTest
        @ValueSource(ints = {-1, 40125, 40013})
        void filterWhenTheStableTokenCallFailsThenTheErrorAndThePhoneApiIsNotCalled(int errcode) {
            String token = login(APP_ONE, "o_no_token_" + errcode);
            wechat.scriptStableToken(Reply.errcode(errcode));

            Outcome outcome = run(SELF_ANSWERING, phone(token, "{\"code\":\"c\"}"));

            if (errcode == -1) {
                outcome.assertError(503, "wechat_unavailable");
            } else {
                outcome.assertError(502, "wechat_error");
            }
            assertThat(wechat.phoneCalls()).isZero();
            assertThat(fixture.inspector().exists(NAMESPACE + ":access-token-lock:" + APP_ONE))
                    .as("the lock is released after a failed call").isZero();
        }

        @Test
        void filterWhenTheStableTokenCallFailedThenTheNextRequestFetchesAgainAndSucceeds() {
            String token = login(APP_ONE, "o_recovered");
            wechat.scriptStableToken(Reply.status(500));
            run(SELF_ANSWERING, phone(token, "{\"code\":\"c\"}")).assertError(503, "wechat_unavailable");
            wechat.clearScripts();
            String code = phoneCode(APP_ONE, "+8613400134000", "13400134000", "86");

            Outcome outcome = run(SELF_ANSWERING, phone(token, "{\"code\":\"" + code + "\"}"));

            assertThat(outcome.status()).isEqualTo(200);
            assertThat(wechat.stableTokenCalls()).isEqualTo(2);
        }

        @Test
        void filterWhenTheStableTokenAnswerIsUnusableThenWechatError() {
            String token = login(APP_ONE, "o_bad_token");
            wechat.scriptStableToken(Reply.body("{\"access_token\":\"has spaces & ampersands\",\"expires_in\":7200}"));

            run(SELF_ANSWERING, phone(token, "{\"code\":\"c\"}")).assertError(502, "wechat_error");
            assertThat(wechat.phoneCalls()).isZero();
        }

        @Test
        void filterWhenTheStableTokenCallIsTooSlowThenWechatTimeout() {
            String token = login(APP_ONE, "o_slow_token");
            wechat.scriptStableToken(Reply.hang());

            run(SELF_ANSWERING, phone(token, "{\"code\":\"c\"}")).assertError(504, "wechat_timeout");
        }

        @Test
        void filterWhenWechatBusyThenWechatUnavailable() {
            String token = login(APP_ONE, "o_busy");
            wechat.scriptPhone("code-busy", Reply.errcode(-1));

            run(SELF_ANSWERING, phone(token, "{\"code\":\"code-busy\"}")).assertError(503, "wechat_unavailable");
        }

        @Test
        void filterWhenWechatRateLimitsThenRateLimitedWithRetryAfter60() {
            String token = login(APP_ONE, "o_limited");
            wechat.scriptPhone("code-45011", Reply.errcode(45011));

            Outcome outcome = run(SELF_ANSWERING, phone(token, "{\"code\":\"code-45011\"}"));

            outcome.assertError(429, "rate_limited");
            assertThat(outcome.header(HttpHeaders.RETRY_AFTER)).isEqualTo("60");
        }

        @Test
        void filterWhenWechatAnswersAnotherErrcodeOrStatusThenWechatError() {
            String token = login(APP_ONE, "o_other");
            wechat.scriptPhone("code-40013", Reply.errcode(40013));
            wechat.scriptPhone("code-403", Reply.status(403));

            run(SELF_ANSWERING, phone(token, "{\"code\":\"code-40013\"}")).assertError(502, "wechat_error");
            run(SELF_ANSWERING, phone(token, "{\"code\":\"code-403\"}")).assertError(502, "wechat_error");
        }

        @Test
        void filterWhenWechatIsTooSlowThenWechatTimeout() {
            String token = login(APP_ONE, "o_slow_phone");
            wechat.scriptPhone("code-slow", Reply.delayed(TIMEOUT.plusSeconds(1), Reply.errcode(0)));

            run(SELF_ANSWERING, phone(token, "{\"code\":\"code-slow\"}")).assertError(504, "wechat_timeout");
        }

        @Test
        void filterWhenTheWatermarkNamesAnotherAppThenWechatErrorAndNothingForwarded() {
            String token = login(APP_ONE, "o_watermark");
            String code = "code-watermark-" + (++codes);
            wechat.issuePhoneCode(APP_ONE, code, "+8613300133000", "13300133000", "86", APP_TWO);
            CapturingChain backend = new CapturingChain();

            Outcome outcome = run(BACKEND, backend, phone(token, "{\"code\":\"" + code + "\"}"));

            outcome.assertError(502, "wechat_error");
            assertThat(backend.wasCalled()).isFalse();
        }

        /** Each value is checked before it is sent anywhere: CR/LF, letters, signs and over-long values are refused. */
        @ParameterizedTest
        @ValueSource(strings = {
                "\"phoneNumber\":\"+8613800138000\\r\\nX-Admin: 1\",\"purePhoneNumber\":\"13800138000\",\"countryCode\":\"86\"",
                "\"phoneNumber\":\"+8613800138000\",\"purePhoneNumber\":\"13800138000\\n\",\"countryCode\":\"86\"",
                "\"phoneNumber\":\"+8613800138000\",\"purePhoneNumber\":\"13800138000\",\"countryCode\":\"86\\r\"",
                "\"phoneNumber\":\"+86138abc8000\",\"purePhoneNumber\":\"13800138000\",\"countryCode\":\"86\"",
                "\"phoneNumber\":\"+8613800138000\",\"purePhoneNumber\":\"1380013800O\",\"countryCode\":\"86\"",
                "\"phoneNumber\":\"+8613800138000\",\"purePhoneNumber\":\"13800138000\",\"countryCode\":\"CN\"",
                "\"phoneNumber\":\"+123456789012345678901\",\"purePhoneNumber\":\"13800138000\",\"countryCode\":\"86\"",
                "\"phoneNumber\":\"+8613800138000\",\"purePhoneNumber\":\"123456789012345678901\",\"countryCode\":\"86\"",
                "\"phoneNumber\":\"+8613800138000\",\"purePhoneNumber\":\"13800138000\",\"countryCode\":\"1234567\"",
                "\"phoneNumber\":\"++8613800138000\",\"purePhoneNumber\":\"13800138000\",\"countryCode\":\"86\"",
                "\"phoneNumber\":\"+8613800138000\",\"purePhoneNumber\":\"+13800138000\",\"countryCode\":\"86\"",
                "\"phoneNumber\":\"\",\"purePhoneNumber\":\"13800138000\",\"countryCode\":\"86\"",
                "\"phoneNumber\":8613800138000,\"purePhoneNumber\":\"13800138000\",\"countryCode\":\"86\"",
                "\"purePhoneNumber\":\"13800138000\",\"countryCode\":\"86\"",
                "\"phoneNumber\":\"+86 138 0013 8000\",\"purePhoneNumber\":\"13800138000\",\"countryCode\":\"86\""})
        void filterWhenAPhoneValueIsMalformedThenWechatErrorAndNothingForwarded(String fields) {
            String token = login(APP_ONE, "o_malformed_value");
            String code = "code-malformed-" + (++codes);
            wechat.scriptPhone(code, Reply.body("{\"errcode\":0,\"errmsg\":\"ok\",\"phone_info\":{" + fields
                    + ",\"watermark\":{\"timestamp\":1700000000,\"appid\":\"" + APP_ONE + "\"}}}"));
            CapturingChain backend = new CapturingChain();

            Outcome outcome = run(BACKEND, backend, phone(token, "{\"code\":\"" + code + "\"}"));

            outcome.assertError(502, "wechat_error");
            assertThat(backend.wasCalled()).isFalse();
        }

        @ParameterizedTest
        @ValueSource(strings = {"{\"errcode\":0,\"errmsg\":\"ok\"}", "{\"errcode\":0,\"phone_info\":\"+8613800138000\"}",
                "{\"errcode\":\"0\",\"phone_info\":{}}", "<html>busy</html>",
                "{\"errcode\":0,\"phone_info\":{\"phoneNumber\":\"+8613800138000\",\"purePhoneNumber\":\"13800138000\",\"countryCode\":\"86\"}}"})
        void filterWhenTheAnswerIsUnusableThenWechatError(String body) {
            String token = login(APP_ONE, "o_unusable");
            String code = "code-unusable-" + (++codes);
            wechat.scriptPhone(code, Reply.body(body));

            run(SELF_ANSWERING, phone(token, "{\"code\":\"" + code + "\"}")).assertError(502, "wechat_error");
        }

        @Test
        void filterWhenThePhoneApiKeepsFailingThenItsOwnBreakerOpensAndLoginsStillCallWechat() {
            String token = login(APP_ONE, "o_breaker");
            wechat.scriptPhone("code-down", Reply.status(503));
            for (int i = 0; i < 10; i++) {
                run(SELF_ANSWERING, phone(token, "{\"code\":\"code-down\"}")).assertError(503, "wechat_unavailable");
            }
            assertThat(guard.state(WechatApi.PHONE, APP_ONE)).isEqualTo(CircuitBreaker.State.OPEN);
            int phoneCalls = wechat.phoneCalls();

            run(SELF_ANSWERING, phone(token, "{\"code\":\"code-down\"}")).assertError(503, "wechat_unavailable");

            assertThat(wechat.phoneCalls()).as("an open breaker answers without calling WeChat").isEqualTo(phoneCalls);
            assertThat(guard.state(WechatApi.CODE2SESSION, APP_ONE)).isEqualTo(CircuitBreaker.State.CLOSED);
            assertThat(guard.state(WechatApi.STABLE_TOKEN, APP_ONE)).isEqualTo(CircuitBreaker.State.CLOSED);
            wechat.issueCode(APP_ONE, "login-while-phone-down", "o_breaker", null, "c2Vzc2lvbi1rZXktMTIzNDU=");
            assertThat(guard.guard(WechatApi.CODE2SESSION, APP_ONE,
                    () -> wechatClient.code2Session(apps.defaultApp(), "login-while-phone-down"))
                    .block(Duration.ofSeconds(5)).openid()).isEqualTo("o_breaker");
        }
    }

    // --- helpers ---

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
            assertNoAccessToken(wechat.currentAccessToken(APP_ONE));
        }

        void assertNoAccessToken(String accessToken) {
            if (accessToken == null) {
                return;
            }
            assertThat(exchange.getResponse().getHeaders().toString()).doesNotContain(accessToken);
            String body = body();
            assertThat(body == null ? "" : body).doesNotContain(accessToken).doesNotContain("access_token");
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
                Routes.route(routeUri, "phone"));
        Answered.run(exchange, filter.filter(exchange, chain));
        return new Outcome(exchange, chain);
    }

    private static MockServerHttpRequest.BodyBuilder phoneRequest(String token) {
        return MockServerHttpRequest.post("/wx/phone")
                .header(HttpHeaders.AUTHORIZATION, "Bearer " + token)
                .contentType(MediaType.APPLICATION_JSON);
    }

    private static MockServerHttpRequest phone(String token, String body) {
        return phoneRequest(token).body(body);
    }

    private String login(String appid, String openid) {
        return login(appid, openid, null);
    }

    private String login(String appid, String openid, String unionid) {
        IssuedSession issued = sessions.create(new WechatIdentity(appid, openid, unionid, "c2Vzc2lvbi1rZXktMTIzNDU="), null)
                .block(Duration.ofSeconds(5));
        assertThat(issued).isNotNull();
        return issued.token();
    }

    private String phoneCode(String appid, String phoneNumber, String pure, String countryCode) {
        String code = "phone-code-" + (++codes) + "-" + System.nanoTime();
        wechat.issuePhoneCode(appid, code, phoneNumber, pure, countryCode);
        return code;
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

    /** The route policy filter of a gateway whose phone route uses these parts. */
    static RoutePolicyFilter routes(SessionStore store, AccessTokens tokens, WechatCallGuard guard) {
        RequiredSession required = new RequiredSession(store);
        PhoneRoute phone = new PhoneRoute(required, new BodyReader(16 * 1024), apps,
                new PhoneNumbers(wechatClient, guard, tokens), DownstreamIdentity.headersOnly());
        IdentityForwarding identity = new IdentityForwarding(store, DownstreamIdentity.headersOnly());
        return new RoutePolicyFilter(Map.of(RoutePolicy.REQUIRED, identity, RoutePolicy.OPTIONAL, identity,
                RoutePolicy.PUBLIC, identity, RoutePolicy.PHONE, phone,
                RoutePolicy.DECRYPT, new DecryptRoute(required, store, new BodyReader(16 * 1024),
                        DownstreamIdentity.headersOnly()),
                RoutePolicy.LOGIN, (exchange, chain, route) -> Mono.error(new AssertionError("not a login route"))));
    }
}
