package dev.wechatauth.gateway.faults;

import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

import org.awaitility.core.ConditionTimeoutException;

import dev.wechatauth.gateway.faults.Traffic.Kind;

/**
 * One fault, start to end: waits until the gateway is healthy, measures the heap, runs steady traffic, injects the
 * fault for a few seconds, ends it, watches until every kind of request has recovered (or long enough to measure how
 * late it is), stops the traffic, measures the heap again and hands the samples to a {@link Report}.
 */
final class Scenario {

    /** How long traffic runs before the fault, so the figures start from a steady state. */
    static final Duration WARM_UP = Duration.ofMillis(600);
    /** Traffic goes on at least this long after the fault ends, and this long after recovery. */
    static final Duration AFTERWARDS = Duration.ofSeconds(1);
    /** How long to wait for a late recovery, to report its figure rather than only that it missed the bound. */
    static final Duration LONGEST_WATCH = Duration.ofSeconds(12);
    /** Think time of the closed-loop clients. */
    static final Duration THINK = Duration.ofMillis(50);

    private final String name;
    private final Map<Kind, Duration> bounds = new EnumMap<>(Kind.class);
    private Duration faultFor = Duration.ofSeconds(3);
    private final Map<Kind, Set<String>> faultAnswers = new EnumMap<>(Kind.class);
    private boolean losesSessions;
    private Runnable inject = () -> { };
    private Runnable end = () -> { };
    private Function<Bench, Traffic> traffic = bench -> Traffic.closedLoop(bench, THINK);
    private boolean judgeRecovery = true;
    private Duration servedFromMemory = Duration.ZERO;
    private Duration longestWatch = LONGEST_WATCH;

    private Scenario(String name) {
        this.name = name;
    }

    static Scenario named(String name) {
        return new Scenario(name);
    }

    /** The timeout that bounds every answer (the fault rules allow {@link Bench#SLACK} above it). */
    Scenario timeout(Duration timeout) {
        return timeout(EnumSet.allOf(Kind.class), timeout);
    }

    /** The timeout that bounds the answers to {@code kinds}. */
    Scenario timeout(Set<Kind> kinds, Duration timeout) {
        kinds.forEach(kind -> bounds.put(kind, timeout.plus(Bench.SLACK)));
        return this;
    }

    Scenario lasting(Duration duration) {
        this.faultFor = duration;
        return this;
    }

    /** The contract's answers ({@code "503 session_store_unavailable"}) that {@code kinds} may get because of the fault. */
    Scenario answers(Set<Kind> kinds, String... outcomes) {
        kinds.forEach(kind -> faultAnswers.put(kind, Set.of(outcomes)));
        return this;
    }

    /**
     * The fault wipes the sessions (a Redis without persistence, restarted): a token issued before it ends may be
     * 401 {@code invalid_token} once the store is back, never while it is away.
     */
    Scenario losingSessions() {
        this.losesSessions = true;
        return this;
    }

    Scenario inject(Runnable action) {
        this.inject = action;
        return this;
    }

    Scenario end(Runnable action) {
        this.end = action;
        return this;
    }

    /** The traffic to run (by default the closed-loop clients of {@link Traffic#closedLoop}). */
    Scenario traffic(Function<Bench, Traffic> start) {
        this.traffic = start;
        return this;
    }

    /**
     * Authenticated requests may still succeed for {@code grace} after the fault starts: sessions are served from
     * the local cache until its heartbeat on the invalidation connection goes unanswered (about a second), which is
     * within the contract's one second for revocations to reach every instance.
     */
    Scenario servedFromMemoryFor(Duration grace) {
        this.servedFromMemory = grace;
        return this;
    }

    /**
     * Reports the recovery figure without holding it to the 5 s bound (the caller says why), and watches the traffic
     * at most {@code watch} after the fault.
     */
    Scenario recoveryNotJudged(Duration watch) {
        this.judgeRecovery = false;
        this.longestWatch = watch;
        return this;
    }

    /** Runs the scenario and records its row in {@link Figures}. */
    Report run(Bench bench) {
        bench.awaitHealthy(Duration.ofSeconds(15));
        long heapBefore = Bench.heapAfterGc();
        Traffic traffic = this.traffic.apply(bench);
        List<Traffic.Sample> samples;
        long injectCalled;
        long faultStart;
        long faultEndCalled;
        long faultEnded;
        try {
            Bench.pause(WARM_UP);
            injectCalled = System.nanoTime();
            inject.run();
            faultStart = System.nanoTime();
            Bench.pause(faultFor);
            faultEndCalled = System.nanoTime();
            end.run();
            faultEnded = System.nanoTime();
            watchUntilRecovered(traffic, injectCalled, faultStart, faultEndCalled, faultEnded);
        } finally {
            samples = traffic.stop();
        }
        long heapAfter = Bench.heapAfterGc();
        Report report = new Report(name, faultAnswers, losesSessions, bounds, samples, traffic.sent(),
                injectCalled, faultStart, faultEndCalled, faultEnded, heapBefore, heapAfter, judgeRecovery, servedFromMemory);
        Figures.add(report);
        return report;
    }

    /**
     * Watches the traffic until every kind of request has recovered and {@link #AFTERWARDS} has passed since then and
     * since the fault's end, or until the longest watch is over: a late recovery is measured, not failed on, here.
     */
    private void watchUntilRecovered(Traffic traffic, long injectCalled, long faultStart, long faultEndCalled,
            long faultEnded) {
        Duration watched = Duration.ofNanos(System.nanoTime() - faultEnded);
        try {
            await(name + " recovered").atMost(longestWatch.minus(watched).isNegative() ? Duration.ofMillis(1)
                            : longestWatch.minus(watched))
                    .pollInSameThread().pollInterval(Duration.ofMillis(100))
                    .until(() -> {
                        long now = System.nanoTime();
                        long recovered = new Report(name, faultAnswers, losesSessions, bounds, traffic.snapshot(), -1,
                                injectCalled, faultStart, faultEndCalled, faultEnded, 0, 0, judgeRecovery,
                                servedFromMemory).recoveredAt();
                        return recovered > 0 && now - recovered >= AFTERWARDS.toNanos()
                                && now - faultEnded >= AFTERWARDS.toNanos();
                    });
        } catch (ConditionTimeoutException notRecovered) {
            // the report says how late, or that it never recovered while watched
        }
    }
}
