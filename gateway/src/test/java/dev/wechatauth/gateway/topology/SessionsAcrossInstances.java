package dev.wechatauth.gateway.topology;

import static dev.wechatauth.gateway.rig.Backends.REQUIRED;
import static dev.wechatauth.gateway.rig.ContractAssertions.assertError;
import static dev.wechatauth.gateway.rig.ContractAssertions.assertForwarded;
import static dev.wechatauth.gateway.rig.ContractAssertions.assertIdentity;
import static dev.wechatauth.gateway.rig.IdentityJwt.from;
import static dev.wechatauth.gateway.rig.IdentityJwt.jwkSet;
import static dev.wechatauth.gateway.rig.IdentityJwt.verifies;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import com.nimbusds.jwt.SignedJWT;
import dev.wechatauth.gateway.rig.Answer;
import dev.wechatauth.gateway.rig.Backends;
import dev.wechatauth.gateway.rig.Gateway;
import dev.wechatauth.gateway.rig.Http;
import dev.wechatauth.gateway.rig.InProcessGateway;
import dev.wechatauth.gateway.rig.Timing;
import dev.wechatauth.gateway.rig.WechatUser;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/**
 * docs/reference.md, Sessions in Redis: several gateway instances on one session store share every session, a code
 * sent again on another instance gets the same session, and a logout on one takes effect on every other within one
 * second; the limit of sessions per user holds under concurrent logins of one user on both instances, and ending all
 * of a user's sessions reaches the other instance within one second (asserted with {@linkplain Timing#CI_MARGIN a margin} for a busy machine). Each topology (a standalone
 * Redis, Sentinel, Cluster) runs these tests on two gateways of its own, {@link #instances()}.
 */
abstract class SessionsAcrossInstances {

    /** The contract's bound for a logout to reach every instance. */
    static final Duration LOGOUT_EVERYWHERE = Duration.ofSeconds(1);
    /** {@code wechat.auth.session.max-per-user}'s default. */
    static final int MAX_PER_USER = 10;
    private static final int LOGINS_PAST_THE_LIMIT = 16;

    /** The two gateways and their backends. */
    abstract Instances instances();

    InProcessGateway a() {
        return instances().a();
    }

    InProcessGateway b() {
        return instances().b();
    }

    Backends backends() {
        return instances().backends();
    }

    @BeforeEach
    void forgetEarlierRequests() {
        backends().forgetRequests();
    }

    @Test
    @Order(3)
    void aTokenIssuedByOneInstanceWorksOnAnother() {
        WechatUser user = backends().newUser();
        String token = a().tokenFor(user);

        assertIdentity(assertForwarded(b().get(REQUIRED, "Authorization: Bearer " + token), backends().echo), user);
        Answer session = b().get("/wx/session", "Authorization: Bearer " + token);
        assertThat(session.json().get("openid").asString()).isEqualTo(user.openid());
    }

    @Test
    @Order(3)
    void aSessionMadeOnOneInstanceWorksOnTheOtherAndALogoutThereEndsItHere() {
        String token = a().newToken();
        assertThat(b().withToken(token).status()).as("A's token on B").isEqualTo(200);
        assertThat(b().get("/wx/session", "Authorization: Bearer " + token).json().get("appid").asString())
                .isEqualTo(Backends.FIRST_APPID);

        assertThat(b().post("/wx/logout", null, "Authorization: Bearer " + token).status()).isEqualTo(204);
        awaitLoggedOut(a(), token);
        assertError(a().withToken(token), 401, "invalid_token");

        String other = b().newToken();
        assertThat(a().withToken(other).status()).as("B's token on A").isEqualTo(200);
    }

    @Test
    @Order(3)
    void aLogoutOnOneInstanceEndsTheSessionOnTheOtherWithinOneSecond() {
        String token = a().newToken();
        assertThat(a().withToken(token).status()).isEqualTo(200);
        assertThat(b().withToken(token).status()).isEqualTo(200);

        assertThat(b().post("/wx/logout", null, "Authorization: Bearer " + token).status()).isEqualTo(204);

        awaitLoggedOut(a(), token);
        assertError(a().withToken(token), 401, "invalid_token");
        assertError(a().get("/wx/session", "Authorization: Bearer " + token), 401, "invalid_token");
    }

    @Test
    @Order(3)
    void aLogoutOnTheOtherInstanceEndsTheSessionHereWithinOneSecond() {
        String token = b().newToken();
        assertThat(b().withToken(token).status()).isEqualTo(200);

        assertThat(a().post("/wx/logout", null, "Authorization: Bearer " + token).status()).isEqualTo(204);

        awaitLoggedOut(b(), token);
        assertError(b().withToken(token), 401, "invalid_token");
    }

    @Test
    @Order(3)
    void aCodeSentAgainOnTheOtherInstanceGetsTheSameSession() {
        String code = backends().newCode();
        Answer first = a().login(code);
        Answer again = b().login(code);
        assertThat(first.status()).as("first login on A: %s", first).isEqualTo(200);
        assertThat(again.status()).as("the same code on B: %s", again).isEqualTo(200);
        assertThat(again.json().get("token").asString()).isEqualTo(first.json().get("token").asString());
        assertThat(backends().wechat.calls(code)).as("code2Session calls for the code").isEqualTo(1);
    }

    @Test
    @Order(3)
    void concurrentLoginsOfOneUserOnBothInstancesNeverLeaveMoreThanTheLimit() {
        WechatUser user = backends().newUser();
        List<String> codes = new ArrayList<>();
        for (int i = 0; i < LOGINS_PAST_THE_LIMIT; i++) {
            codes.add(backends().issueCode(user));
        }
        List<CompletableFuture<Answer>> logins = new ArrayList<>();
        for (int i = 0; i < codes.size(); i++) {
            Gateway on = i % 2 == 0 ? a() : b();
            String code = codes.get(i);
            logins.add(Http.inBackground(() -> on.login(code)));
        }
        List<String> tokens = new ArrayList<>();
        for (CompletableFuture<Answer> login : logins) {
            Answer answer = login.join();
            assertThat(answer.status()).as("%s", answer).isEqualTo(200);
            tokens.add(answer.json().get("token").asString());
        }

        await("the ended sessions end on both instances").atMost(Timing.generous(LOGOUT_EVERYWHERE))
                .pollInterval(Duration.ofMillis(100))
                .untilAsserted(() -> {
                    assertThat(tokens.stream().filter(token -> a().withToken(token).status() == 200))
                            .hasSize(MAX_PER_USER);
                    assertThat(tokens.stream().filter(token -> b().withToken(token).status() == 200))
                            .hasSize(MAX_PER_USER);
                });
        String survivor = tokens.stream().filter(token -> a().withToken(token).status() == 200).findFirst().orElseThrow();
        assertThat(b().get("/wx/sessions", "Authorization: Bearer " + survivor).json().get("sessions"))
                .hasSize(MAX_PER_USER);
    }

    @Test
    @Order(3)
    void aLoginPastTheLimitEndsTheUsersEarliestLoginOnEveryInstance() {
        WechatUser user = backends().newUser();
        List<String> tokens = new ArrayList<>();
        for (int i = 0; i < MAX_PER_USER; i++) {
            tokens.add((i % 2 == 0 ? a() : b()).tokenFor(user));
        }
        String earliest = tokens.get(0);
        assertThat(a().withToken(earliest).status()).isEqualTo(200);
        assertThat(b().withToken(earliest).status()).isEqualTo(200);

        String newest = b().tokenFor(user);

        awaitLoggedOut(a(), earliest);
        awaitLoggedOut(b(), earliest);
        for (String token : tokens.subList(1, tokens.size())) {
            assertThat(a().withToken(token).status()).isEqualTo(200);
        }
        assertThat(a().withToken(newest).status()).isEqualTo(200);
    }

    @Test
    @Order(3)
    void loggingOutOnAllDevicesOnOneInstanceEndsEverySessionOnTheOtherWithinOneSecond() {
        WechatUser user = backends().newUser();
        String phone = a().tokenFor(user);
        String tablet = b().tokenFor(user);
        for (String token : List.of(phone, tablet)) {
            assertThat(a().withToken(token).status()).isEqualTo(200);
            assertThat(b().withToken(token).status()).isEqualTo(200);
        }

        assertThat(b().send("DELETE", "/wx/sessions", null, "Authorization: Bearer " + phone).status())
                .isEqualTo(204);

        awaitLoggedOut(a(), phone);
        awaitLoggedOut(a(), tablet);
        assertError(b().withToken(tablet), 401, "invalid_token");
    }

    @Test
    @Order(3)
    void aKickOutThroughOneInstancesAdminApiEndsTheUsersSessionsOnTheOtherWithinOneSecond() {
        WechatUser user = backends().newUser();
        String phone = a().tokenFor(user);
        String tablet = b().tokenFor(user);
        assertThat(b().withToken(phone).status()).isEqualTo(200);
        assertThat(a().withToken(tablet).status()).isEqualTo(200);

        Answer kickOut = a().management().send("DELETE", "/admin/users/" + user.appid() + "/" + user.openid()
                + "/sessions", null, "Authorization: Bearer " + Backends.ADMIN_TOKEN);

        assertThat(kickOut.status()).as("%s", kickOut).isEqualTo(204);
        awaitLoggedOut(b(), phone);
        awaitLoggedOut(b(), tablet);
        awaitLoggedOut(a(), tablet);
    }

    @Test
    @Order(3)
    void aBlockThroughOneInstanceRefusesTheUsersLoginsOnTheOther() {
        WechatUser user = backends().newUser();
        String token = b().tokenFor(user);
        assertThat(b().withToken(token).status()).isEqualTo(200);

        Answer block = a().management().send("PUT", "/admin/users/" + user.appid() + "/" + user.openid() + "/block",
                "{\"seconds\":600}".getBytes(StandardCharsets.UTF_8),
                "Authorization: Bearer " + Backends.ADMIN_TOKEN, "Content-Type: application/json");

        assertThat(block.status()).as("%s", block).isEqualTo(204);
        awaitLoggedOut(b(), token);
        assertError(b().login(backends().issueCode(user)), 403, "user_blocked");
    }

    /**
     * docs/reference.md, Signed identity for services: a new instance's key is in every instance's JWK Set within about
     * a second, through the key announcement (pub/sub, on Cluster too: the instances re-read Redis on their own only
     * every 30 s), and each instance's JWT verifies with the other's JWK Set.
     */
    @Test
    @Order(3)
    void anInstanceAddedIsInEveryJwkSetWithinASecondAndEachOnesJwtVerifiesWithTheOthers() {
        try (InProcessGateway added = Instances.launcher("C", backends()).start()) {
            SignedJWT fromAdded = jwtThrough(added);
            SignedJWT fromA = jwtThrough(a());

            await("C's key in A's and B's JWK Sets").atMost(Timing.generous(LOGOUT_EVERYWHERE))
                    .pollInterval(Duration.ofMillis(50))
                    .until(() -> verifies(fromAdded, jwkSet(a())) && verifies(fromAdded, jwkSet(b())));
            assertThat(verifies(fromA, jwkSet(b()))).as("A's JWT with B's JWK Set").isTrue();
            assertThat(verifies(fromA, jwkSet(added))).as("A's JWT with C's JWK Set").isTrue();
        }
    }

    private SignedJWT jwtThrough(Gateway gateway) {
        backends().echo.clear();
        SignedJWT jwt = from(assertForwarded(gateway.withToken(gateway.newToken()), backends().echo));
        backends().echo.clear();
        return jwt;
    }

    private static void awaitLoggedOut(Gateway gateway, String token) {
        await("the logout on " + gateway.name()).atMost(Timing.generous(LOGOUT_EVERYWHERE))
                .pollInterval(Duration.ofMillis(50))
                .untilAsserted(() -> assertThat(gateway.withToken(token).status()).isEqualTo(401));
    }
}
