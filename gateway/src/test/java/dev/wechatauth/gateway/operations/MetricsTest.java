package dev.wechatauth.gateway.operations;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.function.Supplier;

import dev.wechatauth.gateway.rig.Answer;
import dev.wechatauth.gateway.rig.Backends;
import dev.wechatauth.gateway.rig.GatewayLauncher;
import dev.wechatauth.gateway.rig.InProcessGateway;
import dev.wechatauth.gateway.rig.OnTheSharedGateway;
import dev.wechatauth.gateway.rig.Scrape;
import dev.wechatauth.gateway.rig.WechatUser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * docs/reference.md, The management port: {@code /actuator/prometheus} counts logins by mini-program and outcome,
 * times the WeChat calls, counts token checks and the session cache's hits, shows each breaker's state, and carries
 * Reactor Netty's, Resilience4j's, Caffeine's and the JVM's own series; no openid, token or code is in it. Reactor
 * Netty's per-request series are there only with {@code gateway.metrics.server-requests=true}. Counters are compared
 * before and after what a test does (the shared gateway serves other classes too). Reactor Netty records into
 * Micrometer's global registry, which every gateway of the test JVM joins: its samples are summed over them.
 */
class MetricsTest extends OnTheSharedGateway {

    private static final String FIRST = "appid=" + Backends.FIRST_APPID;
    private static final String LOGINS = "wechat_auth_logins_total";
    private static final String CHECKS = "wechat_auth_session_checks_total";
    private static final String CALLS = "wechat_auth_wechat_calls_seconds_count";

    @Test
    void aLoginCountsASuccessOfItsMiniProgramAndTimesItsCallToWechat() {
        double logins = scrape().value(LOGINS, FIRST, "outcome=success");
        double calls = scrape().value(CALLS, "api=code2session", FIRST, "outcome=success");

        gateway.newToken();

        eventually(() -> scrape().value(LOGINS, FIRST, "outcome=success"), logins + 1);
        eventually(() -> scrape().value(CALLS, "api=code2session", FIRST, "outcome=success"), calls + 1);
    }

    @Test
    void aCodeWechatRefusesCountsInvalidCodeForItsMiniProgram() {
        double before = scrape().value(LOGINS, FIRST, "outcome=invalid_code");
        double calls = scrape().sum(CALLS, "api=code2session", FIRST, "outcome=invalid_code");

        assertThat(gateway.login(Backends.unknownCode()).status()).isEqualTo(401);

        eventually(() -> scrape().value(LOGINS, FIRST, "outcome=invalid_code"), before + 1);
        eventually(() -> scrape().value(CALLS, "api=code2session", FIRST, "outcome=invalid_code"), calls + 1);
    }

    @Test
    void aCopyOfACodeWithinTheWindowCountsAsADuplicate() {
        String code = backends.newCode();
        double before = scrape().value(LOGINS, FIRST, "outcome=duplicate");
        assertThat(gateway.login(code).status()).isEqualTo(200);

        assertThat(gateway.login(code).status()).isEqualTo(200);

        eventually(() -> scrape().value(LOGINS, FIRST, "outcome=duplicate"), before + 1);
    }

    @Test
    void anAttemptRefusedBeforeItsMiniProgramIsKnownCountsUnderAppidNone() {
        double unreadable = scrape().value(LOGINS, "appid=none", "outcome=invalid_request");
        double unknown = scrape().value(LOGINS, "appid=none", "outcome=unknown_app");

        assertThat(gateway.loginWithBody("{\"code\":42}").status()).isEqualTo(400);
        assertThat(gateway.loginTo(Backends.UNCONFIGURED_APPID, backends.newCode()).status()).isEqualTo(400);

        eventually(() -> scrape().value(LOGINS, "appid=none", "outcome=invalid_request"), unreadable + 1);
        eventually(() -> scrape().value(LOGINS, "appid=none", "outcome=unknown_app"), unknown + 1);
        assertThat(scrape().matching(LOGINS, "appid=" + Backends.UNCONFIGURED_APPID))
                .as("a label of an appid the gateway does not serve").isEmpty();
    }

    @Test
    void tokenChecksAreCountedByOutcome() {
        Scrape before = scrape();

        assertThat(gateway.withToken(token).status()).isEqualTo(200);
        assertThat(gateway.get(Backends.REQUIRED).status()).isEqualTo(401);
        assertThat(gateway.withToken(Backends.unknownToken()).status()).isEqualTo(401);
        assertThat(gateway.get(Backends.REQUIRED, "Authorization: Bearer not-a-token").status()).isEqualTo(401);

        Scrape after = scrape();
        assertThat(after.value(CHECKS, "outcome=valid")).isGreaterThanOrEqualTo(before.value(CHECKS, "outcome=valid") + 1);
        assertThat(after.value(CHECKS, "outcome=missing_token"))
                .isGreaterThanOrEqualTo(before.value(CHECKS, "outcome=missing_token") + 1);
        assertThat(after.value(CHECKS, "outcome=invalid_token"))
                .isGreaterThanOrEqualTo(before.value(CHECKS, "outcome=invalid_token") + 2);
        assertThat(after.value(CHECKS, "outcome=session_store_unavailable")).isNotNegative();
    }

    @Test
    void aSessionUsedTwiceIsAHitOfTheSessionCache() {
        String fresh = gateway.newToken();
        assertThat(gateway.withToken(fresh).status()).isEqualTo(200);
        double hits = scrape().value("wechat_auth_session_cache_total", "result=hit");

        assertThat(gateway.withToken(fresh).status()).isEqualTo(200);

        assertThat(scrape().value("wechat_auth_session_cache_total", "result=hit")).isGreaterThanOrEqualTo(hits + 1);
        assertThat(scrape().value("wechat_auth_session_cache_serving")).isEqualTo(1);
        assertThat(scrape().value("cache_size", "cache=wechat-auth-sessions")).isPositive();
    }

    @ParameterizedTest(name = "the breaker of {0} shows closed, per mini-program")
    @ValueSource(strings = {"code2session", "stable_token", "phone"})
    void everyBreakerShowsFromTheStartAndIsClosed(String api) {
        Scrape scrape = scrape();

        assertThat(scrape.value("wechat_auth_circuit_breaker_open", "api=" + api, FIRST)).isZero();
        assertThat(scrape.value("wechat_auth_circuit_breaker_open", "api=" + api, "appid=" + Backends.SECOND_APPID))
                .isZero();
        assertThat(scrape.matching("wechat_auth_wechat_calls_in_flight", "api=" + api, FIRST)).hasSize(1);
        assertThat(scrape.matching("resilience4j_circuitbreaker_state", "name=" + api + ":" + Backends.FIRST_APPID,
                "state=closed")).singleElement().extracting(Scrape.Sample::value).isEqualTo(1.0);
    }

    @Test
    void theWechatCallsAreAHistogram() {
        gateway.newToken();

        Scrape scrape = scrape();

        assertThat(scrape.matching("wechat_auth_wechat_calls_seconds_bucket", "api=code2session", FIRST,
                "outcome=success")).extracting(sample -> sample.labels().get("le"))
                .contains("0.1", "1.0", "5.0", "+Inf");
        assertThat(scrape.names()).contains("wechat_auth_wechat_calls_seconds_sum", "wechat_auth_logins_in_flight");
    }

    @Test
    void reactorNettysPoolAndTheJvmsSeriesAreThereAndNoPerRequestSeries() {
        assertThat(gateway.get(Backends.PUBLIC).status()).isEqualTo(200);
        Scrape before = scrape();

        assertThat(gateway.get(Backends.PUBLIC).status()).isEqualTo(200);

        Scrape after = scrape();
        assertThat(after.names()).contains("reactor_netty_connection_provider_active_connections",
                "reactor_netty_connection_provider_pending_connections_time_seconds_count",
                "reactor_netty_bytebuf_allocator_used_direct_memory", "jvm_memory_used_bytes", "process_cpu_usage",
                "jvm_gc_pause_seconds_count");
        assertThat(after.names()).as("observations, off for their cost")
                .noneMatch(name -> name.startsWith("spring_cloud_gateway_requests")
                        || name.startsWith("http_server_requests"));
        assertThat(after.sum("reactor_netty_http_server_data_sent_time_seconds_count"))
                .as("Reactor Netty's request series (off by default; another gateway of this JVM may have them on)")
                .isEqualTo(before.sum("reactor_netty_http_server_data_sent_time_seconds_count"));
    }

    @Test
    void serverRequestsTurnsOnReactorNettysRequestSeriesUnderOneUri() {
        try (InProcessGateway withRequests = GatewayLauncher.on(backends).named("server requests")
                .with("gateway.metrics.server-requests=true").start()) {
            assertThat(withRequests.get(Backends.PUBLIC).status()).isEqualTo(200);
            assertThat(withRequests.get("/api/status/some/other/path").status()).isEqualTo(200);

            // recorded as the answer is written: a scrape right after the second answer may be a moment early
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50)).untilAsserted(() ->
                    assertThat(Scrape.of(withRequests).matching("reactor_netty_http_server_data_sent_time_seconds_count",
                            "method=GET", "status=200")).singleElement().satisfies(sample -> {
                                assertThat(sample.labels().get("uri")).as("every path under one uri").isEqualTo("/**");
                                assertThat(sample.value()).isGreaterThanOrEqualTo(2);
                            }));
        }
    }

    @Test
    void noOpenidTokenOrCodeIsInTheSeries() {
        WechatUser someone = backends.newUser();
        String code = backends.issueCode(someone);
        Answer login = gateway.login(code);
        assertThat(login.status()).isEqualTo(200);
        gateway.withToken(login.token());
        gateway.get(Backends.REQUIRED + "?code=" + code);

        String text = scrape().text();

        assertThat(text).doesNotContain(someone.openid(), login.token(), code, user.openid(), token);
    }

    private static Scrape scrape() {
        return Scrape.of(gateway);
    }

    /** Counters are incremented as the answer is written, so a scrape right after it may be a moment early. */
    private static void eventually(Supplier<Double> value, double expected) {
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
                .untilAsserted(() -> assertThat(value.get()).isGreaterThanOrEqualTo(expected));
    }
}
