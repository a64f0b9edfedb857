package dev.wechatauth.plugin.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Clock;
import java.time.Duration;
import java.util.function.Consumer;

import dev.wechatauth.plugin.routing.RouteTarget;
import dev.wechatauth.plugin.session.CachedSessionStore;
import dev.wechatauth.plugin.session.IssuedSession;
import dev.wechatauth.plugin.session.RedisSessionStore;
import dev.wechatauth.plugin.session.SessionPolicy;
import dev.wechatauth.plugin.session.SessionInvalidations;
import dev.wechatauth.plugin.session.SessionStore;
import dev.wechatauth.plugin.session.SessionWriter;
import dev.wechatauth.plugin.session.Tokens;
import dev.wechatauth.plugin.support.Answered;
import dev.wechatauth.plugin.support.CapturingChain;
import dev.wechatauth.plugin.support.EmptySessionStore;
import dev.wechatauth.plugin.support.Json;
import dev.wechatauth.plugin.support.RedisFixture;
import dev.wechatauth.plugin.support.Routes;
import dev.wechatauth.plugin.wechat.WechatIdentity;
import dev.wechatauth.testkit.FreePort;
import dev.wechatauth.testkit.RedisProcess;
import io.lettuce.core.RedisClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpHeaders;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.server.MockServerWebExchange;
import tools.jackson.databind.JsonNode;

class IdentityForwardingTest {

    private static final String NAMESPACE = "auth-filter-test";
    private static final Duration TTL = Duration.ofHours(1);
    private static final WechatIdentity ALICE = new WechatIdentity("wx_app_one", "o_alice", "u_alice", "a2V5LWFsaWNl");
    private static final WechatIdentity BOB = new WechatIdentity("wx_app_two", "o_bob", null, "a2V5LWJvYg==");

    private static RedisProcess redis;
    private static RedisFixture fixture;
    private static RedisSessionStore sessions;
    private static IdentityForwarding filter;

    @BeforeAll
    static void start() {
        redis = RedisProcess.start();
        fixture = new RedisFixture(redis.port());
        sessions = new RedisSessionStore(fixture.template(), new Tokens(), SessionWriter.of(fixture.template()), NAMESPACE, new SessionPolicy(TTL, Duration.ofDays(30), 0), Clock.systemUTC());
        filter = new IdentityForwarding(sessions, DownstreamIdentity.headersOnly());
    }

    @AfterAll
    static void stop() {
        fixture.close();
        redis.close();
    }

    // --- sessions answered from memory ---

    /** The session cache answers a known session at once ({@code Mono.just}), without a Redis command. */
    @Nested
    class FromMemory {

        private CachedSessionStore cached;
        private RedisClient client;
        private IdentityForwarding cachedFilter;

        @BeforeEach
        void listening() {
            client = RedisClient.create(redis.url());
            cached = new CachedSessionStore(sessions, new SessionInvalidations(client, fixture.template(), NAMESPACE),
                    1000, Duration.ofMinutes(1));
            cached.start();
            await().atMost(Duration.ofSeconds(5)).until(cached::isServingFromMemory);
            cachedFilter = new IdentityForwarding(cached, DownstreamIdentity.headersOnly());
        }

        @AfterEach
        void stopListening() {
            cached.stop();
            client.shutdown();
        }

        @Test
        void filterWhenSessionInMemoryThenForwardedWithIdentityAndWithoutAuthorization() {
            IssuedSession issued = login(ALICE);
            run(cachedFilter, "required", "/api/orders", bearer(issued.token())); // read from Redis, kept
            fixture.inspector().del(NAMESPACE + ":session:" + Tokens.hash(issued.token())); // only memory has it now

            Outcome outcome = run(cachedFilter, "required", "/api/orders", request -> request
                    .header(HttpHeaders.AUTHORIZATION, "Bearer " + issued.token())
                    .header("X-OpenId", "o_spoofed"));

            HttpHeaders forwarded = outcome.forwardedHeaders();
            assertThat(forwarded.get("X-OpenId")).containsExactly("o_alice");
            assertThat(forwarded.get("X-AppId")).containsExactly("wx_app_one");
            assertThat(forwarded.containsHeader(HttpHeaders.AUTHORIZATION)).isFalse();
        }

        @Test
        void filterWhenSessionLoggedOutThenInvalidTokenAtOnce() {
            IssuedSession issued = login(ALICE);
            run(cachedFilter, "required", "/api/orders", bearer(issued.token()));
            cached.delete(issued.token()).block(Duration.ofSeconds(5));

            Outcome outcome = run(cachedFilter, "required", "/api/orders", bearer(issued.token()));

            outcome.assertError(401, "invalid_token");
        }

        @Test
        void filterWhenAStoreAnswersEmptyAtOnceThenInvalidToken() {
            SessionStore knowsNobody = new EmptySessionStore(); // answers at once, like a memory that knows it is gone

            Outcome outcome = run(new IdentityForwarding(knowsNobody, DownstreamIdentity.headersOnly()), "required",
                    "/api/orders", bearer(unknownToken()));

            outcome.assertError(401, "invalid_token");
        }
    }

    // --- required ---

    @Nested
    class Required {

        @Test
        void filterWhenNoTokenThenMissingTokenAndNotForwarded() {
            Outcome outcome = run("required", request -> { });

            outcome.assertError(401, "missing_token");
            assertThat(outcome.wwwAuthenticate()).isEqualTo("Bearer");
        }

        @Test
        void filterWhenAuthMetadataAbsentThenTreatedAsRequired() {
            Outcome outcome = run(null, request -> { });

            outcome.assertError(401, "missing_token");
        }

        @Test
        void filterWhenPolicyUnknownThenTreatedAsRequired() {
            Outcome outcome = run("opne", request -> { });

            outcome.assertError(401, "missing_token");
        }

        @Test
        void filterWhenOtherSchemeThenMissingToken() {
            Outcome outcome = run("required", request -> request.header(HttpHeaders.AUTHORIZATION, "Basic dXNlcjpwYXNz"));

            outcome.assertError(401, "missing_token");
        }

        @Test
        void filterWhenTokenOnlyInQueryStringThenMissingToken() {
            IssuedSession issued = login(ALICE);
            Outcome outcome = run("required", "/api/orders?access_token=" + issued.token(), request -> { });

            outcome.assertError(401, "missing_token");
        }

        @Test
        void filterWhenTokenUnknownThenInvalidToken() {
            Outcome outcome = run("required", bearer(unknownToken()));

            outcome.assertError(401, "invalid_token");
            assertThat(outcome.wwwAuthenticate()).isEqualTo("Bearer error=\"invalid_token\"");
        }

        @Test
        void filterWhenTokenMalformedThenInvalidToken() {
            Outcome outcome = run("required", request -> request.header(HttpHeaders.AUTHORIZATION, "Bearer not-a-token"));

            outcome.assertError(401, "invalid_token");
            assertThat(outcome.wwwAuthenticate()).isEqualTo("Bearer error=\"invalid_token\"");
        }

        @Test
        void filterWhenBearerWithoutValueThenInvalidToken() {
            Outcome outcome = run("required", request -> request.header(HttpHeaders.AUTHORIZATION, "Bearer "));

            outcome.assertError(401, "invalid_token");
        }

        @Test
        void filterWhenSessionExpiredThenInvalidToken() {
            IssuedSession issued = login(ALICE);
            fixture.inspector().del(NAMESPACE + ":session:" + Tokens.hash(issued.token()));

            run("required", bearer(issued.token())).assertError(401, "invalid_token");
        }

        @Test
        void filterWhenSessionLoggedOutThenInvalidToken() {
            IssuedSession issued = login(ALICE);
            assertThat(sessions.delete(issued.token()).block(Duration.ofSeconds(5))).isTrue();

            run("required", bearer(issued.token())).assertError(401, "invalid_token");
        }

        @Test
        void filterWhenTwoAuthorizationHeadersThenInvalidRequest() {
            IssuedSession issued = login(ALICE);
            Outcome outcome = run("required", request -> request
                    .header(HttpHeaders.AUTHORIZATION, "Bearer " + issued.token(), "Bearer " + issued.token()));

            outcome.assertError(400, "invalid_request");
        }

        @Test
        void filterWhenTokenValidThenForwardedWithIdentityAndWithoutAuthorization() {
            IssuedSession issued = login(ALICE);

            Outcome outcome = run("required", bearer(issued.token()));

            HttpHeaders forwarded = outcome.forwardedHeaders();
            assertThat(forwarded.get("X-OpenId")).containsExactly("o_alice");
            assertThat(forwarded.get("X-UnionId")).containsExactly("u_alice");
            assertThat(forwarded.get("X-AppId")).containsExactly("wx_app_one");
            assertThat(forwarded.containsHeader(HttpHeaders.AUTHORIZATION)).isFalse();
            assertThat(outcome.responseStatus()).isNull();
        }

        @Test
        void filterWhenSchemeInOtherLetterCaseThenAccepted() {
            IssuedSession issued = login(ALICE);

            Outcome outcome = run("required", request -> request.header(HttpHeaders.AUTHORIZATION, "bEARER " + issued.token()));

            assertThat(outcome.forwardedHeaders().get("X-OpenId")).containsExactly("o_alice");
        }

        @Test
        void filterWhenNoUnionidThenNoUnionIdHeaderEvenIfSpoofed() {
            IssuedSession issued = login(BOB);

            Outcome outcome = run("required", request -> request
                    .header(HttpHeaders.AUTHORIZATION, "Bearer " + issued.token())
                    .header("X-UnionId", "u_spoofed"));

            HttpHeaders forwarded = outcome.forwardedHeaders();
            assertThat(forwarded.get("X-OpenId")).containsExactly("o_bob");
            assertThat(forwarded.get("X-AppId")).containsExactly("wx_app_two");
            assertThat(forwarded.containsHeader("X-UnionId")).isFalse();
        }

        @Test
        void filterWhenClientSpoofsIdentityHeadersThenOnlyTheGatewaysValuesArrive() {
            IssuedSession issued = login(ALICE);

            Outcome outcome = run("required", request -> spoofing(request)
                    .header(HttpHeaders.AUTHORIZATION, "Bearer " + issued.token()));

            HttpHeaders forwarded = outcome.forwardedHeaders();
            assertThat(forwarded.get("X-OpenId")).containsExactly("o_alice");
            assertThat(forwarded.get("X-UnionId")).containsExactly("u_alice");
            assertThat(forwarded.get("X-AppId")).containsExactly("wx_app_one");
            assertNoSpoofedHeader(forwarded);
            assertThat(forwarded.get("X-Request-Id")).containsExactly("req-1");
        }

        @Test
        void filterWhenTokenValidThenTheSessionIsRenewed() {
            IssuedSession issued = login(ALICE);
            String key = NAMESPACE + ":session:" + Tokens.hash(issued.token());
            fixture.inspector().pexpire(key, 10_000);

            run("required", bearer(issued.token())).forwardedHeaders();

            assertThat(fixture.inspector().pttl(key)).isGreaterThan(TTL.minusMinutes(1).toMillis());
        }

        @Test
        void filterWhenSessionStoreUnavailableThenSessionStoreUnavailable() {
            try (RedisFixture nowhere = new RedisFixture(FreePort.next())) {
                IdentityForwarding withoutRedis = new IdentityForwarding(
                        new RedisSessionStore(nowhere.template(), new Tokens(), SessionWriter.of(nowhere.template()), NAMESPACE, new SessionPolicy(TTL, Duration.ofDays(30), 0), Clock.systemUTC()),
                        DownstreamIdentity.headersOnly());

                Outcome outcome = run(withoutRedis, "required", "/api/orders", bearer(unknownToken()));

                outcome.assertError(503, "session_store_unavailable");
            }
        }
    }

    // --- optional ---

    @Nested
    class Optional {

        @Test
        void filterWhenNoTokenThenForwardedWithoutIdentity() {
            Outcome outcome = run("optional", request -> spoofing(request));

            HttpHeaders forwarded = outcome.forwardedHeaders();
            assertNoSpoofedHeader(forwarded);
            assertThat(forwarded.containsHeader("X-OpenId")).isFalse();
            assertThat(forwarded.containsHeader("X-UnionId")).isFalse();
            assertThat(forwarded.containsHeader("X-AppId")).isFalse();
            assertThat(forwarded.get("X-Request-Id")).containsExactly("req-1");
        }

        @Test
        void filterWhenOtherSchemeThenForwardedWithoutIdentityOrAuthorization() {
            Outcome outcome = run("optional", request -> request.header(HttpHeaders.AUTHORIZATION, "Basic dXNlcjpwYXNz"));

            HttpHeaders forwarded = outcome.forwardedHeaders();
            assertThat(forwarded.containsHeader("X-OpenId")).isFalse();
            assertThat(forwarded.containsHeader(HttpHeaders.AUTHORIZATION)).isFalse();
        }

        @Test
        void filterWhenTokenUnknownThenInvalidToken() {
            run("optional", bearer(unknownToken())).assertError(401, "invalid_token");
        }

        @Test
        void filterWhenTokenMalformedThenInvalidToken() {
            run("optional", request -> request.header(HttpHeaders.AUTHORIZATION, "Bearer abc"))
                    .assertError(401, "invalid_token");
        }

        @Test
        void filterWhenSessionLoggedOutThenInvalidToken() {
            IssuedSession issued = login(ALICE);
            sessions.delete(issued.token()).block(Duration.ofSeconds(5));

            run("optional", bearer(issued.token())).assertError(401, "invalid_token");
        }

        @Test
        void filterWhenTwoAuthorizationHeadersThenInvalidRequest() {
            run("optional", request -> request.header(HttpHeaders.AUTHORIZATION, "Basic a", "Basic b"))
                    .assertError(400, "invalid_request");
        }

        @Test
        void filterWhenTokenValidThenForwardedWithIdentityAndWithoutAuthorization() {
            IssuedSession issued = login(ALICE);

            Outcome outcome = run("optional", request -> spoofing(request)
                    .header(HttpHeaders.AUTHORIZATION, "Bearer " + issued.token()));

            HttpHeaders forwarded = outcome.forwardedHeaders();
            assertThat(forwarded.get("X-OpenId")).containsExactly("o_alice");
            assertThat(forwarded.get("X-UnionId")).containsExactly("u_alice");
            assertThat(forwarded.get("X-AppId")).containsExactly("wx_app_one");
            assertThat(forwarded.containsHeader(HttpHeaders.AUTHORIZATION)).isFalse();
            assertNoSpoofedHeader(forwarded);
        }

        @Test
        void filterWhenSessionStoreUnavailableThenSessionStoreUnavailableButWithoutTokenStillForwarded() {
            try (RedisFixture nowhere = new RedisFixture(FreePort.next())) {
                IdentityForwarding withoutRedis = new IdentityForwarding(
                        new RedisSessionStore(nowhere.template(), new Tokens(), SessionWriter.of(nowhere.template()), NAMESPACE, new SessionPolicy(TTL, Duration.ofDays(30), 0), Clock.systemUTC()),
                        DownstreamIdentity.headersOnly());

                run(withoutRedis, "optional", "/api/catalog", bearer(unknownToken()))
                        .assertError(503, "session_store_unavailable");
                assertThat(run(withoutRedis, "optional", "/api/catalog", request -> { }).forwardedHeaders()
                        .containsHeader("X-OpenId")).isFalse();
            }
        }
    }

    // --- public ---

    @Nested
    class Public {

        @Test
        void filterWhenNoTokenThenForwardedAsSentLessIdentityHeaders() {
            Outcome outcome = run("public", request -> spoofing(request));

            HttpHeaders forwarded = outcome.forwardedHeaders();
            assertNoSpoofedHeader(forwarded);
            assertThat(forwarded.containsHeader("X-OpenId")).isFalse();
            assertThat(forwarded.get("X-Request-Id")).containsExactly("req-1");
        }

        @Test
        void filterWhenTokenUnknownOrMalformedThenForwardedWithAuthorizationUntouched() {
            String unknown = "Bearer " + unknownToken();

            Outcome withUnknown = run("public", request -> request.header(HttpHeaders.AUTHORIZATION, unknown));
            Outcome withMalformed = run("public", request -> request.header(HttpHeaders.AUTHORIZATION, "Bearer ???"));

            assertThat(withUnknown.forwardedHeaders().get(HttpHeaders.AUTHORIZATION)).containsExactly(unknown);
            assertThat(withMalformed.forwardedHeaders().get(HttpHeaders.AUTHORIZATION)).containsExactly("Bearer ???");
        }

        @Test
        void filterWhenTokenValidThenForwardedWithoutIdentityAndWithAuthorization() {
            IssuedSession issued = login(ALICE);

            Outcome outcome = run("public", request -> spoofing(request)
                    .header(HttpHeaders.AUTHORIZATION, "Bearer " + issued.token()));

            HttpHeaders forwarded = outcome.forwardedHeaders();
            assertThat(forwarded.containsHeader("X-OpenId")).isFalse();
            assertThat(forwarded.containsHeader("X-UnionId")).isFalse();
            assertThat(forwarded.containsHeader("X-AppId")).isFalse();
            assertNoSpoofedHeader(forwarded);
            assertThat(forwarded.get(HttpHeaders.AUTHORIZATION)).containsExactly("Bearer " + issued.token());
        }

        @Test
        void filterWhenNothingToRemoveThenTheSameRequestGoesOn() {
            MockServerWebExchange exchange = MockServerWebExchange.from(
                    MockServerHttpRequest.get("/public/x").header("X-Request-Id", "req-1"));
            CapturingChain chain = new CapturingChain();

            Answered.run(exchange, filter.handle(exchange, chain, RouteTarget.of(Routes.route("http://x", "public"))));

            assertThat(chain.forwarded().getRequest().getHeaders().get("X-Request-Id")).containsExactly("req-1");
        }
    }

    // --- helpers ---

    /** What one run of the filter did: the exchange it answered or the one it forwarded. */
    record Outcome(MockServerWebExchange exchange, CapturingChain chain) {

        HttpHeaders forwardedHeaders() {
            assertThat(chain.wasCalled()).as(() -> "the request was forwarded, not answered "
                    + exchange.getResponse().getStatusCode()).isTrue();
            return chain.forwarded().getRequest().getHeaders();
        }

        Integer responseStatus() {
            return exchange.getResponse().getStatusCode() == null ? null : exchange.getResponse().getStatusCode().value();
        }

        String wwwAuthenticate() {
            return exchange.getResponse().getHeaders().getFirst(HttpHeaders.WWW_AUTHENTICATE);
        }

        void assertError(int status, String code) {
            assertThat(chain.wasCalled()).as("the request was not forwarded").isFalse();
            assertThat(responseStatus()).isEqualTo(status);
            JsonNode body = Json.parse(exchange.getResponse().getBodyAsString().block());
            assertThat(body.get("error").asString()).isEqualTo(code);
            assertThat(exchange.getResponse().getHeaders().getContentType().toString()).startsWith("application/json");
            if (status == 401) {
                assertThat(wwwAuthenticate()).startsWith("Bearer");
            }
        }
    }

    private static Outcome run(String policy, Consumer<MockServerHttpRequest.BaseBuilder<?>> request) {
        return run(filter, policy, "/api/orders", request);
    }

    private static Outcome run(String policy, String path, Consumer<MockServerHttpRequest.BaseBuilder<?>> request) {
        return run(filter, policy, path, request);
    }

    private static Outcome run(IdentityForwarding filter, String policy, String path,
            Consumer<MockServerHttpRequest.BaseBuilder<?>> request) {
        MockServerHttpRequest.BaseBuilder<?> builder = MockServerHttpRequest.get(path);
        request.accept(builder);
        MockServerWebExchange exchange = MockServerWebExchange.from(builder);
        CapturingChain chain = new CapturingChain();

        Answered.run(exchange, filter.handle(exchange, chain, RouteTarget.of(Routes.route("http://x", policy))));
        return new Outcome(exchange, chain);
    }

    private static Consumer<MockServerHttpRequest.BaseBuilder<?>> bearer(String token) {
        return request -> request.header(HttpHeaders.AUTHORIZATION, "Bearer " + token);
    }

    private static MockServerHttpRequest.BaseBuilder<?> spoofing(MockServerHttpRequest.BaseBuilder<?> request) {
        return request
                .header("X-OpenId", "o_spoofed", "o_spoofed_2")
                .header("x-openid", "o_spoofed_3")
                .header("X_OpenId", "o_spoofed_4")
                .header("x_openid", "o_spoofed_5")
                .header("X-UNIONID", "u_spoofed")
                .header("x_unionid", "u_spoofed_2")
                .header("X-AppId", "wx_spoofed")
                .header("X_APPID", "wx_spoofed_2")
                .header("X-WX-OPENID", "o_spoofed_6")
                .header("X-WX-APPID", "wx_spoofed_3")
                .header("x_wx_source", "spoofed")
                .header("X-Phone-Number", "+8613800000000-spoofed")
                .header("x_pure_phone_number", "13800000000-spoofed")
                .header("X-PHONE-COUNTRY-CODE", "86-spoofed")
                .header("x-phone-number", "spoofed")
                .header("X-Request-Id", "req-1");
    }

    private static void assertNoSpoofedHeader(HttpHeaders forwarded) {
        for (String name : forwarded.headerNames()) {
            assertThat(forwarded.get(name)).as("header %s", name).noneMatch(value -> value.contains("spoofed"));
            assertThat(name.replace('_', '-').toLowerCase()).as("header name %s", name).doesNotStartWith("x-wx-")
                    .doesNotStartWith("x-phone-").isNotEqualTo("x-pure-phone-number");
        }
    }

    private static IssuedSession login(WechatIdentity identity) {
        IssuedSession issued = sessions.create(identity, null).block(Duration.ofSeconds(5));
        assertThat(issued).isNotNull();
        return issued;
    }

    private static String unknownToken() {
        return new Tokens().next().block(Duration.ofSeconds(5));
    }
}
