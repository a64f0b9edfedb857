package dev.wechatauth.contract;

import java.time.Duration;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

import dev.wechatauth.contract.FaultTraffic.Kind;

/**
 * One fault, start to end: waits until the gateway is healthy, measures the heap, runs steady traffic, injects the
 * fault for a few seconds, ends it, watches until every kind of request has recovered (or long enough to measure how
 * late it is), stops the traffic, measures the heap again and hands the samples to a {@link FaultReport}.
 */
final class FaultScenario {

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
    private Function<FaultBench, FaultTraffic> traffic = bench -> FaultTraffic.closedLoop(bench, THINK);
    private boolean judgeRecovery = true;
    private Duration servedFromMemory = Duration.ZERO;
    private Duration longestWatch = LONGEST_WATCH;

    private FaultScenario(String name) {
        this.name = name;
    }

    static FaultScenario named(String name) {
        return new FaultScenario(name);
    }

    /** The timeout that bounds every answer (the issue allows {@link FaultBench#SLACK} above it). */
    FaultScenario timeout(Duration timeout) {
        return timeout(EnumSet.allOf(Kind.class), timeout);
    }

    /** The timeout that bounds the answers to {@code kinds}. */
    FaultScenario timeout(Set<Kind> kinds, Duration timeout) {
        kinds.forEach(kind -> bounds.put(kind, timeout.plus(FaultBench.SLACK)));
        return this;
    }

    FaultScenario lasting(Duration duration) {
        this.faultFor = duration;
        return this;
    }

    /** The contract's answers ({@code "503 session_store_unavailable"}) that {@code kinds} may get because of the fault. */
    FaultScenario answers(Set<Kind> kinds, String... outcomes) {
        kinds.forEach(kind -> faultAnswers.put(kind, Set.of(outcomes)));
        return this;
    }

    /**
     * The fault wipes the sessions (a Redis without persistence, restarted): a token issued before it ends may be
     * 401 {@code invalid_token} once the store is back, never while it is away.
     */
    FaultScenario losingSessions() {
        this.losesSessions = true;
        return this;
    }

    FaultScenario inject(Runnable action) {
        this.inject = action;
        return this;
    }

    FaultScenario end(Runnable action) {
        this.end = action;
        return this;
    }

    /** The traffic to run (by default the closed-loop clients of {@link FaultTraffic#closedLoop}). */
    FaultScenario traffic(Function<FaultBench, FaultTraffic> start) {
        this.traffic = start;
        return this;
    }

    /**
     * Reports the recovery figure without holding it to the 5 s bound (the caller says why), and watches the traffic
     * at most {@code watch} after the fault.
     */
    /**
     * Authenticated requests may still succeed for {@code grace} after the fault starts: sessions are served from
     * the local cache until its heartbeat on the invalidation connection goes unanswered (about a second), which is
     * within the contract's one second for revocations to reach every instance.
     */
    FaultScenario servedFromMemoryFor(Duration grace) {
        this.servedFromMemory = grace;
        return this;
    }

    FaultScenario recoveryNotJudged(Duration watch) {
        this.judgeRecovery = false;
        this.longestWatch = watch;
        return this;
    }

    /** Runs the scenario and records its row in {@link FaultFigures}. */
    FaultReport run(FaultBench bench) {
        bench.awaitHealthy(Duration.ofSeconds(15));
        long heapBefore = FaultBench.heapAfterGc();
        FaultTraffic traffic = this.traffic.apply(bench);
        List<FaultTraffic.Sample> samples;
        long injectCalled;
        long faultStart;
        long faultEndCalled;
        long faultEnded;
        try {
            FaultBench.pause(WARM_UP);
            injectCalled = System.nanoTime();
            inject.run();
            faultStart = System.nanoTime();
            FaultBench.pause(faultFor);
            faultEndCalled = System.nanoTime();
            end.run();
            faultEnded = System.nanoTime();
            watchUntilRecovered(traffic, injectCalled, faultStart, faultEndCalled, faultEnded);
        } finally {
            samples = traffic.stop();
        }
        long heapAfter = FaultBench.heapAfterGc();
        FaultReport report = new FaultReport(name, faultAnswers, losesSessions, bounds, samples, traffic.sent(),
                injectCalled, faultStart, faultEndCalled, faultEnded, heapBefore, heapAfter, judgeRecovery, servedFromMemory);
        FaultFigures.add(report);
        return report;
    }

    private void watchUntilRecovered(FaultTraffic traffic, long injectCalled, long faultStart, long faultEndCalled,
            long faultEnded) {
        long giveUp = faultEnded + longestWatch.toNanos();
        while (true) {
            FaultBench.pause(Duration.ofMillis(100));
            long now = System.nanoTime();
            FaultReport sofar = new FaultReport(name, faultAnswers, losesSessions, bounds, traffic.snapshot(), -1,
                    injectCalled, faultStart, faultEndCalled, faultEnded, 0, 0, judgeRecovery, servedFromMemory);
            long recovered = sofar.recoveredAt();
            if (recovered > 0 && now - recovered >= AFTERWARDS.toNanos() && now - faultEnded >= AFTERWARDS.toNanos()) {
                return;
            }
            if (now - giveUp > 0) {
                return;
            }
        }
    }
}
