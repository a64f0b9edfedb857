package dev.wechatauth.gateway.admin;

import static dev.wechatauth.gateway.rig.ContractAssertions.assertError;
import static dev.wechatauth.gateway.rig.ContractAssertions.assertNothingForwarded;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.wechatauth.gateway.rig.Answer;
import dev.wechatauth.gateway.rig.Backends;
import dev.wechatauth.gateway.rig.Gateway;
import dev.wechatauth.gateway.rig.GatewayLauncher;
import dev.wechatauth.gateway.rig.Gateways;
import dev.wechatauth.gateway.rig.Http;
import dev.wechatauth.gateway.rig.InProcessGateway;
import dev.wechatauth.gateway.rig.OnTheSharedGateway;
import dev.wechatauth.gateway.rig.Timing;
import dev.wechatauth.gateway.rig.WechatUser;
import dev.wechatauth.plugin.admin.AdminApi;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;

/**
 * docs/reference.md, The admin API: on the management port only, with the admin token; listing a user's sessions,
 * kicking the user out and blocking the user, each taking effect on the other instance within one second; a blocked
 * user's login is 403 {@code user_blocked} until the block runs out or is lifted. Missing or wrong tokens are 401,
 * unknown appids and malformed openids 400, other methods 405, bad block bodies 400/413/415, each as the contract's
 * JSON error; every action is logged at INFO with action, appid and openid, and never a token. On the shared gateway
 * and its peer, whose backends configure an admin token.
 */
class AdminApiTest extends OnTheSharedGateway {

    private static final Duration EVERYWHERE = Timing.generous(Duration.ofSeconds(1));
    private static final String ADMIN = "Authorization: Bearer " + Backends.ADMIN_TOKEN;
    private static Gateway peer;
    private final ListAppender<ILoggingEvent> audit = new ListAppender<>();

    @BeforeAll
    static void startThePeer() {
        peer = Gateways.sharedPeer();
    }

    @BeforeEach
    void captureTheAuditLog() {
        Logger logger = (Logger) LoggerFactory.getLogger(AdminApi.class);
        logger.setLevel(Level.INFO);
        audit.start();
        logger.addAppender(audit);
    }

    @AfterEach
    void stopCapturing() {
        ((Logger) LoggerFactory.getLogger(AdminApi.class)).detachAppender(audit);
    }

    @Test
    void listingShowsTheUsersSessionsAsTheUserSeesThemWithoutCurrent() {
        WechatUser alice = backends.newUser();
        String phone = gateway.tokenFor(alice);
        String tablet = peer.tokenFor(alice);

        Answer answer = admin(peer).get(sessionsOf(alice), ADMIN);

        assertThat(answer.status()).as("%s", answer).isEqualTo(200);
        assertThat(answer.header("Content-Type")).startsWith("application/json");
        assertThat(answer.header("Cache-Control")).isEqualTo("no-store");
        JsonNode listed = answer.json().get("sessions");
        JsonNode own = gateway.get("/wx/sessions", "Authorization: Bearer " + phone).json().get("sessions");
        assertThat(listed).hasSize(2);
        for (int i = 0; i < 2; i++) {
            assertThat(listed.get(i).propertyNames()).containsExactlyInAnyOrder("id", "createdAt", "lastUsedAt",
                    "expiresIn");
            assertThat(listed.get(i).get("id").asString()).isEqualTo(own.get(i).get("id").asString());
        }
        assertThat(answer.body()).doesNotContain(phone, tablet);
        assertAudited("list sessions", alice);
        assertThat(admin(gateway).get(sessionsOf(backends.newUser()), ADMIN).json().get("sessions")).isEmpty();
    }

    @Test
    void kickingOutEndsEverySessionOfTheUserOnEveryInstanceWithinASecond() {
        WechatUser alice = backends.newUser();
        String phone = gateway.tokenFor(alice);
        String tablet = peer.tokenFor(alice);
        String bob = gateway.newToken();
        for (String token : List.of(phone, tablet)) {
            assertThat(gateway.withToken(token).status()).isEqualTo(200);
            assertThat(peer.withToken(token).status()).isEqualTo(200);
        }

        Answer answer = admin(gateway).send("DELETE", sessionsOf(alice), null, ADMIN);

        assertThat(answer.status()).as("%s", answer).isEqualTo(204);
        assertError(gateway.withToken(phone), 401, "invalid_token");
        awaitEnded(peer, phone);
        awaitEnded(peer, tablet);
        assertThat(peer.withToken(bob).status()).isEqualTo(200);
        assertThat(admin(peer).get(sessionsOf(alice), ADMIN).json().get("sessions")).isEmpty();
        assertThat(gateway.tokenFor(alice)).as("a kicked-out user may log in again").isNotEmpty();
        assertAudited("kick out", alice);
    }

    @Test
    void aBlockEndsEverySessionAndRefusesLoginsOnEveryInstanceUntilItIsLifted() {
        WechatUser alice = backends.newUser();
        String phone = gateway.tokenFor(alice);
        assertThat(peer.withToken(phone).status()).isEqualTo(200);

        Answer block = admin(peer).send("PUT", blockOf(alice), json("{\"seconds\":3600}"), ADMIN,
                "Content-Type: application/json");

        assertThat(block.status()).as("%s", block).isEqualTo(204);
        awaitEnded(gateway, phone);
        awaitEnded(peer, phone);
        for (Gateway on : List.of(gateway, peer)) {
            String code = backends.issueCode(alice);
            assertError(on.login(code), 403, "user_blocked");
            assertThat(backends.wechat.calls(code)).as("code2Session told who it is").isEqualTo(1);
        }
        backends.echo.clear();
        assertError(peer.post("/wx/login-forward", "{\"code\":\"" + backends.issueCode(alice) + "\"}",
                "Content-Type: application/json"), 403, "user_blocked");
        assertNothingForwarded(backends.echo);
        assertThat(gateway.tokenFor(backends.newUser())).as("another user").isNotEmpty();
        JsonNode blockedFor = admin(gateway).get(blockOf(alice), ADMIN).json();
        assertThat(blockedFor.propertyNames()).containsExactly("blockedFor");
        assertThat(blockedFor.get("blockedFor").asLong()).isBetween(3600L - 60, 3600L);

        assertThat(admin(gateway).send("DELETE", blockOf(alice), null, ADMIN).status()).isEqualTo(204);

        assertError(admin(peer).get(blockOf(alice), ADMIN), 404, "not_found");
        assertThat(peer.tokenFor(alice)).as("logins work again").isNotEmpty();
        assertAudited("block", alice);
        assertAudited("unblock", alice);
    }

    @Test
    void aBlockRunsOutByItself() {
        WechatUser alice = backends.newUser();
        assertThat(admin(gateway).send("PUT", blockOf(alice), json("{\"seconds\":1}"), ADMIN,
                "Content-Type: application/json").status()).isEqualTo(204);
        assertError(gateway.login(backends.issueCode(alice)), 403, "user_blocked");

        await("the block's end").atMost(Timing.generous(Duration.ofSeconds(2))).pollInterval(Duration.ofMillis(200))
                .until(() -> peer.login(backends.issueCode(alice)).status() == 200);
        assertError(admin(gateway).get(blockOf(alice), ADMIN), 404, "not_found");
    }

    @Test
    void aBlockOfAUserWithoutSessionsStillRefusesTheirLogins() {
        WechatUser neverSeen = backends.newUser();

        assertThat(admin(gateway).send("PUT", blockOf(neverSeen), "seconds=600".getBytes(StandardCharsets.US_ASCII),
                ADMIN, "Content-Type: application/x-www-form-urlencoded").status()).isEqualTo(204);

        assertError(peer.login(backends.issueCode(neverSeen)), 403, "user_blocked");
    }

    @Test
    void withoutTheAdminTokenEveryAdminRequestIs401() {
        WechatUser alice = backends.newUser();
        String token = gateway.tokenFor(alice);
        for (String[] request : List.of(new String[] {"GET", sessionsOf(alice)},
                new String[] {"DELETE", sessionsOf(alice)}, new String[] {"PUT", blockOf(alice)},
                new String[] {"GET", blockOf(alice)}, new String[] {"DELETE", blockOf(alice)})) {
            byte[] body = json("{\"seconds\":60}");
            assertError(admin(gateway).send(request[0], request[1], body, "Content-Type: application/json"), 401,
                    "missing_token");
            assertError(admin(gateway).send(request[0], request[1], body, "Content-Type: application/json",
                    "Authorization: Basic " + Backends.ADMIN_TOKEN), 401, "missing_token");
            assertError(admin(gateway).send(request[0], request[1], body, "Content-Type: application/json",
                    "Authorization: Bearer " + Backends.ADMIN_TOKEN + "x"), 401, "invalid_token");
            assertError(admin(gateway).send(request[0], request[1], body, "Content-Type: application/json",
                    "Authorization: Bearer " + Backends.ADMIN_TOKEN.substring(1)), 401, "invalid_token");
            assertError(admin(gateway).send(request[0], request[1], body, "Content-Type: application/json",
                    "Authorization: Bearer " + token), 401, "invalid_token");
        }
        assertThat(gateway.withToken(token).status()).as("nothing happened").isEqualTo(200);
        assertError(admin(gateway).get(blockOf(alice), ADMIN), 404, "not_found");
        assertThat(audit.list).as("refusals are logged").isNotEmpty();
        assertThat(audit.list).allSatisfy(event -> assertThat(event.getFormattedMessage())
                .doesNotContain(Backends.ADMIN_TOKEN, Backends.ADMIN_TOKEN.substring(1), token));
    }

    @Test
    void theAdminApiIsNotOnThePublicPort() {
        WechatUser alice = backends.newUser();
        String token = gateway.tokenFor(alice);

        assertError(gateway.get(sessionsOf(alice), ADMIN), 404, "not_found");
        assertError(gateway.send("DELETE", sessionsOf(alice), null, ADMIN), 404, "not_found");
        assertError(gateway.send("PUT", blockOf(alice), json("{\"seconds\":60}"), ADMIN,
                "Content-Type: application/json"), 404, "not_found");

        assertThat(gateway.withToken(token).status()).isEqualTo(200);
    }

    @Test
    void withoutAConfiguredAdminTokenTheAdminApiIsNotFoundAndWithoutAManagementPortItIsNowhere() {
        WechatUser alice = backends.newUser();
        try (InProcessGateway off = GatewayLauncher.on(backends).named("no admin token")
                .with("wechat.auth.admin.token=").start()) {
            String token = off.tokenFor(alice);
            for (String header : List.of(ADMIN, "Authorization: Bearer ")) {
                assertError(off.management().get(sessionsOf(alice), header), 404, "not_found");
                assertError(off.management().send("DELETE", sessionsOf(alice), null, header), 404, "not_found");
                assertError(off.management().send("PUT", blockOf(alice), json("{\"seconds\":60}"), header,
                        "Content-Type: application/json"), 404, "not_found");
            }
            assertThat(off.withToken(token).status()).isEqualTo(200);
        }
        try (InProcessGateway noPort = GatewayLauncher.on(backends).named("no management port")
                .with("management.server.port=-1").start()) {
            assertError(noPort.get(sessionsOf(alice), ADMIN), 404, "not_found");
            assertError(noPort.send("DELETE", sessionsOf(alice), null, ADMIN), 404, "not_found");
        }
    }

    @Test
    void theUsersOwnEndpointsAreNotOnTheManagementPort() {
        String mine = gateway.newToken();
        String bearer = "Authorization: Bearer " + mine;

        assertError(admin(gateway).get("/wx/sessions", bearer), 404, "not_found");
        assertError(admin(gateway).send("DELETE", "/wx/sessions", null, bearer), 404, "not_found");
        assertError(admin(gateway).get("/wx/session", bearer), 404, "not_found");
        assertError(admin(gateway).post("/wx/logout", null, bearer), 404, "not_found");

        assertThat(gateway.withToken(mine).status()).isEqualTo(200);
    }

    @ParameterizedTest(name = "{0} is 400 invalid_request")
    @ValueSource(strings = {"/admin/users/wx_contract_unknown/o_someone/sessions",
            "/admin/users/wx_contract_first/o%20someone/sessions", "/admin/users/wx_contract_first/o%2Bx/block",
            "/admin/users/wx_contract_first/oxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx/sessions"})
    void anUnknownAppidOrAMalformedOpenidIsInvalidRequest(String path) {
        assertError(admin(gateway).get(path, ADMIN), 400, "invalid_request");
        assertError(admin(gateway).send("DELETE", path, null, ADMIN), 400, "invalid_request");
    }

    @ParameterizedTest(name = "block body {0} is 400 invalid_request")
    @ValueSource(strings = {"{}", "{\"seconds\":0}", "{\"seconds\":-5}", "{\"seconds\":1.5}", "{\"seconds\":\"60\"}",
            "{\"seconds\":315360001}", "{\"seconds\":99999999999999999999999}", "[60]", "60", "not json", ""})
    void aMalformedBlockBodyIsInvalidRequestAndBlocksNobody(String body) {
        WechatUser alice = backends.newUser();

        assertError(admin(gateway).send("PUT", blockOf(alice), json(body), ADMIN, "Content-Type: application/json"),
                400, "invalid_request");

        assertError(admin(gateway).get(blockOf(alice), ADMIN), 404, "not_found");
    }

    @Test
    void aBlockBodyTooLargeOrOfAnotherTypeIsRefused() {
        WechatUser alice = backends.newUser();
        byte[] large = json("{\"seconds\":60,\"pad\":\"" + "x".repeat(64 * 1024) + "\"}");

        assertError(admin(gateway).send("PUT", blockOf(alice), large, ADMIN, "Content-Type: application/json"), 413,
                "invalid_request");
        assertError(admin(gateway).send("PUT", blockOf(alice), json("{\"seconds\":60}"), ADMIN), 415,
                "invalid_request");
        assertError(admin(gateway).send("PUT", blockOf(alice), json("{\"seconds\":60}"), ADMIN,
                "Content-Type: text/plain"), 415, "invalid_request");
        assertError(admin(gateway).get(blockOf(alice), ADMIN), 404, "not_found");
    }

    @Test
    void otherMethodsAre405WithAllow() {
        WechatUser alice = backends.newUser();
        for (String method : List.of("POST", "PUT", "PATCH")) {
            Answer answer = admin(gateway).send(method, sessionsOf(alice), json("{}"), ADMIN,
                    "Content-Type: application/json");
            assertError(answer, 405, "invalid_request");
            assertThat(answer.header("Allow")).contains("GET").contains("DELETE");
        }
        for (String method : List.of("POST", "PATCH")) {
            Answer answer = admin(gateway).send(method, blockOf(alice), json("{\"seconds\":60}"), ADMIN,
                    "Content-Type: application/json");
            assertError(answer, 405, "invalid_request");
            assertThat(answer.header("Allow")).contains("PUT").contains("GET").contains("DELETE");
        }
    }

    // --- helpers ---

    private static Http admin(Gateway on) {
        return on.management();
    }

    private static String sessionsOf(WechatUser user) {
        return "/admin/users/" + user.appid() + "/" + user.openid() + "/sessions";
    }

    private static String blockOf(WechatUser user) {
        return "/admin/users/" + user.appid() + "/" + user.openid() + "/block";
    }

    private static byte[] json(String body) {
        return body.getBytes(StandardCharsets.UTF_8);
    }

    private void assertAudited(String action, WechatUser user) {
        assertThat(audit.list).as("the audit log")
                .anySatisfy(event -> {
                    assertThat(event.getLevel()).isEqualTo(Level.INFO);
                    assertThat(event.getFormattedMessage()).contains(action + ",", "appid=" + user.appid(),
                            "openid=" + user.openid());
                });
        assertThat(audit.list).allSatisfy(event -> assertThat(event.getFormattedMessage())
                .doesNotContain(Backends.ADMIN_TOKEN));
    }

    private static void awaitEnded(Gateway on, String token) {
        await("the end of a session on " + on.name()).atMost(EVERYWHERE).pollInterval(Duration.ofMillis(50))
                .untilAsserted(() -> assertThat(on.withToken(token).status()).isEqualTo(401));
    }
}
