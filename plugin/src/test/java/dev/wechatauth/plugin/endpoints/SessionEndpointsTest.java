package dev.wechatauth.plugin.endpoints;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.wechatauth.plugin.session.IssuedSession;
import dev.wechatauth.plugin.session.RedisSessionStore;
import dev.wechatauth.plugin.session.SessionPolicy;
import dev.wechatauth.plugin.session.SessionWriter;
import dev.wechatauth.plugin.session.Tokens;
import dev.wechatauth.plugin.support.Answered;
import dev.wechatauth.plugin.support.Json;
import dev.wechatauth.plugin.support.RedisFixture;
import dev.wechatauth.plugin.wechat.WechatIdentity;
import dev.wechatauth.testkit.FreePort;
import dev.wechatauth.testkit.RedisProcess;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.server.MockServerWebExchange;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;
import tools.jackson.databind.JsonNode;

class SessionEndpointsTest {

    private static final Duration TTL = Duration.ofDays(7);
    private static final WechatIdentity ALICE = new WechatIdentity("wx_app_one", "o_alice", "u_alice", "a2V5LWFsaWNl");
    private static final WechatIdentity BOB = new WechatIdentity("wx_app_one", "o_bob", null, "a2V5LWJvYg==");

    private static RedisProcess redis;
    private static RedisFixture fixture;
    private static RedisSessionStore sessions;
    private static SessionEndpoints endpoints;

    @BeforeAll
    static void start() {
        redis = RedisProcess.start();
        fixture = new RedisFixture(redis.port());
        sessions = new RedisSessionStore(fixture.template(), new Tokens(), SessionWriter.of(fixture.template()), "endpoints-test", new SessionPolicy(TTL, Duration.ofDays(30), 0), Clock.systemUTC());
        endpoints = new SessionEndpoints("/wx/logout", "/wx/session", "/wx/sessions", sessions);
    }

    @AfterAll
    static void stop() {
        fixture.close();
        redis.close();
    }

    @Test
    void logoutWhenTokenValidThen204AndTheTokenStopsWorkingWhileOtherDevicesStay() {
        IssuedSession phone = login(ALICE);
        IssuedSession tablet = login(ALICE);

        MockServerWebExchange exchange = run(HttpMethod.POST, "/wx/logout", "Bearer " + phone.token());

        assertThat(exchange.getResponse().getStatusCode().value()).isEqualTo(204);
        StepVerifier.create(sessions.find(phone.token())).verifyComplete();
        StepVerifier.create(sessions.find(tablet.token())).expectNextCount(1).verifyComplete();
        assertError(run(HttpMethod.POST, "/wx/logout", "Bearer " + phone.token()), 401, "invalid_token");
    }

    @Test
    void logoutWhenNoTokenThenMissingToken() {
        MockServerWebExchange exchange = run(HttpMethod.POST, "/wx/logout", null);

        assertError(exchange, 401, "missing_token");
        assertThat(exchange.getResponse().getHeaders().getFirst(HttpHeaders.WWW_AUTHENTICATE)).isEqualTo("Bearer");
    }

    @Test
    void logoutWhenTokenUnknownOrMalformedThenInvalidToken() {
        MockServerWebExchange unknown = run(HttpMethod.POST, "/wx/logout", "Bearer " + new Tokens().next().block());

        assertError(unknown, 401, "invalid_token");
        assertThat(unknown.getResponse().getHeaders().getFirst(HttpHeaders.WWW_AUTHENTICATE))
                .isEqualTo("Bearer error=\"invalid_token\"");
        assertError(run(HttpMethod.POST, "/wx/logout", "Bearer nope"), 401, "invalid_token");
    }

    @Test
    void logoutWhenNotPostThenMethodNotAllowed() {
        MockServerWebExchange exchange = run(HttpMethod.GET, "/wx/logout", "Bearer " + login(ALICE).token());

        assertError(exchange, 405, "invalid_request");
        assertThat(exchange.getResponse().getHeaders().getFirst(HttpHeaders.ALLOW)).isEqualTo("POST");
    }

    @Test
    void sessionWhenTokenValidThenDescribesItWithoutTheSessionKey() {
        IssuedSession issued = login(ALICE);

        MockServerWebExchange exchange = run(HttpMethod.GET, "/wx/session", "Bearer " + issued.token());

        assertThat(exchange.getResponse().getStatusCode().value()).isEqualTo(200);
        String text = exchange.getResponse().getBodyAsString().block();
        JsonNode body = Json.parse(text);
        assertThat(body.propertyNames()).containsExactlyInAnyOrder("openid", "unionid", "appid", "expiresIn", "createdAt");
        assertThat(body.get("openid").asString()).isEqualTo("o_alice");
        assertThat(body.get("unionid").asString()).isEqualTo("u_alice");
        assertThat(body.get("appid").asString()).isEqualTo("wx_app_one");
        assertThat(body.get("expiresIn").asLong()).isBetween(TTL.toSeconds() - 60, TTL.toSeconds());
        assertThat(text).doesNotContain(ALICE.sessionKey());
    }

    @Test
    void sessionWhenNoUnionidThenLeftOut() {
        IssuedSession issued = login(BOB);

        JsonNode body = Json.parse(run(HttpMethod.GET, "/wx/session", "Bearer " + issued.token())
                .getResponse().getBodyAsString().block());

        assertThat(body.propertyNames()).containsExactlyInAnyOrder("openid", "appid", "expiresIn", "createdAt");
    }

    @Test
    void sessionWhenNoTokenThenMissingTokenAndWhenLoggedOutThenInvalidToken() {
        IssuedSession issued = login(ALICE);
        sessions.delete(issued.token()).block(Duration.ofSeconds(5));

        assertError(run(HttpMethod.GET, "/wx/session", null), 401, "missing_token");
        assertError(run(HttpMethod.GET, "/wx/session", "Bearer " + issued.token()), 401, "invalid_token");
    }

    @Test
    void endpointsWhenSessionStoreUnavailableThenSessionStoreUnavailable() {
        try (RedisFixture nowhere = new RedisFixture(FreePort.next())) {
            SessionEndpoints withoutRedis = new SessionEndpoints("/wx/logout", "/wx/session", "/wx/sessions",
                    new RedisSessionStore(nowhere.template(), new Tokens(), SessionWriter.of(nowhere.template()), "x", new SessionPolicy(TTL, Duration.ofDays(30), 0), Clock.systemUTC()));
            String token = "Bearer " + new Tokens().next().block();

            assertError(run(withoutRedis, HttpMethod.POST, "/wx/logout", token), 503, "session_store_unavailable");
            assertError(run(withoutRedis, HttpMethod.GET, "/wx/session", token), 503, "session_store_unavailable");
            assertError(run(withoutRedis, HttpMethod.GET, "/wx/sessions", token), 503, "session_store_unavailable");
            assertError(run(withoutRedis, HttpMethod.DELETE, "/wx/sessions", token), 503, "session_store_unavailable");
            assertError(run(withoutRedis, HttpMethod.DELETE, "/wx/sessions/" + "A".repeat(22), token), 503,
                    "session_store_unavailable");
        }
    }

    @Test
    void filterWhenOtherPathThenPassesOn() {
        AtomicBoolean called = new AtomicBoolean();
        MockServerWebExchange exchange = MockServerWebExchange.from(MockServerHttpRequest.post("/wx/logout/x"));

        StepVerifier.create(endpoints.filter(exchange, chainSetting(called))).verifyComplete();

        assertThat(called).isTrue();
        assertThat(exchange.getResponse().getStatusCode()).isNull();
    }

    // --- the user's own sessions ---

    @Test
    void sessionsListsTheCallersUsersSessionsNewestFirstMarkingTheCurrentOne() {
        WechatIdentity carol = new WechatIdentity("wx_app_one", "o_carol_list", null, "a2V5");
        IssuedSession phone = sessions.create(carol, "Phone \"quoted\" UA").block();
        IssuedSession tablet = sessions.create(carol, null).block();
        login(BOB);

        MockServerWebExchange exchange = run(HttpMethod.GET, "/wx/sessions", "Bearer " + phone.token());

        assertThat(exchange.getResponse().getStatusCode().value()).isEqualTo(200);
        assertThat(exchange.getResponse().getHeaders().getCacheControl()).isEqualTo("no-store");
        JsonNode listed = Json.parse(exchange.getResponse().getBodyAsString().block()).get("sessions");
        assertThat(listed).hasSize(2);
        assertThat(listed.get(0).get("id").asString()).isEqualTo(Tokens.publicId(Tokens.hash(tablet.token())));
        assertThat(listed.get(0).get("current").asBoolean()).isFalse();
        assertThat(listed.get(0).has("userAgent")).isFalse();
        assertThat(listed.get(1).get("id").asString()).isEqualTo(Tokens.publicId(Tokens.hash(phone.token())));
        assertThat(listed.get(1).get("current").asBoolean()).isTrue();
        assertThat(listed.get(1).get("userAgent").asString()).isEqualTo("Phone \"quoted\" UA");
        assertThat(listed.get(1).propertyNames()).containsExactlyInAnyOrder("id", "createdAt", "lastUsedAt",
                "expiresIn", "userAgent", "current");
        assertThat(exchange.getResponse().getBodyAsString().block()).doesNotContain(phone.token(),
                Tokens.hash(phone.token()), tablet.token(), Tokens.hash(tablet.token()));
    }

    @Test
    void deleteSessionsEndsEverySessionOfTheUserTheCallersIncluded() {
        WechatIdentity dave = new WechatIdentity("wx_app_one", "o_dave_all", null, "a2V5");
        IssuedSession phone = sessions.create(dave, null).block();
        IssuedSession tablet = sessions.create(dave, null).block();
        IssuedSession bob = login(BOB);

        MockServerWebExchange exchange = run(HttpMethod.DELETE, "/wx/sessions", "Bearer " + phone.token());

        assertThat(exchange.getResponse().getStatusCode().value()).isEqualTo(204);
        StepVerifier.create(sessions.find(phone.token())).verifyComplete();
        StepVerifier.create(sessions.find(tablet.token())).verifyComplete();
        StepVerifier.create(sessions.find(bob.token())).expectNextCount(1).verifyComplete();
    }

    @Test
    void deleteOneSessionEndsItAndAnIdThatIsNotTheCallersIsNotFound() {
        WechatIdentity erin = new WechatIdentity("wx_app_one", "o_erin_one", null, "a2V5");
        IssuedSession phone = sessions.create(erin, null).block();
        IssuedSession tablet = sessions.create(erin, null).block();
        IssuedSession bob = login(BOB);
        String auth = "Bearer " + phone.token();

        assertError(run(HttpMethod.DELETE, "/wx/sessions/" + Tokens.publicId(Tokens.hash(bob.token())), auth), 404,
                "not_found");
        for (String malformed : List.of("", "x", "%2e%2e", "a".repeat(23), "a".repeat(21) + "!",
                Tokens.hash(tablet.token()), tablet.token(), Tokens.publicId(Tokens.hash(tablet.token())) + "/x")) {
            assertError(run(HttpMethod.DELETE, "/wx/sessions/" + malformed, auth), 404, "not_found");
        }
        StepVerifier.create(sessions.find(tablet.token())).expectNextCount(1).verifyComplete();
        StepVerifier.create(sessions.find(bob.token())).expectNextCount(1).verifyComplete();

        MockServerWebExchange exchange = run(HttpMethod.DELETE,
                "/wx/sessions/" + Tokens.publicId(Tokens.hash(tablet.token())), auth);

        assertThat(exchange.getResponse().getStatusCode().value()).isEqualTo(204);
        StepVerifier.create(sessions.find(tablet.token())).verifyComplete();
        StepVerifier.create(sessions.find(phone.token())).expectNextCount(1).verifyComplete();
    }

    @Test
    void sessionsEndpointsWithoutAValidTokenOrWithAnotherMethodAreRefused() {
        String id = "/wx/sessions/" + "A".repeat(22);
        for (HttpMethod method : List.of(HttpMethod.GET, HttpMethod.DELETE)) {
            assertError(run(method, "/wx/sessions", null), 401, "missing_token");
            assertError(run(method, "/wx/sessions", "Bearer " + new Tokens().next().block()), 401, "invalid_token");
        }
        assertError(run(HttpMethod.DELETE, id, null), 401, "missing_token");
        assertError(run(HttpMethod.DELETE, id, "Bearer nope"), 401, "invalid_token");

        MockServerWebExchange post = run(HttpMethod.POST, "/wx/sessions", "Bearer " + login(ALICE).token());
        assertError(post, 405, "invalid_request");
        assertThat(post.getResponse().getHeaders().getAllow()).containsExactlyInAnyOrder(HttpMethod.GET,
                HttpMethod.DELETE);
        MockServerWebExchange get = run(HttpMethod.GET, id, "Bearer " + login(ALICE).token());
        assertError(get, 405, "invalid_request");
        assertThat(get.getResponse().getHeaders().getFirst(HttpHeaders.ALLOW)).isEqualTo("DELETE");
    }

    // --- helpers ---

    private static MockServerWebExchange run(HttpMethod method, String path, String authorization) {
        return run(endpoints, method, path, authorization);
    }

    private static MockServerWebExchange run(SessionEndpoints filter, HttpMethod method, String path,
            String authorization) {
        MockServerHttpRequest.BodyBuilder request = MockServerHttpRequest.method(method, path);
        if (authorization != null) {
            request.header(HttpHeaders.AUTHORIZATION, authorization);
        }
        MockServerWebExchange exchange = MockServerWebExchange.from(request);
        AtomicBoolean called = new AtomicBoolean();
        Answered.run(exchange, filter.filter(exchange, chainSetting(called)));
        assertThat(called).as("the endpoint answered itself").isFalse();
        return exchange;
    }

    private static void assertError(MockServerWebExchange exchange, int status, String code) {
        assertThat(exchange.getResponse().getStatusCode().value()).isEqualTo(status);
        assertThat(Json.parse(exchange.getResponse().getBodyAsString().block()).get("error").asString()).isEqualTo(code);
    }

    private static IssuedSession login(WechatIdentity identity) {
        return sessions.create(identity, null).block(Duration.ofSeconds(5));
    }

    private static WebFilterChain chainSetting(AtomicBoolean called) {
        return exchange -> {
            called.set(true);
            return Mono.empty();
        };
    }
}
