package dev.wechatauth.gateway.operations;

import static dev.wechatauth.gateway.rig.ContractAssertions.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import dev.wechatauth.gateway.rig.Answer;
import dev.wechatauth.gateway.rig.GatewayLauncher;
import dev.wechatauth.gateway.rig.InProcessGateway;
import dev.wechatauth.gateway.rig.OnTheSharedGateway;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * docs/reference.md, The management port: {@code management.server.port} serves {@code /actuator/health} and
 * {@code /actuator/prometheus}; the public port answers {@code /actuator/health} (status only) and nothing else of the
 * actuator; {@code -1} turns the management port off, and the public health still answers.
 */
class ManagementPortTest extends OnTheSharedGateway {

    @Test
    void healthAnswersOnTheManagementPort() {
        assertStatusOnly(gateway.management().get("/actuator/health"));
    }

    @Test
    void healthAnswersOnThePublicPortWithItsStatusAlone() {
        Answer answer = gateway.get("/actuator/health");

        assertStatusOnly(answer);
        assertThat(answer.header("Content-Type")).startsWith("application/json");
        assertThat(answer.header("Cache-Control")).isEqualTo("no-store");
    }

    @Test
    void prometheusAnswersOnTheManagementPortInItsTextFormat() {
        Answer answer = gateway.management().get("/actuator/prometheus");

        assertThat(answer.status()).as("%s", answer.abbreviated()).isEqualTo(200);
        assertThat(answer.header("Content-Type")).startsWith("text/plain");
        assertThat(answer.body()).contains("# TYPE jvm_memory_used_bytes gauge", "process_cpu_usage");
    }

    @Test
    void prometheusAnswersOpenMetricsWhenAskedFor() {
        Answer answer = gateway.management().get("/actuator/prometheus",
                "Accept: application/openmetrics-text;version=1.0.0");

        assertThat(answer.status()).as("%s", answer.abbreviated()).isEqualTo(200);
        assertThat(answer.header("Content-Type")).startsWith("application/openmetrics-text");
        assertThat(answer.body()).endsWith("# EOF\n");
    }

    @ParameterizedTest(name = "GET {0} is 404 not_found on the public port")
    @ValueSource(strings = {"/actuator/prometheus", "/actuator/metrics", "/actuator/env", "/actuator/heapdump",
            "/actuator/health/redis", "/actuator", "/admin/users/wx_contract_first/o1/sessions"})
    void theRestIsNotFoundOnThePublicPort(String path) {
        assertError(gateway.get(path), 404, "not_found");
    }

    @ParameterizedTest(name = "GET {0} is not served on the management port")
    @ValueSource(strings = {"/actuator/env", "/actuator/heapdump", "/actuator/gateway/routes", "/actuator/loggers"})
    void onlyHealthAndPrometheusAreExposedOnTheManagementPort(String path) {
        assertThat(gateway.management().get(path).status()).isEqualTo(404);
    }

    @Test
    void theManagementPortDoesNotRouteToServices() {
        Answer answer = gateway.management().get("/api/status/1");

        assertThat(answer.status()).isEqualTo(404);
        assertThat(backends.echo.count()).as("requests that reached the echo").isZero();
    }

    @Test
    void minusOneTurnsTheManagementPortOffAndThePublicHealthStillAnswers() {
        try (InProcessGateway off = GatewayLauncher.on(backends).named("no management port")
                .with("management.server.port=-1").start()) {
            assertThat(off.managementPort()).isEqualTo(-1);
            assertStatusOnly(off.get("/actuator/health"));
            assertError(off.get("/actuator/prometheus"), 404, "not_found");
        }
    }

    private static void assertStatusOnly(Answer answer) {
        assertThat(answer.status()).as("%s", answer).isEqualTo(200);
        assertThat(answer.json().propertyNames()).containsExactly("status");
        assertThat(answer.json().get("status").asString()).isEqualTo("UP");
    }
}
