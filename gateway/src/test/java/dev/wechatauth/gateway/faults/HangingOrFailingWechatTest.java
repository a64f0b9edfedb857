package dev.wechatauth.gateway.faults;

import static dev.wechatauth.gateway.faults.Traffic.Kind.LOGIN;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

import dev.wechatauth.gateway.rig.Answer;
import dev.wechatauth.gateway.rig.Backends;
import dev.wechatauth.gateway.rig.Http;
import dev.wechatauth.gateway.rig.Timing;
import dev.wechatauth.gateway.rig.WechatUser;
import dev.wechatauth.testkit.Reply;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Fault injection, WeChat's code2Session (the stand-in, scripted for every request): hanging, answering HTTP 500,
 * slow but within {@code wechat.auth.timeout} (2 s here), and a crowd of logins while it hangs. Logins get 504
 * {@code wechat_timeout} or 503 {@code wechat_unavailable} within the timeout + 500 ms, the failing-fast breaker turns
 * a WeChat answering 500 into fast 503s, the in-flight bound refuses logins beyond it at once; nothing else is
 * disturbed, and logins succeed again within 5 s of WeChat answering again. The bounds in time are held exactly in
 * the figures, and with {@linkplain Timing#CI_MARGIN a margin} for a busy machine in the tests.
 */
class HangingOrFailingWechatTest {

    private static Bench bench;

    @BeforeAll
    static void bench() {
        bench = Bench.get();
    }

    @AfterEach
    void wechatAnswersAgain() {
        bench.backends.wechat.clearScripts();
    }

    @AfterAll
    static void printFigures() {
        Figures.print();
    }

    @Test
    void aHangingWechatIsAnsweredAtItsTimeoutAndHealsWithinFiveSeconds() {
        Scenario.named("WeChat hanging (never answers)")
                .timeout(Bench.WECHAT_TIMEOUT)
                .answers(EnumSet.of(LOGIN), "504 wechat_timeout", "503 wechat_unavailable")
                .inject(() -> bench.backends.wechat.scriptAll(Reply.hang()))
                .end(bench.backends.wechat::clearScripts)
                .run(bench)
                .assertMeetsTheRules();
    }

    /**
     * The contract's failing fast: once half of the last 20 calls failed (10 at least), logins are 503 at once and
     * WeChat is no longer called; after the breaker's open time (10 s by default) a few trial calls close it again.
     */
    @Test
    void aWechatAnswering500IsFast503sOnceTheBreakerOpensAndHealsWithinFiveSecondsOfItsOpenPeriod() {
        AtomicInteger wechatCalls = new AtomicInteger();
        Report report = Scenario.named("WeChat answering HTTP 500")
                .timeout(Bench.WECHAT_TIMEOUT)
                .answers(EnumSet.of(LOGIN), "503 wechat_unavailable")
                .recoveryNotJudged(Duration.ofSeconds(20))
                .inject(() -> {
                    bench.backends.wechat.resetCounters();
                    bench.backends.wechat.scriptAll(Reply.status(500));
                })
                .end(() -> {
                    wechatCalls.set(bench.backends.wechat.calls());
                    bench.backends.wechat.clearScripts();
                })
                .run(bench);
        long loginsInFault = report.samples.stream().filter(s -> s.kind() == LOGIN
                && s.start() >= report.faultStart && s.start() < report.faultEndCalled).count();
        Figures.note("WeChat answering 500: " + loginsInFault + " logins sent during the fault, "
                + wechatCalls.get() + " of them reached WeChat (the rest were refused by the open breaker).");

        assertThat((long) wechatCalls.get()).as("calls that reached WeChat: the breaker opened and spared it")
                .isLessThan(loginsInFault);
        report.assertMeetsTheRules();
        // The contract keeps the breaker open for 10 s once it opens, so logins cannot recover within 5 s of the
        // fault's end when the fault is shorter than that: recovery counts from the end of the open period.
        long opened = report.samples.stream()
                .filter(s -> s.kind() == LOGIN && s.reply().outcome().equals("503 wechat_unavailable"))
                .mapToLong(Traffic.Sample::start).min().orElseThrow();
        long trialsAllowed = Math.max(report.faultEnded, opened + BREAKER_OPEN_FOR.toNanos());
        long recovered = report.recoveredAt();
        assertThat(recovered).as("recovered while watched").isPositive();
        assertThat(Duration.ofNanos(recovered - trialsAllowed))
                .as("from the end of the breaker's open period to full recovery")
                .isLessThanOrEqualTo(Timing.generous(Report.RECOVERY_BOUND));
        Figures.note("WeChat answering 500: recovered " + Duration.ofNanos(recovered - trialsAllowed).toMillis()
                + " ms after the breaker's 10 s open period ended ("
                + Duration.ofNanos(recovered - report.faultEnded).toMillis() + " ms after the fault ended).");
    }

    /** The contract's default: the breaker stays open 10 s. */
    private static final Duration BREAKER_OPEN_FOR = Duration.ofSeconds(10);

    @Test
    void aSlowWechatWithinItsTimeoutGivesSuccessesOnly() {
        Duration wechatTakes = Duration.ofSeconds(1);
        WechatUser user = bench.backends.newUser();
        Report report = Scenario.named("WeChat slow (" + wechatTakes.toMillis() + " ms, timeout "
                        + Bench.WECHAT_TIMEOUT.toMillis() + " ms)")
                .timeout(Bench.WECHAT_TIMEOUT)
                .inject(() -> bench.backends.wechat.scriptAll(Reply.delayed(wechatTakes,
                        Reply.body(user.code2SessionReply()))))
                .end(bench.backends.wechat::clearScripts)
                .run(bench);

        long fastest = report.samples.stream().filter(s -> s.kind() == LOGIN && s.start() >= report.faultStart
                && s.end() < report.faultEndCalled).mapToLong(Traffic.Sample::latencyMillis).min().orElse(-1);
        assertThat(fastest).as("the slowness was real: the fastest login sent and answered during it, ms")
                .isGreaterThanOrEqualTo(wechatTakes.toMillis());
        report.assertMeetsTheRules();
    }

    /**
     * Twice the in-flight bound of logins at once, on the second mini-program (each has its own bound and
     * breaker), while WeChat hangs: at most the bound reach WeChat and wait for its timeout; every other login is
     * refused with 503 {@code wechat_unavailable} at once (within 500 ms in the figures). That the refused ones did not
     * wait is shown by WeChat's call count: a login queued for a slot would have reached it once a slot was free.
     */
    @Test
    void loginsBeyondTheInFlightBoundAreRefusedAtOnceWhileWechatHangs() {
        int crowd = 2 * Bench.MAX_IN_FLIGHT;
        bench.awaitHealthy(Duration.ofSeconds(15));
        List<String> codes = new ArrayList<>();
        for (int i = 0; i < crowd; i++) {
            codes.add(bench.backends.newCode(Backends.SECOND_APPID));
        }
        long heapBefore = Bench.heapAfterGc();
        bench.backends.wechat.resetCounters();
        bench.backends.wechat.scriptAll(Reply.hang());

        List<CompletableFuture<long[]>> answers = new ArrayList<>();
        List<Answer> replies = new ArrayList<>();
        long start = System.nanoTime();
        for (String code : codes) {
            long sent = System.nanoTime();
            answers.add(Http.inBackground(() -> bench.client.loginTo(Backends.SECOND_APPID, code)).thenApply(reply -> {
                synchronized (replies) {
                    replies.add(reply);
                }
                return new long[] {reply.status(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sent)};
            }));
        }
        CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new)).join();
        long allAnsweredMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        int reachedWechat = bench.backends.wechat.calls();
        bench.backends.wechat.clearScripts();
        long heapAfter = Bench.heapAfterGc();

        List<String> outcomes = replies.stream().map(Answer::outcome).toList();
        long refusedMax = 0;
        long waitedMax = 0;
        for (int i = 0; i < answers.size(); i++) {
            long[] answer = answers.get(i).join();
            if (answer[0] == 503) {
                refusedMax = Math.max(refusedMax, answer[1]);
            } else {
                waitedMax = Math.max(waitedMax, answer[1]);
            }
        }
        Map<String, Long> byOutcome = new TreeMap<>(outcomes.stream()
                .collect(Collectors.groupingBy(outcome -> outcome, Collectors.counting())));
        long timedOut = byOutcome.getOrDefault("504 wechat_timeout", 0L);
        long refused = byOutcome.getOrDefault("503 wechat_unavailable", 0L);
        Duration refusedBound = Bench.SLACK;
        Duration waitedBound = Bench.WECHAT_TIMEOUT.plus(Bench.SLACK);
        boolean pass = reachedWechat <= Bench.MAX_IN_FLIGHT && timedOut + refused == crowd;
        List<String> overBounds = new ArrayList<>();
        if (refusedMax > refusedBound.toMillis()) {
            overBounds.add("a refusal in " + refusedMax + " ms");
        }
        if (waitedMax > waitedBound.toMillis()) {
            overBounds.add("a timeout in " + waitedMax + " ms");
        }
        Figures.addRow("| WeChat hanging, " + crowd + " logins at once (in-flight bound " + Bench.MAX_IN_FLIGHT
                + ") | all answered in " + allAnsweredMillis + " ms | " + crowd + " | "
                + byOutcome.entrySet().stream().map(e -> e.getKey() + " ×" + e.getValue())
                        .collect(Collectors.joining(", "))
                + "; " + reachedWechat + " reached WeChat | 503s: " + refusedMax + ", 504s: " + waitedMax + " | 503s: "
                + refusedBound.toMillis() + ", 504s: " + waitedBound.toMillis() + " | – | " + Report.mb(heapBefore)
                + " → " + Report.mb(heapAfter) + " | "
                + Figures.result(pass ? List.of() : List.of("see the outcomes"), overBounds) + " |");

        SoftAssertions soft = new SoftAssertions();
        soft.assertThat(outcomes).as("every login is a timeout at WeChat or refused").allMatch(
                outcome -> outcome.equals("504 wechat_timeout") || outcome.equals("503 wechat_unavailable"));
        soft.assertThat(reachedWechat).as("calls that reached WeChat").isLessThanOrEqualTo(Bench.MAX_IN_FLIGHT);
        soft.assertThat(timedOut).as("logins that waited for WeChat").isLessThanOrEqualTo(Bench.MAX_IN_FLIGHT);
        soft.assertThat(refused).as("logins refused beyond the bound").isGreaterThanOrEqualTo(
                crowd - Bench.MAX_IN_FLIGHT);
        soft.assertThat(refusedMax).as("ms to refuse a login beyond the bound")
                .isLessThanOrEqualTo(Timing.generous(refusedBound).toMillis());
        soft.assertThat(waitedMax).as("ms to answer a login that waited for WeChat")
                .isLessThanOrEqualTo(Timing.generous(waitedBound).toMillis());
        soft.assertThat(heapAfter - heapBefore).as("heap growth after GC, bytes")
                .isLessThanOrEqualTo(Report.HEAP_GROWTH_BOUND);
        soft.assertAll();
    }
}
