package dev.wechatauth.gateway.routing;

import static dev.wechatauth.gateway.rig.ContractAssertions.assertError;
import static dev.wechatauth.gateway.rig.ContractAssertions.assertNothingForwarded;
import static dev.wechatauth.gateway.rig.ContractAssertions.assertRefusedAsBadRequest;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;

import dev.wechatauth.gateway.rig.Answer;
import dev.wechatauth.gateway.rig.Backends;
import dev.wechatauth.gateway.rig.OnTheSharedGateway;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * docs/reference.md, Requests the gateway refuses before routing: of the actuator only {@code /actuator/health} is
 * exposed, without details, on the management port ({@code management.server.port}, which every gateway under test
 * has); on the public port the gateway actuator, {@code env}, {@code heapdump} and the rest are 404 (and, being paths
 * no route matches, {@code not_found}). Reading configuration (secrets), dumping the heap (tokens, session keys),
 * changing log levels, or adding a route through the gateway actuator all fail so, and leave no trace.
 */
class ActuatorExposureTest extends OnTheSharedGateway {

    private static final String ROUTE_BODY = "{\"id\":\"injected\",\"uri\":\"%s\",\"order\":-1,"
            + "\"predicates\":[{\"name\":\"Path\",\"args\":{\"_genkey_0\":\"/injected/**\"}}],"
            + "\"metadata\":{\"auth\":\"public\"}}";

    @Test
    void healthTellsNothingButItsStatus() {
        Answer answer = gateway.management().get("/actuator/health");

        assertThat(answer.status()).as("%s", answer).isEqualTo(200);
        assertThat(answer.json().get("status").asString()).isEqualTo("UP");
        assertThat(answer.json().propertyNames()).containsExactly("status");
        assertThat(answer.body()).doesNotContain("redis", "Redis", "version", "diskSpace");
    }

    @Test
    void theActuatorIndexIsNotFound() {
        Answer answer = gateway.get("/actuator");

        assertError(answer, 404, "not_found");
    }

    /** Paths as a client library sends them, percent-encoded where a request line needs it. */
    @ParameterizedTest(name = "GET {0} is 404 not_found")
    @ValueSource(strings = {"/actuator", "/actuator/", "/actuator/env", "/actuator/env/wechat.auth.apps%5B0%5D.secret",
            "/actuator/configprops", "/actuator/heapdump", "/actuator/threaddump", "/actuator/beans",
            "/actuator/mappings", "/actuator/conditions", "/actuator/loggers", "/actuator/loggers/root",
            "/actuator/metrics", "/actuator/metrics/jvm.memory.used", "/actuator/info", "/actuator/scheduledtasks",
            "/actuator/caches", "/actuator/startup", "/actuator/sbom", "/actuator/prometheus", "/actuator/shutdown",
            "/actuator/health/redis", "/actuator/health/ping", "/actuator/health/", "/actuator/gateway",
            "/actuator/gateway/routes", "/actuator/gateway/routes/login", "/actuator/gateway/routedefinitions",
            "/actuator/gateway/globalfilters", "/actuator/gateway/routefilters", "/actuator/gateway/routepredicates"})
    void everyOtherActuatorEndpointIsNotFound(String path) {
        assertError(gateway.get(path), 404, "not_found");
    }

    @ParameterizedTest(name = "POST {0} is 404 not_found")
    @ValueSource(strings = {"/actuator/gateway/routes", "/actuator/gateway/routes/evil", "/actuator/gateway/refresh",
            "/actuator/shutdown", "/actuator/loggers/root"})
    void writingToTheActuatorIsNotFound(String path) {
        Answer answer = gateway.send("POST", path,
                "{\"uri\":\"http://evil\",\"predicates\":[]}".getBytes(StandardCharsets.UTF_8),
                "Content-Type: application/json");

        assertError(answer, 404, "not_found");
    }

    @Test
    void refreshingTheGatewayRoutesIsNotFound() {
        Answer answer = gateway.send("POST", "/actuator/gateway/refresh", null);

        assertError(answer, 404, "not_found");
    }

    @Test
    void injectingARouteThroughTheGatewayActuatorIsNotFoundAndNoRouteAppears() {
        byte[] route = ROUTE_BODY.formatted(backends.echo.baseUrl()).getBytes(StandardCharsets.UTF_8);

        Answer created = gateway.send("POST", "/actuator/gateway/routes/x", route, "Content-Type: application/json");
        Answer createdInjected = gateway.send("POST", "/actuator/gateway/routes/injected", route,
                "Content-Type: application/json");
        Answer refreshed = gateway.send("POST", "/actuator/gateway/refresh", null);
        Answer deleted = gateway.send("DELETE", "/actuator/gateway/routes/login", null);

        assertError(created, 404, "not_found");
        assertError(createdInjected, 404, "not_found");
        assertError(refreshed, 404, "not_found");
        assertError(deleted, 404, "not_found");
        assertError(gateway.get("/injected/x"), 404, "not_found");
        assertNothingForwarded(backends.echo);
        assertThat(gateway.login(Backends.unknownCode()).status()).as("the login route is still there").isEqualTo(401);
    }

    @Test
    void changingALogLevelThroughTheActuatorIsNotFound() {
        Logger root = LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME);
        boolean debugBefore = root.isDebugEnabled();

        Answer answer = gateway.send("POST", "/actuator/loggers/root",
                "{\"configuredLevel\":\"TRACE\"}".getBytes(StandardCharsets.UTF_8), "Content-Type: application/json");

        assertError(answer, 404, "not_found");
        assertThat(root.isDebugEnabled()).as("root logger at DEBUG").isEqualTo(debugBefore);
    }

    @ParameterizedTest(name = "{0} is refused: 404 not_found, or 400 before routing")
    @ValueSource(strings = {"POST /actuator/shutdown", "POST /actuator/heapdump", "DELETE /actuator/caches",
            "POST /actuator/env", "GET /actuator/env?x=/actuator/health", "GET /actuator/health/../env",
            "GET /actuator/health;/../env", "GET /actuator/%65nv", "GET /actuator/health%2F..%2Fenv"})
    void tricksAroundTheHealthEndpointAreRefused(String methodAndPath) {
        Answer answer = gateway.raw(methodAndPath + " HTTP/1.1");

        assertThat(answer.status()).as("%s", answer).isIn(400, 404);
        if (answer.status() == 404) {
            assertError(answer, 404, "not_found");
        } else {
            assertRefusedAsBadRequest(answer);
        }
        assertThat(answer.body()).doesNotContain("secret", "Secret", "propertySources");
    }
}
