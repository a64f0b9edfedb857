package dev.wechatauth.gateway.faults;

import static dev.wechatauth.gateway.faults.Traffic.Kind.OPTIONAL;
import static dev.wechatauth.gateway.faults.Traffic.Kind.PUBLIC;
import static dev.wechatauth.gateway.faults.Traffic.Kind.REQUIRED;

import java.util.EnumSet;

import dev.wechatauth.gateway.faults.FaultyDownstream.Mode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Fault injection, the service behind the gateway (every routed path, {@code response-timeout: 1000} ms): it stops
 * answering, or resets every connection. Routed requests get 504 {@code upstream_timeout} at the route's response
 * timeout (+ 500 ms) or 502 {@code upstream_unavailable}; logins, answered by the gateway itself, are not disturbed;
 * within 5 s of the service answering again, every request succeeds.
 */
class HangingOrResettingDownstreamTest {

    private static Bench bench;

    @BeforeAll
    static void bench() {
        bench = Bench.get();
    }

    @AfterEach
    void serviceAnswersAgain() {
        bench.downstream.mode(Mode.ANSWER);
    }

    @AfterAll
    static void printFigures() {
        Figures.print();
    }

    @Test
    void aHangingServiceIs504AtTheRoutesResponseTimeoutAndHealsWithinFiveSeconds() {
        Scenario.named("downstream hanging (never answers)")
                .timeout(Bench.RESPONSE_TIMEOUT)
                .answers(EnumSet.of(REQUIRED, OPTIONAL, PUBLIC), "504 upstream_timeout")
                .inject(() -> bench.downstream.mode(Mode.HANG))
                .end(() -> bench.downstream.mode(Mode.ANSWER))
                .run(bench)
                .assertMeetsTheRules();
    }

    @Test
    void aServiceResettingItsConnectionsIs502AndHealsWithinFiveSeconds() {
        Scenario.named("downstream resetting every connection")
                .timeout(Bench.RESPONSE_TIMEOUT)
                .answers(EnumSet.of(REQUIRED, OPTIONAL, PUBLIC), "502 upstream_unavailable")
                .inject(() -> bench.downstream.mode(Mode.RESET))
                .end(() -> bench.downstream.mode(Mode.ANSWER))
                .run(bench)
                .assertMeetsTheRules();
    }
}
