package dev.wechatauth.plugin.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wechatauth.plugin.error.GatewayError;
import dev.wechatauth.plugin.error.GatewayErrorException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

class SessionCheckMetersTest {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final SessionCheckMeters checks = new SessionCheckMeters(registry);

    private double count(String outcome) {
        return registry.get("wechat.auth.session.checks").tag("outcome", outcome).counter().count();
    }

    @Test
    void aLookupIsCountedByWhatItFinds() {
        StepVerifier.create(checks.counted(Mono.just("session"))).expectNext("session").verifyComplete();
        StepVerifier.create(checks.counted(Mono.empty())).verifyComplete();
        StepVerifier.create(checks.counted(Mono.error(new GatewayErrorException(GatewayError.SESSION_STORE_UNAVAILABLE))))
                .expectError(GatewayErrorException.class).verify();

        assertThat(count("valid")).isEqualTo(1);
        assertThat(count("invalid_token")).isEqualTo(1);
        assertThat(count("session_store_unavailable")).isEqualTo(1);
    }

    @Test
    void missingAndMalformedTokensAreCountedWithoutALookup() {
        checks.missingToken();
        checks.malformedToken();

        assertThat(count("missing_token")).isEqualTo(1);
        assertThat(count("invalid_token")).isEqualTo(1);
        assertThat(count("valid")).isZero();
    }
}
