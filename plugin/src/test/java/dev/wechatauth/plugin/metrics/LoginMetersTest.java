package dev.wechatauth.plugin.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import dev.wechatauth.plugin.error.GatewayError;
import dev.wechatauth.plugin.error.GatewayErrorException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.springframework.dao.QueryTimeoutException;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.test.StepVerifier;

class LoginMetersTest {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final LoginMeters meters = new LoginMeters(registry, List.of("wx_a", "wx_b"));

    private double count(String appid, String outcome) {
        return registry.get("wechat.auth.logins").tag("appid", appid).tag("outcome", outcome).counter().count();
    }

    @Test
    void everyOutcomeOfEveryConfiguredAppAndOfNoneIsRegisteredAtZero() {
        assertThat(registry.get("wechat.auth.logins").tag("appid", "wx_b").counters()).hasSize(12);
        assertThat(registry.get("wechat.auth.logins").tag("appid", LoginMeters.NO_APP).counters()).hasSize(12);
        assertThat(count("wx_a", "success")).isZero();
    }

    @Test
    void outcomesAreCountedByAppAndErrorCode() {
        meters.succeeded("wx_a", false);
        meters.succeeded("wx_a", true);
        meters.failed("wx_b", new GatewayErrorException(GatewayError.INVALID_CODE));
        meters.failed("wx_b", new GatewayErrorException(GatewayError.WECHAT_RATE_LIMITED));
        meters.refused(new GatewayErrorException(GatewayError.RATE_LIMITED));
        meters.refused(new QueryTimeoutException("redis"));

        assertThat(count("wx_a", "success")).isEqualTo(1);
        assertThat(count("wx_a", "duplicate")).isEqualTo(1);
        assertThat(count("wx_b", "invalid_code")).isEqualTo(1);
        assertThat(count("wx_b", "rate_limited")).isEqualTo(1);
        assertThat(count(LoginMeters.NO_APP, "rate_limited")).isEqualTo(1);
        assertThat(count(LoginMeters.NO_APP, "session_store_unavailable")).as("a Redis failure, classified")
                .isEqualTo(1);
    }

    @Test
    void aLoginIsInFlightFromSubscriptionToItsEnd() {
        Sinks.One<String> answer = Sinks.one();
        double before = registry.get("wechat.auth.logins.in.flight").gauge().value();

        StepVerifier.create(meters.inFlight(answer.asMono()))
                .then(() -> assertThat(registry.get("wechat.auth.logins.in.flight").gauge().value())
                        .isEqualTo(before + 1))
                .then(() -> answer.tryEmitValue("ok"))
                .expectNext("ok")
                .verifyComplete();
        StepVerifier.create(meters.inFlight(Mono.error(new IllegalStateException()))).expectError().verify();

        assertThat(registry.get("wechat.auth.logins.in.flight").gauge().value()).isEqualTo(before);
    }

    @Test
    void unmeasuredMetersCountNothingAndFailNothing() {
        LoginMeters none = LoginMeters.unmeasured();

        none.succeeded("wx_a", false);
        none.refused(new IllegalStateException());

        StepVerifier.create(none.inFlight(Mono.just(1))).expectNext(1).verifyComplete();
    }
}
