package dev.wechatauth.gateway.upstream;

import static dev.wechatauth.gateway.rig.ContractAssertions.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

import dev.wechatauth.gateway.rig.Answer;
import dev.wechatauth.gateway.rig.OnTheSharedGateway;
import dev.wechatauth.gateway.rig.Timing;
import org.junit.jupiter.api.Test;

/**
 * docs/reference.md, Errors, the rows about the services behind the gateway: a refused or reset connection is
 * {@code upstream_unavailable}, an answer slower than the route's response timeout is {@code upstream_timeout}.
 */
class UpstreamFailuresTest extends OnTheSharedGateway {

    /** The response timeout of the shared gateway's {@code /api/slow/**} route. */
    private static final Duration ROUTE_TIMEOUT = Duration.ofMillis(500);

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

    /**
     * The service would answer after 10 s: the 504 comes at the route's timeout, with
     * {@linkplain Timing#CI_MARGIN a margin} for a busy machine, well before the service's answer would have.
     */
    @Test
    void aServiceSlowerThanTheRoutesResponseTimeoutIs504UpstreamTimeout() {
        long start = System.nanoTime();
        Answer answer = gateway.get("/api/slow/__slow/10000/1", "Authorization: Bearer " + token);
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertError(answer, 504, "upstream_timeout");
        assertThat(took).as("answered at the route's 500 ms timeout").isLessThan(Timing.generous(ROUTE_TIMEOUT));
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
