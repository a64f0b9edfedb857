package dev.wechatauth.gateway.session;

import static dev.wechatauth.gateway.rig.Backends.OPTIONAL;
import static dev.wechatauth.gateway.rig.Backends.PUBLIC;
import static dev.wechatauth.gateway.rig.Backends.REQUIRED;
import static dev.wechatauth.gateway.rig.ContractAssertions.assertError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;

import dev.wechatauth.gateway.rig.Answer;
import dev.wechatauth.gateway.rig.Backends;
import dev.wechatauth.gateway.rig.Gateway;
import dev.wechatauth.gateway.rig.GatewayLauncher;
import dev.wechatauth.gateway.rig.Timing;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * docs/reference.md, Errors: Redis unavailable is 503 {@code session_store_unavailable} for a login and for a token to
 * check on a {@code required} or {@code optional} route, never a 401; routes that need no session keep working; the
 * gateway heals by itself when Redis is back. Its own gateway and Redis, which the tests stop, freeze and restart. The
 * store timeout is 1 s (the default); an answer "at once" is held to it with {@linkplain Timing#CI_MARGIN a margin},
 * which still tells it from a hanging request (the client waits 20 s).
 */
class SessionStoreOutageTest {

    private static final Duration STORE_TIMEOUT = Duration.ofSeconds(1);

    private static Backends backends;
    private static Gateway gateway;
    private String token;

    @BeforeAll
    static void startGateway() {
        backends = Backends.start();
        gateway = GatewayLauncher.on(backends).start();
    }

    @AfterAll
    static void stopGateway() {
        gateway.close();
        backends.close();
    }

    @BeforeEach
    void redisRunsAndATokenIsIssued() {
        if (!backends.redis.isRunning()) {
            backends.redis.restart();
        }
        await("logins answered again").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                .until(() -> gateway.login(backends.newCode()).status() == 200);
        token = gateway.newToken();
        backends.echo.clear();
    }

    @AfterEach
    void redisRunsAgain() {
        if (!backends.redis.isRunning()) {
            backends.redis.restart();
        }
        backends.redis.resume();
    }

    @Test
    void aLoginWhileRedisIsDownIs503Promptly() {
        backends.redis.stop();

        long start = System.nanoTime();
        Answer answer = gateway.login(backends.newCode());
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertError(answer, 503, "session_store_unavailable");
        assertThat(took).isLessThan(Timing.generous(STORE_TIMEOUT));
    }

    @Test
    void aTokenOnARequiredRouteWhileRedisIsDownIs503() {
        backends.redis.stop();

        long start = System.nanoTime();
        Answer answer = gateway.get(REQUIRED, "Authorization: Bearer " + token);
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertError(answer, 503, "session_store_unavailable");
        assertThat(took).isLessThan(Timing.generous(STORE_TIMEOUT));
        assertThat(backends.echo.count()).as("requests that reached the service").isZero();
    }

    @Test
    void aTokenOnAnOptionalRouteWhileRedisIsDownIs503() {
        backends.redis.stop();

        assertError(gateway.get(OPTIONAL, "Authorization: Bearer " + token), 503, "session_store_unavailable");
        assertThat(backends.echo.count()).as("requests that reached the service").isZero();
    }

    @Test
    void theSessionEndpointsWhileRedisIsDownAre503NotA401() {
        backends.redis.stop();

        assertError(gateway.get("/wx/session", "Authorization: Bearer " + token), 503, "session_store_unavailable");
        assertError(gateway.post("/wx/logout", null, "Authorization: Bearer " + token), 503,
                "session_store_unavailable");
    }

    @Test
    void aPublicRouteStillWorksWhileRedisIsDown() {
        backends.redis.stop();

        Answer answer = gateway.get(PUBLIC, "Authorization: Bearer " + token);

        assertThat(answer.status()).as("%s", answer).isEqualTo(200);
        assertThat(backends.echo.count()).isEqualTo(1);
    }

    @Test
    void anOptionalRouteWithoutATokenStillWorksWhileRedisIsDown() {
        backends.redis.stop();

        assertThat(gateway.get(OPTIONAL).status()).isEqualTo(200);
    }

    @Test
    void healthIsDownOnBothPortsWhileRedisIsDownAndUpAgainAfter() {
        backends.redis.stop();

        await("health DOWN").atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            assertHealth(gateway.get("/actuator/health"), 503, "DOWN");
            assertHealth(gateway.management().get("/actuator/health"), 503, "DOWN");
        });
        backends.redis.restart();
        await("health UP").atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            assertHealth(gateway.get("/actuator/health"), 200, "UP");
            assertHealth(gateway.management().get("/actuator/health"), 200, "UP");
        });
    }

    private static void assertHealth(Answer answer, int status, String state) {
        assertThat(answer.status()).as("%s", answer).isEqualTo(status);
        assertThat(answer.json().propertyNames()).as("%s", answer).containsExactly("status");
        assertThat(answer.json().get("status").asString()).isEqualTo(state);
    }

    @Test
    void aFrozenRedisIs503NotAHangingRequest() {
        backends.redis.pause();

        long start = System.nanoTime();
        Answer answer = gateway.get(REQUIRED, "Authorization: Bearer " + token);
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertError(answer, 503, "session_store_unavailable");
        assertThat(took).as("bounded by the store timeout of 1 s").isLessThan(Timing.generous(STORE_TIMEOUT));
        assertThat(backends.echo.count()).as("requests that reached the service").isZero();
    }

    @Test
    void loginsWorkAgainWithinFiveSecondsOfRedisComingBack() {
        backends.redis.stop();
        assertError(gateway.login(backends.newCode()), 503, "session_store_unavailable");

        backends.redis.restart();
        long start = System.nanoTime();

        await("logins answered again").atMost(Timing.generous(Duration.ofSeconds(5)))
                .pollInterval(Duration.ofMillis(100))
                .until(() -> gateway.login(backends.newCode()).status() == 200);
        String fresh = gateway.newToken();
        assertThat(gateway.get(REQUIRED, "Authorization: Bearer " + fresh).status()).isEqualTo(200);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Timing.generous(Duration.ofSeconds(6)));
    }
}
