package dev.wechatauth.plugin.wechat;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import dev.wechatauth.plugin.error.GatewayError;
import dev.wechatauth.plugin.error.GatewayErrorException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.test.StepVerifier;

import static org.assertj.core.api.Assertions.assertThat;

class WechatCallGuardTest {

    private final AtomicInteger calls = new AtomicInteger();

    private WechatCallGuard guard(Duration openFor, int maxInFlight) {
        return new WechatCallGuard(50, 20, 10, openFor, 3, maxInFlight);
    }

    private Mono<String> failingWith(GatewayError error) {
        return Mono.defer(() -> {
            calls.incrementAndGet();
            return Mono.error(new GatewayErrorException(error));
        });
    }

    private Mono<String> succeeding() {
        return Mono.fromSupplier(() -> {
            calls.incrementAndGet();
            return "ok";
        });
    }

    private static void fail(WechatCallGuard guard, int times, GatewayError error, WechatCallGuardTest test) {
        for (int i = 0; i < times; i++) {
            StepVerifier.create(guard.guard(WechatApi.CODE2SESSION, "wx_app", () -> test.failingWith(error))).expectError().verify();
        }
    }

    @Test
    void whenHalfOfTenCallsFailedTheBreakerOpensAndLoginsFailFastWithoutCallingWechat() {
        WechatCallGuard guard = guard(Duration.ofSeconds(10), 100);
        for (int i = 0; i < 5; i++) {
            StepVerifier.create(guard.guard(WechatApi.CODE2SESSION, "wx_app", this::succeeding)).expectNext("ok").verifyComplete();
        }
        fail(guard, 5, GatewayError.WECHAT_UNAVAILABLE, this);
        assertThat(guard.state(WechatApi.CODE2SESSION, "wx_app")).isEqualTo(CircuitBreaker.State.OPEN);
        int before = calls.get();

        StepVerifier.create(guard.guard(WechatApi.CODE2SESSION, "wx_app", this::succeeding))
                .expectErrorSatisfies(failure -> assertThat(((GatewayErrorException) failure).error())
                        .isEqualTo(GatewayError.WECHAT_UNAVAILABLE))
                .verify(Duration.ofMillis(500));
        assertThat(calls).hasValue(before);
    }

    @Test
    void errcodesAboutTheCodeOrTheUserNeverOpenTheBreaker() {
        WechatCallGuard guard = guard(Duration.ofSeconds(10), 100);

        fail(guard, 10, GatewayError.INVALID_CODE, this);
        fail(guard, 5, GatewayError.USER_BLOCKED, this);
        fail(guard, 5, GatewayError.WECHAT_RATE_LIMITED, this);

        assertThat(guard.state(WechatApi.CODE2SESSION, "wx_app")).isEqualTo(CircuitBreaker.State.CLOSED);
    }

    @Test
    void timeoutsAndUnusableAnswersCountAsWechatFailures() {
        WechatCallGuard guard = guard(Duration.ofSeconds(10), 100);

        fail(guard, 5, GatewayError.WECHAT_TIMEOUT, this);
        fail(guard, 5, GatewayError.WECHAT_ERROR, this);

        assertThat(guard.state(WechatApi.CODE2SESSION, "wx_app")).isEqualTo(CircuitBreaker.State.OPEN);
    }

    @Test
    void afterTheOpenPeriodTrialCallsCloseTheBreakerWhenWechatRecovered() {
        WechatCallGuard guard = guard(Duration.ofMillis(200), 100);
        fail(guard, 10, GatewayError.WECHAT_UNAVAILABLE, this);
        assertThat(guard.state(WechatApi.CODE2SESSION, "wx_app")).isEqualTo(CircuitBreaker.State.OPEN);

        Mono.delay(Duration.ofMillis(300)).block();
        for (int i = 0; i < 3; i++) {
            StepVerifier.create(guard.guard(WechatApi.CODE2SESSION, "wx_app", this::succeeding)).expectNext("ok").verifyComplete();
        }

        assertThat(guard.state(WechatApi.CODE2SESSION, "wx_app")).isEqualTo(CircuitBreaker.State.CLOSED);
    }

    @Test
    void eachMiniProgramHasItsOwnBreaker() {
        WechatCallGuard guard = guard(Duration.ofSeconds(10), 100);
        fail(guard, 10, GatewayError.WECHAT_ERROR, this);

        StepVerifier.create(guard.guard(WechatApi.CODE2SESSION, "wx_other", this::succeeding)).expectNext("ok").verifyComplete();
    }

    @Test
    void eachApiHasItsOwnBreakerSoAFailingPhoneApiDoesNotStopLogins() {
        WechatCallGuard guard = guard(Duration.ofSeconds(10), 100);
        for (int i = 0; i < 10; i++) {
            StepVerifier.create(guard.guard(WechatApi.PHONE, "wx_app",
                    () -> failingWith(GatewayError.WECHAT_UNAVAILABLE))).expectError().verify();
        }

        assertThat(guard.state(WechatApi.PHONE, "wx_app")).isEqualTo(CircuitBreaker.State.OPEN);
        assertThat(guard.state(WechatApi.CODE2SESSION, "wx_app")).isEqualTo(CircuitBreaker.State.CLOSED);
        assertThat(guard.state(WechatApi.STABLE_TOKEN, "wx_app")).isEqualTo(CircuitBreaker.State.CLOSED);
        StepVerifier.create(guard.guard(WechatApi.CODE2SESSION, "wx_app", this::succeeding)).expectNext("ok")
                .verifyComplete();
        StepVerifier.create(guard.guard(WechatApi.STABLE_TOKEN, "wx_app", this::succeeding)).expectNext("ok")
                .verifyComplete();
    }

    @Test
    void eachApiHasItsOwnInFlightBound() {
        WechatCallGuard guard = new WechatCallGuard(50, 20, 10, Duration.ofSeconds(10), 3,
                Map.of(WechatApi.CODE2SESSION, 5, WechatApi.STABLE_TOKEN, 1, WechatApi.PHONE, 1));
        Sinks.One<String> slowWechat = Sinks.one();
        guard.guard(WechatApi.PHONE, "wx_app", slowWechat::asMono).subscribe();

        StepVerifier.create(guard.guard(WechatApi.PHONE, "wx_app", this::succeeding))
                .expectErrorSatisfies(failure -> assertThat(((GatewayErrorException) failure).error())
                        .isEqualTo(GatewayError.WECHAT_UNAVAILABLE))
                .verify(Duration.ofSeconds(5));
        StepVerifier.create(guard.guard(WechatApi.CODE2SESSION, "wx_app", this::succeeding)).expectNext("ok")
                .verifyComplete();
        StepVerifier.create(guard.guard(WechatApi.STABLE_TOKEN, "wx_app", this::succeeding)).expectNext("ok")
                .verifyComplete();
        slowWechat.tryEmitValue("done");
    }

    @Test
    void everyApiNeedsAnInFlightBound() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new WechatCallGuard(50, 20, 10,
                        Duration.ofSeconds(10), 3, Map.of(WechatApi.CODE2SESSION, 5)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("stable_token");
    }

    @Test
    void loginsBeyondTheInFlightBoundAreRefusedAtOnceWithoutCallingWechat() {
        WechatCallGuard guard = guard(Duration.ofSeconds(10), 2);
        Sinks.One<String> slowWechat = Sinks.one();
        guard.guard(WechatApi.CODE2SESSION, "wx_app", slowWechat::asMono).subscribe();
        guard.guard(WechatApi.CODE2SESSION, "wx_app", slowWechat::asMono).subscribe();

        StepVerifier.create(guard.guard(WechatApi.CODE2SESSION, "wx_app", this::succeeding))
                .expectErrorSatisfies(failure -> assertThat(((GatewayErrorException) failure).error())
                        .isEqualTo(GatewayError.WECHAT_UNAVAILABLE))
                .verify(Duration.ofMillis(500));
        assertThat(calls).hasValue(0);

        slowWechat.tryEmitValue("done");
        StepVerifier.create(guard.guard(WechatApi.CODE2SESSION, "wx_app", this::succeeding)).expectNext("ok").verifyComplete();
        assertThat(guard.state(WechatApi.CODE2SESSION, "wx_app")).isEqualTo(CircuitBreaker.State.CLOSED);
    }

    @Test
    void boundToARegistryItTimesTheCallsThatReachedWechatByOutcomeAndShowsTheBreakerOpen() {
        WechatCallGuard guard = guard(Duration.ofSeconds(10), 100);
        guard.expect("wx_app");
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        guard.bindTo(registry);
        assertThat(registry.get("wechat.auth.circuit.breaker.open").tag("api", "phone").tag("appid", "wx_app").gauge()
                .value()).as("a breaker made before binding").isZero();

        StepVerifier.create(guard.guard(WechatApi.CODE2SESSION, "wx_app", this::succeeding)).expectNext("ok")
                .verifyComplete();
        fail(guard, 9, GatewayError.WECHAT_UNAVAILABLE, this);
        StepVerifier.create(guard.guard(WechatApi.CODE2SESSION, "wx_app", this::succeeding)).expectError().verify();

        assertThat(registry.get("wechat.auth.wechat.calls").tag("api", "code2session").tag("appid", "wx_app")
                .tag("outcome", "success").timer().count()).isEqualTo(1);
        assertThat(registry.get("wechat.auth.wechat.calls").tag("outcome", "wechat_unavailable").timer().count())
                .as("calls that reached WeChat, not the one the open breaker refused").isEqualTo(9);
        assertThat(registry.get("wechat.auth.circuit.breaker.open").tag("api", "code2session").tag("appid", "wx_app")
                .gauge().value()).isEqualTo(1);
        assertThat(registry.get("resilience4j.circuitbreaker.state").tag("name", "code2session:wx_app")
                .tag("state", "open").gauge().value()).isEqualTo(1);
    }

    @Test
    void aBreakerMadeAfterBindingHasItsSeriesToo() {
        WechatCallGuard guard = guard(Duration.ofSeconds(10), 100);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        guard.bindTo(registry);

        guard.expect("wx_later");

        assertThat(registry.get("wechat.auth.wechat.calls.in.flight").tag("api", "stable_token")
                .tag("appid", "wx_later").gauge().value()).isZero();
        assertThat(registry.get("wechat.auth.wechat.calls").tag("appid", "wx_later").tag("outcome", "success")
                .timers()).hasSize(3);
    }
}
