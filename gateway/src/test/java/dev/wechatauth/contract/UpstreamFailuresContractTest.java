package dev.wechatauth.contract;

import static dev.wechatauth.contract.ContractAssertions.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * CONTRACT.md, "Errors", the rows about the services behind the gateway: a refused or reset connection is
 * {@code upstream_unavailable}, an answer slower than the route's response timeout is {@code upstream_timeout}.
 */
class UpstreamFailuresContractTest {

    private static GatewayInstance gateway;
    private static String token;

    @BeforeAll
    static void startGateway() {
        gateway = SharedGateway.get();
        token = gateway.newToken();
    }

    @Test
    void aServiceRefusingTheConnectionIs502UpstreamUnavailable() {
        assertError(gateway.get("/api/dead/1"), 502, "upstream_unavailable");
    }

    @Test
    void aServiceResettingTheConnectionIs502UpstreamUnavailable() {
        assertError(gateway.get("/api/status/__reset/1"), 502, "upstream_unavailable");
    }

    @Test
    void aServiceResettingTheConnectionOnARequiredRouteIs502UpstreamUnavailable() {
        assertError(gateway.get("/api/orders/__reset/1", "Authorization: Bearer " + token), 502, "upstream_unavailable");
    }

    @Test
    void aServiceSlowerThanTheRoutesResponseTimeoutIs504UpstreamTimeout() {
        long start = System.nanoTime();
        Answer answer = gateway.get("/api/slow/__slow/3000/1", "Authorization: Bearer " + token);
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertError(answer, 504, "upstream_timeout");
        assertThat(took).as("answered at the route's 500 ms timeout").isLessThan(Duration.ofMillis(2500));
    }

    @Test
    void aServiceThatNeverAnswersIs504UpstreamTimeout() {
        assertError(gateway.get("/api/slow/__hang/1", "Authorization: Bearer " + token), 504, "upstream_timeout");
    }

    @Test
    void aServiceWithinTheRoutesResponseTimeoutIsAnsweredNormally() {
        Answer answer = gateway.get("/api/slow/__slow/50/1", "Authorization: Bearer " + token);

        assertThat(answer.status()).as("%s", answer).isEqualTo(200);
        assertThat(answer.json().get("path").asString()).isEqualTo("/api/slow/__slow/50/1");
    }

    @Test
    void aServicesOwnErrorStatusIsPassedThroughAsItsAnswer() {
        Answer answer = gateway.get("/api/status/__status/503/1");

        assertThat(answer.status()).isEqualTo(503);
        assertThat(answer.json().get("path").asString()).as("the service's own body").isEqualTo("/api/status/__status/503/1");
    }
}
