package dev.wechatauth.contract;

import static dev.wechatauth.contract.Backends.OPTIONAL;
import static dev.wechatauth.contract.Backends.PUBLIC;
import static dev.wechatauth.contract.Backends.REQUIRED;
import static dev.wechatauth.contract.ContractAssertions.assertError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * CONTRACT.md, "Errors": Redis unavailable is 503 {@code session_store_unavailable} for a login and for a token to
 * check on a {@code required} or {@code optional} route, never a 401; routes that need no session keep working; the
 * gateway heals by itself when Redis is back. Its own gateway and Redis, which the tests stop, freeze and restart.
 */
class SessionStoreOutageContractTest {

    private static Backends backends;
    private static GatewayInstance gateway;
    private String token;

    @BeforeAll
    static void startGateway() {
        backends = Backends.start();
        gateway = GatewayInstance.start(backends);
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
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).until(() ->
                gateway.login(backends.issueCode(backends.newUser())).status() == 200);
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
        Answer answer = gateway.login(backends.issueCode(backends.newUser()));
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertError(answer, 503, "session_store_unavailable");
        assertThat(took).isLessThan(Duration.ofSeconds(2));
    }

    @Test
    void aTokenOnARequiredRouteWhileRedisIsDownIs503() {
        backends.redis.stop();

        long start = System.nanoTime();
        Answer answer = gateway.get(REQUIRED, "Authorization: Bearer " + token);
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertError(answer, 503, "session_store_unavailable");
        assertThat(took).isLessThan(Duration.ofSeconds(2));
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
    void aFrozenRedisIs503NotAHangingRequest() {
        backends.redis.pause();

        long start = System.nanoTime();
        Answer answer = gateway.get(REQUIRED, "Authorization: Bearer " + token);
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertError(answer, 503, "session_store_unavailable");
        assertThat(took).as("bounded by the store timeout of 1 s").isLessThan(Duration.ofMillis(2500));
        assertThat(backends.echo.count()).as("requests that reached the service").isZero();
    }

    @Test
    void loginsWorkAgainWithinFiveSecondsOfRedisComingBack() {
        backends.redis.stop();
        assertError(gateway.login(backends.issueCode(backends.newUser())), 503, "session_store_unavailable");

        backends.redis.restart();
        long start = System.nanoTime();

        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(100)).until(() ->
                gateway.login(backends.issueCode(backends.newUser())).status() == 200);
        String fresh = gateway.newToken();
        assertThat(gateway.get(REQUIRED, "Authorization: Bearer " + fresh).status()).isEqualTo(200);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(6));
    }
}
