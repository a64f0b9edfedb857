package dev.wechatauth.gateway.wechat;

import static dev.wechatauth.gateway.rig.ContractAssertions.assertError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import dev.wechatauth.gateway.rig.Answer;
import dev.wechatauth.gateway.rig.Backends;
import dev.wechatauth.gateway.rig.Gateway;
import dev.wechatauth.gateway.rig.GatewayLauncher;
import dev.wechatauth.gateway.rig.Http;
import dev.wechatauth.gateway.rig.Scrape;
import dev.wechatauth.gateway.rig.Timing;
import dev.wechatauth.testkit.Reply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * docs/reference.md, Failing fast: when WeChat keeps failing (-1, HTTP 5xx, timeouts, unreadable replies; not errcodes
 * about the code or the user), logins answer 503 {@code wechat_unavailable} in well under a second without calling
 * it, until it recovers; a full bound on logins in flight also answers 503; 45011 carries {@code Retry-After: 60}.
 * <p>
 * One gateway: breaker over the last {@value #WINDOW} calls, open at 50 % once {@value #MINIMUM_CALLS} were seen,
 * open for {@value #OPEN_FOR_SECONDS} s, one trial call; at most {@value #MAX_IN_FLIGHT} code2Session calls in flight;
 * WeChat timeout 1 s. The breaker and the bound are per mini-program, so every test logs into a mini-program of its
 * own and starts from a closed breaker.
 * <p>
 * That a refusal did not wait for WeChat is shown by WeChat's call counts; its time is measured and printed, and held
 * to the contract's bound only with {@linkplain Timing#CI_MARGIN a margin} for a busy machine.
 */
class FailingFastTest {

    private static final int WINDOW = 4;
    private static final int MINIMUM_CALLS = 3;
    private static final int OPEN_FOR_SECONDS = 2;
    private static final int MAX_IN_FLIGHT = 2;
    /** What "well under a second" means here, for the median of several refusals. */
    private static final Duration FAST = Duration.ofMillis(500);
    /** The WeChat timeout: a refusal that waited on WeChat would take at least this long. */
    private static final Duration TIMEOUT = Duration.ofSeconds(1);

    private static final List<String> APPIDS = List.of("wx_ff_http500", "wx_ff_busy", "wx_ff_hang", "wx_ff_garbage",
            "wx_ff_recovery", "wx_ff_usererrors", "wx_ff_inflight", "wx_ff_frequency");

    private static Backends backends;
    private static Gateway gateway;
    private static ExecutorService clients;
    private static final List<Long> fastFailMillis = new ArrayList<>();

    @BeforeAll
    static void startGateway() {
        backends = Backends.start();
        List<String> overrides = new ArrayList<>(List.of(
                "wechat.auth.circuit-breaker.failure-rate=50",
                "wechat.auth.circuit-breaker.window=" + WINDOW,
                "wechat.auth.circuit-breaker.minimum-calls=" + MINIMUM_CALLS,
                "wechat.auth.circuit-breaker.open-for=" + OPEN_FOR_SECONDS + "s",
                "wechat.auth.circuit-breaker.trial-calls=1",
                "wechat.auth.login.max-in-flight=" + MAX_IN_FLIGHT,
                "wechat.auth.timeout=1s"));
        for (int i = 0; i < APPIDS.size(); i++) {
            String secret = "ff-secret-" + i;
            backends.wechat.registerApp(APPIDS.get(i), secret);
            overrides.add("wechat.auth.apps[" + (i + 2) + "].appid=" + APPIDS.get(i));
            overrides.add("wechat.auth.apps[" + (i + 2) + "].secret=" + secret);
        }
        gateway = GatewayLauncher.on(backends).with(overrides.toArray(String[]::new)).start();
        clients = Executors.newFixedThreadPool(4);
        // a fresh gateway's first logins connect to Redis and WeChat and run cold code: keep them out of the timings
        for (int i = 0; i < 5; i++) {
            gateway.login(backends.newCode());
        }
    }

    @AfterAll
    static void stopGateway() {
        System.out.println("[measured] time to 503 with the breaker open, ms: " + fastFailMillis);
        clients.shutdownNow();
        gateway.close();
        backends.close();
    }

    @AfterEach
    void clearScripts() {
        backends.wechat.clearScripts();
    }

    static Stream<Arguments> wechatFaults() {
        return Stream.of(
                Arguments.of("HTTP 500", "wx_ff_http500", Reply.status(500), 503, "wechat_unavailable"),
                Arguments.of("errcode -1", "wx_ff_busy", Reply.errcode(-1), 503, "wechat_unavailable"),
                Arguments.of("no answer past the timeout", "wx_ff_hang", Reply.hang(), 504, "wechat_timeout"),
                Arguments.of("an unreadable reply", "wx_ff_garbage", Reply.body("<html>oops</html>"), 502,
                        "wechat_error"));
    }

    @ParameterizedTest(name = "WeChat keeps failing ({0}): logins fail fast with 503 and WeChat sees no calls")
    @MethodSource("wechatFaults")
    void whenWechatKeepsFailingLoginsFailFastWithoutCallingIt(String what, String appid, Reply fault, int status,
            String error) {
        for (int i = 0; i < MINIMUM_CALLS; i++) {
            assertError(loginScripted(appid, fault), status, error);
        }
        backends.wechat.resetCounters();

        List<Long> millis = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            String code = backends.newCode(appid);
            long start = System.nanoTime();
            Answer answer = gateway.loginTo(appid, code);
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            millis.add(took.toMillis());

            assertError(answer, 503, "wechat_unavailable");
            assertThat(took).as("time to answer with the breaker open").isLessThan(Timing.generous(TIMEOUT));
        }
        fastFailMillis.addAll(millis);
        assertThat(millis.stream().sorted().toList().get(millis.size() / 2)).as("median ms to answer, breaker open: %s",
                millis).isLessThan(Timing.generous(FAST).toMillis());
        assertThat(backends.wechat.calls()).as("calls to WeChat while the breaker is open").isZero();
        assertThat(breakerOpen(appid)).as("wechat_auth_circuit_breaker_open of %s", appid).isEqualTo(1);
    }

    @Test
    void afterOpenForLoginsSucceedAgainOnceWechatIsHealthy() {
        String appid = "wx_ff_recovery";
        for (int i = 0; i < MINIMUM_CALLS; i++) {
            assertError(loginScripted(appid, Reply.status(500)), 503, "wechat_unavailable");
        }
        long opened = System.nanoTime();
        backends.wechat.resetCounters();

        List<Answer> refused = new ArrayList<>();
        Answer answer = await("a login once the breaker lets a trial call through")
                .atMost(Timing.generous(Duration.ofSeconds(OPEN_FOR_SECONDS + 1)))
                .pollInSameThread().pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(100))
                .until(() -> gateway.loginTo(appid, backends.newCode(appid)), login -> {
                    if (login.status() == 503) {
                        refused.add(login);
                    }
                    return login.status() != 503;
                });
        Duration recoveredAfter = Duration.ofNanos(System.nanoTime() - opened);
        System.out.println("[measured] breaker open-for " + OPEN_FOR_SECONDS + " s: first success after "
                + recoveredAfter.toMillis() + " ms, " + refused.size() + " logins refused meanwhile");

        refused.forEach(login -> assertError(login, 503, "wechat_unavailable"));
        assertThat(answer.status()).as("a login once WeChat is healthy again: %s", answer).isEqualTo(200);
        assertThat(refused).as("logins refused while open").isNotEmpty();
        assertThat(recoveredAfter).as("time until logins succeed again")
                .isGreaterThanOrEqualTo(Duration.ofMillis(OPEN_FOR_SECONDS * 1000L - 300));
        assertThat(backends.wechat.calls()).as("calls to WeChat: only the trial call").isEqualTo(1);
        assertThat(gateway.loginTo(appid, backends.newCode(appid)).status())
                .as("the next login, breaker closed again").isEqualTo(200);
        assertThat(breakerOpen(appid)).as("wechat_auth_circuit_breaker_open of %s, closed again", appid).isZero();
    }

    @Test
    void errcodesAboutTheCodeOrTheUserNeverOpenTheBreaker() {
        String appid = "wx_ff_usererrors";
        List<String> codes = new ArrayList<>();
        for (int i = 0; i < 3 * WINDOW; i++) {
            boolean invalid = i % 2 == 0;
            String code = backends.newCode(appid);
            backends.wechat.script(code, Reply.errcode(invalid ? 40029 : 40226));
            codes.add(code);
            Answer answer = gateway.loginTo(appid, code);
            if (invalid) {
                assertError(answer, 401, "invalid_code");
            } else {
                assertError(answer, 403, "user_blocked");
            }
        }

        Answer healthy = gateway.loginTo(appid, backends.newCode(appid));

        assertThat(healthy.status()).as("a login after %d refusals about codes and users: %s", codes.size(), healthy)
                .isEqualTo(200);
        assertThat(codes).allSatisfy(code -> assertThat(backends.wechat.calls(code)).isEqualTo(1));
    }

    /**
     * Refused "at once": a login queued for a slot would reach WeChat once the hanging ones time out, so no call of
     * the third code proves it was refused, not queued.
     */
    @Test
    void withTheBoundOfLoginsInFlightFullAThirdConcurrentLoginIs503AtOnce() throws Exception {
        String appid = "wx_ff_inflight";
        List<String> hanging = new ArrayList<>();
        List<CompletableFuture<Answer>> inFlight = new ArrayList<>();
        for (int i = 0; i < MAX_IN_FLIGHT; i++) {
            String code = backends.newCode(appid);
            backends.wechat.script(code, Reply.hang());
            hanging.add(code);
            inFlight.add(CompletableFuture.supplyAsync(() -> gateway.loginTo(appid, code), clients));
        }
        await("the hanging logins in flight at WeChat").atMost(Timing.CI_MARGIN)
                .pollInterval(Duration.ofMillis(10))
                .until(() -> hanging.stream().mapToInt(backends.wechat::calls).sum() >= MAX_IN_FLIGHT);
        assertThat(hanging.stream().mapToInt(backends.wechat::calls).sum()).as("calls in flight at WeChat")
                .isEqualTo(MAX_IN_FLIGHT);
        assertThat(Scrape.of(gateway).value("wechat_auth_wechat_calls_in_flight", "api=code2session",
                "appid=" + appid)).as("wechat_auth_wechat_calls_in_flight").isEqualTo(MAX_IN_FLIGHT);
        String third = backends.newCode(appid);

        long start = System.nanoTime();
        Answer refused = gateway.loginTo(appid, third);
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertError(refused, 503, "wechat_unavailable");
        assertThat(took).as("time to refuse past the bound (a queued login would wait for the timeout)")
                .isLessThan(Timing.generous(TIMEOUT));
        assertThat(backends.wechat.calls(third)).as("calls to WeChat for the refused login").isZero();
        for (CompletableFuture<Answer> login : inFlight) {
            assertError(login.get(Http.DEFAULT_TIMEOUT.toSeconds(), TimeUnit.SECONDS), 504, "wechat_timeout");
        }
        assertThat(hanging.stream().mapToInt(backends.wechat::calls).sum() + backends.wechat.calls(third))
                .as("calls WeChat saw in all").isLessThanOrEqualTo(MAX_IN_FLIGHT);
        System.out.println("[measured] refusal past max-in-flight: " + took.toMillis() + " ms");
    }

    @Test
    void wechatsFrequencyLimitCarriesRetryAfterSixty() {
        Answer answer = loginScripted("wx_ff_frequency", Reply.errcode(45011));

        assertError(answer, 429, "rate_limited");
        assertThat(answer.headerValues("Retry-After")).containsExactly("60");
    }

    private static double breakerOpen(String appid) {
        return Scrape.of(gateway).value("wechat_auth_circuit_breaker_open", "api=code2session", "appid=" + appid);
    }

    private static Answer loginScripted(String appid, Reply reply) {
        String code = backends.newCode(appid);
        backends.wechat.script(code, reply);
        return gateway.loginTo(appid, code);
    }
}
