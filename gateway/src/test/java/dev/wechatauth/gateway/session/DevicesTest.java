package dev.wechatauth.gateway.session;

import static dev.wechatauth.gateway.rig.ContractAssertions.assertError;
import static dev.wechatauth.gateway.rig.ContractAssertions.assertForwarded;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import com.nimbusds.jwt.SignedJWT;
import dev.wechatauth.gateway.rig.Answer;
import dev.wechatauth.gateway.rig.Backends;
import dev.wechatauth.gateway.rig.Gateway;
import dev.wechatauth.gateway.rig.Gateways;
import dev.wechatauth.gateway.rig.IdentityJwt;
import dev.wechatauth.gateway.rig.OnTheSharedGateway;
import dev.wechatauth.gateway.rig.RedisView;
import dev.wechatauth.gateway.rig.Timing;
import dev.wechatauth.gateway.rig.WechatUser;
import dev.wechatauth.testkit.Resp;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;

/**
 * docs/reference.md, The user's own sessions: {@code GET /wx/sessions} lists the caller's sessions in its
 * mini-program (newest first, public ids that reveal neither token nor Redis key, the login's {@code User-Agent}),
 * {@code DELETE /wx/sessions/{id}} ends one, {@code DELETE /wx/sessions} ends all of them; each removal takes effect
 * on the other instance within one second. Bad input (another user's id, malformed ids, large bodies, other methods)
 * answers the contract's JSON errors. On the shared gateway and its peer, two instances on one Redis.
 */
class DevicesTest extends OnTheSharedGateway {

    private static final Duration EVERYWHERE = Timing.generous(Duration.ofSeconds(1));
    private static Gateway peer;

    @BeforeAll
    static void startThePeer() {
        peer = Gateways.sharedPeer();
    }

    @Test
    void theListShowsTheUsersSessionsOnEveryDeviceNewestFirstAndWhichOneIsAsking() {
        WechatUser alice = backends.newUser();
        long before = Instant.now().getEpochSecond();
        String phone = login(gateway, alice, "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) MicroMessenger/8.0.50");
        String tablet = login(peer, alice, "Mozilla/5.0 (iPad) MicroMessenger/8.0.49");
        String bob = gateway.newToken();

        Answer answer = peer.get("/wx/sessions", "Authorization: Bearer " + phone);

        assertThat(answer.status()).as("%s", answer).isEqualTo(200);
        assertThat(answer.header("Content-Type")).startsWith("application/json");
        assertThat(answer.header("Cache-Control")).isEqualTo("no-store");
        JsonNode sessions = answer.json().get("sessions");
        assertThat(sessions).hasSize(2);
        JsonNode newest = sessions.get(0);
        JsonNode oldest = sessions.get(1);
        assertThat(newest.get("userAgent").asString()).isEqualTo("Mozilla/5.0 (iPad) MicroMessenger/8.0.49");
        assertThat(newest.get("current").asBoolean()).isFalse();
        assertThat(oldest.get("userAgent").asString()).contains("iPhone");
        assertThat(oldest.get("current").asBoolean()).isTrue();
        for (JsonNode session : sessions) {
            assertThat(session.propertyNames()).containsExactlyInAnyOrder("id", "createdAt", "lastUsedAt", "expiresIn",
                    "userAgent", "current");
            assertThat(session.get("id").asString()).matches("[A-Za-z0-9_-]{22}");
            assertThat(session.get("createdAt").asLong()).isBetween(before, before + 60);
            assertThat(session.get("lastUsedAt").asLong()).isGreaterThanOrEqualTo(session.get("createdAt").asLong());
            assertThat(session.get("expiresIn").asLong()).isBetween(604_800L - 60, 604_800L);
        }
        assertThat(answer.body()).doesNotContain(phone, tablet, bob, RedisView.sessionKey(phone),
                RedisView.sessionKey(tablet).substring(RedisView.sessionKey(tablet).lastIndexOf(':') + 1));
        assertThat(gateway.get("/wx/sessions", "Authorization: Bearer " + tablet).json().get("sessions")
                .get(0).get("current").asBoolean()).as("asked with the tablet's token").isTrue();
    }

    @Test
    void anIdIsStableForTheSessionsLife() {
        String token = gateway.newToken();
        String id = onlyId(gateway, token);

        assertThat(peer.withToken(token).status()).isEqualTo(200);

        assertThat(onlyId(peer, token)).isEqualTo(id);
    }

    @Test
    void aLoginWithALongOrStrangeUserAgentKeepsAtMost256PrintableCharacters() {
        WechatUser user = backends.newUser();
        String token = login(gateway, user, "x".repeat(300) + "\u00e9");

        String kept = gateway.get("/wx/sessions", "Authorization: Bearer " + token).json().get("sessions").get(0)
                .get("userAgent").asString();

        assertThat(kept).isEqualTo("x".repeat(256));
        String without = gateway.tokenFor(backends.newUser());
        assertThat(gateway.get("/wx/sessions", "Authorization: Bearer " + without).json().get("sessions").get(0)
                .has("userAgent")).as("no User-Agent sent").isFalse();
    }

    @Test
    void endingOneSessionByItsIdEndsItOnEveryInstanceAndLeavesTheOthers() {
        WechatUser alice = backends.newUser();
        String phone = gateway.tokenFor(alice);
        String tablet = peer.tokenFor(alice);
        assertThat(gateway.withToken(tablet).status()).isEqualTo(200);
        assertThat(peer.withToken(tablet).status()).isEqualTo(200);
        String tabletId = idOf(gateway, phone, tablet);

        Answer answer = peer.send("DELETE", "/wx/sessions/" + tabletId, null, "Authorization: Bearer " + phone);

        assertThat(answer.status()).as("%s", answer).isEqualTo(204);
        assertThat(answer.body()).isEmpty();
        assertError(peer.withToken(tablet), 401, "invalid_token");
        awaitEnded(gateway, tablet);
        assertThat(gateway.withToken(phone).status()).isEqualTo(200);
        assertThat(gateway.get("/wx/sessions", "Authorization: Bearer " + phone).json().get("sessions")).hasSize(1);
        assertError(peer.send("DELETE", "/wx/sessions/" + tabletId, null, "Authorization: Bearer " + phone), 404,
                "not_found");
    }

    @Test
    void endingEverySessionEndsTheCallersToOnEveryInstanceButNoOtherUsers() {
        WechatUser alice = backends.newUser();
        String phone = gateway.tokenFor(alice);
        String tablet = peer.tokenFor(alice);
        String bob = gateway.newToken();
        for (String token : List.of(phone, tablet)) {
            assertThat(gateway.withToken(token).status()).isEqualTo(200);
            assertThat(peer.withToken(token).status()).isEqualTo(200);
        }

        Answer answer = gateway.send("DELETE", "/wx/sessions", null, "Authorization: Bearer " + tablet);

        assertThat(answer.status()).as("%s", answer).isEqualTo(204);
        assertError(gateway.withToken(phone), 401, "invalid_token");
        assertError(gateway.withToken(tablet), 401, "invalid_token");
        awaitEnded(peer, phone);
        awaitEnded(peer, tablet);
        assertThat(peer.withToken(bob).status()).isEqualTo(200);
        assertError(gateway.get("/wx/sessions", "Authorization: Bearer " + phone), 401, "invalid_token");
    }

    @Test
    void anotherUsersSessionIdIsNotFoundAndThatSessionStays() {
        String mine = gateway.newToken();
        String theirs = gateway.newToken();
        String theirId = onlyId(gateway, theirs);

        assertError(peer.send("DELETE", "/wx/sessions/" + theirId, null, "Authorization: Bearer " + mine), 404,
                "not_found");

        assertThat(peer.withToken(theirs).status()).isEqualTo(200);
        assertThat(gateway.withToken(theirs).status()).isEqualTo(200);
    }

    @Test
    void theSameUserInAnotherMiniProgramIsAnotherUser() {
        WechatUser inFirst = backends.newUser(Backends.FIRST_APPID, true);
        WechatUser inSecond = new WechatUser(Backends.SECOND_APPID, inFirst.openid(), inFirst.unionid(),
                inFirst.sessionKey());
        String first = gateway.tokenFor(inFirst);
        String second = gateway.tokenFor(inSecond);

        assertThat(gateway.get("/wx/sessions", "Authorization: Bearer " + first).json().get("sessions")).hasSize(1);
        assertError(gateway.send("DELETE", "/wx/sessions/" + onlyId(gateway, second), null,
                "Authorization: Bearer " + first), 404, "not_found");
        assertThat(gateway.send("DELETE", "/wx/sessions", null, "Authorization: Bearer " + first).status())
                .isEqualTo(204);
        assertThat(gateway.withToken(second).status()).isEqualTo(200);
    }

    @ParameterizedTest(name = "DELETE /wx/sessions/{0} is 404 not_found")
    @ValueSource(strings = {"x", "AAAAAAAAAAAAAAAAAAAAAAA", "AAAAAAAAAAAAAAAAAAAAA", "AAAAAAAAAAAAAAAAAAAAA*",
            "AAAAAAAAAAAAAAAAAAAAAA/x", "current", "%41AAAAAAAAAAAAAAAAAAAAA"})
    void aMalformedIdIsNotFound(String id) {
        assertError(gateway.send("DELETE", "/wx/sessions/" + id, null, "Authorization: Bearer " + token), 404,
                "not_found");
        assertThat(gateway.withToken(token).status()).isEqualTo(200);
    }

    @Test
    void anIdOfTheTokenOrItsHashIsNotAnId() {
        String mine = gateway.newToken();
        String hash = RedisView.sessionKey(mine).substring(RedisView.sessionKey(mine).lastIndexOf(':') + 1);

        for (String notAnId : List.of(mine, hash)) {
            assertError(gateway.send("DELETE", "/wx/sessions/" + notAnId, null, "Authorization: Bearer " + mine),
                    404, "not_found");
        }
        assertThat(gateway.withToken(mine).status()).isEqualTo(200);
    }

    @Test
    void withoutAValidTokenTheEndpointsAre401() {
        String id = "/wx/sessions/" + "A".repeat(22);
        for (String[] request : List.of(new String[] {"GET", "/wx/sessions"}, new String[] {"DELETE", "/wx/sessions"},
                new String[] {"DELETE", id})) {
            assertError(gateway.send(request[0], request[1], null), 401, "missing_token");
            assertError(gateway.send(request[0], request[1], null, "Authorization: Bearer " + Backends.unknownToken()),
                    401, "invalid_token");
            assertError(gateway.send(request[0], request[1], null, "Authorization: Bearer not-a-token"), 401,
                    "invalid_token");
            assertError(gateway.send(request[0], request[1], null, "Authorization: Bearer " + token,
                    "Authorization: Bearer " + token), 400, "invalid_request");
        }
    }

    @Test
    void otherMethodsAre405WithAllow() {
        for (String method : List.of("POST", "PUT", "PATCH")) {
            Answer list = gateway.send(method, "/wx/sessions", "{}".getBytes(StandardCharsets.UTF_8),
                    "Authorization: Bearer " + token, "Content-Type: application/json");
            assertError(list, 405, "invalid_request");
            assertThat(list.header("Allow")).contains("GET").contains("DELETE");
        }
        Answer one = gateway.get("/wx/sessions/" + onlyId(gateway, token), "Authorization: Bearer " + token);
        assertError(one, 405, "invalid_request");
        assertThat(one.header("Allow")).isEqualTo("DELETE");
        assertThat(gateway.withToken(token).status()).isEqualTo(200);
    }

    @Test
    void aLargeBodyOnTheEndpointsIsIgnoredAndChangesNothing() {
        byte[] large = new byte[1024 * 1024];
        String mine = gateway.newToken();
        String other = gateway.newToken();

        Answer list = gateway.send("GET", "/wx/sessions", large, "Authorization: Bearer " + mine,
                "Content-Type: application/octet-stream");
        Answer one = gateway.send("DELETE", "/wx/sessions/" + onlyId(gateway, other), large,
                "Authorization: Bearer " + mine, "Content-Type: application/octet-stream");

        assertThat(list.status()).as("%s", list).isEqualTo(200);
        assertError(one, 404, "not_found");
        assertThat(gateway.withToken(other).status()).isEqualTo(200);
    }

    @Test
    void theSessionEndpointTellsWhenTheSessionWasCreated() {
        long before = Instant.now().getEpochSecond();
        String mine = gateway.newToken();

        JsonNode session = peer.get("/wx/session", "Authorization: Bearer " + mine).json();

        assertThat(session.get("createdAt").asLong()).isBetween(before, before + 60);
        assertThat(session.get("createdAt").asLong())
                .isEqualTo(gateway.get("/wx/sessions", "Authorization: Bearer " + mine).json().get("sessions").get(0)
                        .get("createdAt").asLong());
    }

    /** A session the previous release wrote (its record and its index field, as it wrote them) survives the upgrade. */
    @Test
    void aSessionWrittenByThePreviousReleaseStaysValidAndIsListedSensibly() {
        WechatUser user = backends.newUser();
        String old = Backends.unknownToken();
        String key = RedisView.sessionKey(old);
        long createdAt = Instant.now().getEpochSecond() - Duration.ofDays(45).toSeconds();
        int redis = backends.redis.port();
        Resp.command(redis, "SET", key, "{\"openid\":\"" + user.openid() + "\",\"unionid\":\"" + user.unionid()
                + "\",\"appid\":\"" + user.appid() + "\",\"sessionKey\":\"" + user.sessionKey() + "\",\"createdAt\":"
                + createdAt + "}", "PX", Long.toString(Duration.ofDays(6).toMillis()));
        String userKey = RedisView.NAMESPACE + ":user:" + user.appid() + ":" + user.openid();
        Resp.command(redis, "HSET", userKey, "session_key", user.sessionKey(),
                "s:" + key.substring(key.lastIndexOf(':') + 1), Long.toString(createdAt));
        Resp.command(redis, "PEXPIRE", userKey, Long.toString(Duration.ofDays(7).toMillis()));

        JsonNode listed = gateway.get("/wx/sessions", "Authorization: Bearer " + old).json().get("sessions");

        assertThat(listed).hasSize(1);
        assertThat(listed.get(0).get("createdAt").asLong()).isEqualTo(createdAt);
        assertThat(listed.get(0).get("lastUsedAt").asLong()).as("a day ago, or now that it was used")
                .isBetween(Instant.now().getEpochSecond() - Duration.ofDays(1).toSeconds() - 60,
                        Instant.now().getEpochSecond());
        assertThat(listed.get(0).get("expiresIn").asLong()).as("the idle timeout: the lookup renewed it")
                .isBetween(604_800L - 60, 604_800L);
        assertThat(listed.get(0).get("current").asBoolean()).isTrue();
        assertThat(listed.get(0).has("userAgent")).isFalse();
        assertThat(peer.withToken(old).status()).as("45 days old, older than max-lifetime: still valid").isEqualTo(200);
        String newer = peer.tokenFor(user);
        assertThat(peer.get("/wx/sessions", "Authorization: Bearer " + newer).json().get("sessions").get(1)
                .get("id").asString()).as("the old session is the earliest login").isEqualTo(listed.get(0).get("id").asString());
        assertThat(gateway.get("/wx/session", "Authorization: Bearer " + old).json().get("expiresIn").asLong())
                .isBetween(604_800L - 60, 604_800L);
    }

    @Test
    void theIdentityJwtsSidIsTheSessionsIdInTheList() throws Exception {
        String mine = gateway.newToken();
        backends.echo.clear();

        SignedJWT jwt = IdentityJwt.from(assertForwarded(peer.withToken(mine), backends.echo));

        assertThat(jwt.getJWTClaimsSet().getStringClaim("sid")).isEqualTo(onlyId(gateway, mine));
    }

    // --- helpers ---

    private static String login(Gateway on, WechatUser user, String userAgent) {
        String code = backends.issueCode(user);
        Answer answer = on.post("/wx/login", "{\"code\":\"" + code + "\"}", "Content-Type: application/json",
                "User-Agent: " + userAgent);
        assertThat(answer.status()).as("%s", answer).isEqualTo(200);
        return answer.json().get("token").asString();
    }

    /** The id of the only session of {@code token}'s user. */
    private static String onlyId(Gateway on, String token) {
        JsonNode sessions = on.get("/wx/sessions", "Authorization: Bearer " + token).json().get("sessions");
        assertThat(sessions).hasSize(1);
        return sessions.get(0).get("id").asString();
    }

    /** The id of {@code other}, a session of {@code caller}'s user: the one that is not the caller's. */
    private static String idOf(Gateway on, String caller, String other) {
        List<String> others = new ArrayList<>();
        for (JsonNode session : on.get("/wx/sessions", "Authorization: Bearer " + caller).json().get("sessions")) {
            if (!session.get("current").asBoolean()) {
                others.add(session.get("id").asString());
            }
        }
        assertThat(others).as("the other sessions of the caller's user").hasSize(1);
        return others.get(0);
    }

    private static void awaitEnded(Gateway on, String token) {
        await("the end of a session on " + on.name()).atMost(EVERYWHERE).pollInterval(Duration.ofMillis(50))
                .untilAsserted(() -> assertThat(on.withToken(token).status()).isEqualTo(401));
    }
}
