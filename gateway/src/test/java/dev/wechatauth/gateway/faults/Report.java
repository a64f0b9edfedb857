package dev.wechatauth.gateway.faults;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import dev.wechatauth.gateway.faults.Traffic.Kind;
import dev.wechatauth.gateway.faults.Traffic.Sample;
import dev.wechatauth.gateway.rig.Answer;
import dev.wechatauth.gateway.rig.Timing;
import org.assertj.core.api.SoftAssertions;

/**
 * What one fault did to the traffic, judged by the fault rules:
 * <ul>
 *   <li>no 500, and every request answered (a dropped connection is a failure too);</li>
 *   <li>every answer is 200 or, once the fault began, one of the contract's answers for this fault; a request sent
 *       after the fault began and answered before it ended gets that answer, never a 200 (the fault was real);</li>
 *   <li>every answer within the fault's timeout + 500 ms;</li>
 *   <li>full recovery within 5 s of the fault ending: for each kind of request, the first success after which every
 *       request sent is a success, at most 5 s after the end;</li>
 *   <li>heap in use after GC at most 64 MB more after the fault than before it.</li>
 * </ul>
 * The two bounds in time are figures: the report shows where they were missed, and a test fails only on an answer
 * slower than its bound and {@linkplain Timing#CI_MARGIN a margin} for a busy machine, or on no recovery while
 * watched. All times are {@link System#nanoTime()} instants.
 */
final class Report {

    static final Duration RECOVERY_BOUND = Duration.ofSeconds(5);
    static final long HEAP_GROWTH_BOUND = 64L * 1024 * 1024;
    /** Requests sent this soon after the fault began may still have met the system before it. */
    private static final long GRACE = TimeUnit.MILLISECONDS.toNanos(100);
    private static final String OK = "200";

    /** One broken rule, with an example; a rule in time ({@code figure}) is reported, never failed on. */
    record Violation(String rule, String example, boolean figure) {

        Violation(String rule, String example) {
            this(rule, example, false);
        }
    }

    final String name;
    private final Map<Kind, Set<String>> faultAnswers;
    private final boolean losesSessions;
    final Map<Kind, Duration> bounds;
    final List<Sample> samples;
    private final long sent;
    final long injectCalled;
    final long faultStart;
    final long faultEndCalled;
    final long faultEnded;
    final long heapBefore;
    final long heapAfter;
    final boolean judgeRecovery;
    /** How long after the fault starts cached sessions may still be served (see Scenario#servedFromMemoryFor). */
    private final long servedFromMemory;

    /**
     * @param sent how many requests were sent, or -1 when every one is in {@code samples} (closed loop)
     * @param injectCalled when injecting the fault began
     * @param faultStart when injecting it was done (the fault was surely in force from then on)
     * @param faultEndCalled when ending the fault began (the fault was fully in force until then)
     * @param faultEnded when ending the fault was done (Redis back up, scripts cleared): recovery counts from here
     */
    Report(String name, Map<Kind, Set<String>> faultAnswers, boolean losesSessions, Map<Kind, Duration> bounds,
            List<Sample> samples, long sent, long injectCalled, long faultStart, long faultEndCalled, long faultEnded,
            long heapBefore, long heapAfter, boolean judgeRecovery, Duration servedFromMemory) {
        this.name = name;
        this.faultAnswers = faultAnswers;
        this.losesSessions = losesSessions;
        this.bounds = bounds;
        this.samples = samples.stream().sorted(Comparator.comparingLong(Sample::start)).toList();
        this.sent = sent;
        this.injectCalled = injectCalled;
        this.faultStart = faultStart;
        this.faultEndCalled = faultEndCalled;
        this.faultEnded = faultEnded;
        this.heapBefore = heapBefore;
        this.heapAfter = heapAfter;
        this.judgeRecovery = judgeRecovery;
        this.servedFromMemory = servedFromMemory.toNanos();
    }

    // ---- the rules ----

    /** A success, or the answer a lost session deserves once the store is back. */
    boolean healthy(Sample sample) {
        return sample.reply().status() == 200 || lostSession(sample);
    }

    private boolean lostSession(Sample sample) {
        return losesSessions && sample.tokenIssued() != 0 && sample.tokenIssued() < faultEnded
                && sample.end() >= faultEndCalled && sample.reply().outcome().equals("401 invalid_token");
    }

    /** Tokens that stopped working because the fault wiped their sessions (answered 401 once the store was back). */
    long lostSessions() {
        return samples.stream().filter(this::lostSession).count();
    }

    private boolean allowed(Sample sample) {
        String outcome = sample.reply().outcome();
        if (outcome.equals(OK) || lostSession(sample)) {
            return true;
        }
        return sample.end() >= injectCalled && faultAnswers.getOrDefault(sample.kind(), Set.of()).contains(outcome);
    }

    /** An authenticated success sent while the local session cache may still serve (before its heartbeat fails). */
    private boolean servedFromMemory(Sample sample) {
        return (sample.kind() == Kind.REQUIRED || sample.kind() == Kind.OPTIONAL)
                && sample.start() < faultStart + servedFromMemory;
    }

    /** Sent once the fault was in force and answered before it ended. */
    private boolean withinFault(Sample sample) {
        return sample.start() >= faultStart + GRACE && sample.end() < faultEndCalled;
    }

    /** Overlapping the fault at all. */
    private boolean duringFault(Sample sample) {
        return sample.start() < faultEnded && sample.end() >= injectCalled;
    }

    List<Violation> violations() {
        List<Violation> found = new ArrayList<>();
        for (Sample sample : samples) {
            Duration bound = bounds.get(sample.kind());
            Answer reply = sample.reply();
            String example = describe(sample);
            if (reply.status() < 0) {
                found.add(new Violation("no answer", example + ": " + reply.failure()));
                continue;
            }
            if (reply.status() == 500) {
                found.add(new Violation("a 500", example));
            }
            if (!reply.isJsonWhereAnError()) {
                found.add(new Violation("an error that is not JSON", example));
            }
            if (sample.end() - sample.start() > bound.toNanos()) {
                found.add(new Violation("slower than the bound", example + " > " + bound.toMillis() + " ms", true));
            }
            if (sample.end() - sample.start() > Timing.generous(bound).toNanos()) {
                found.add(new Violation("slower than the bound and the CI margin",
                        example + " > " + Timing.generous(bound).toMillis() + " ms"));
            }
            if (!allowed(sample)) {
                found.add(new Violation("not the contract's answer to this fault", example));
            }
            if (withinFault(sample) && faultAnswers.containsKey(sample.kind()) && reply.status() == 200
                    && !servedFromMemory(sample)) {
                found.add(new Violation("a 200 while the fault was in force", example));
            }
        }
        if (sent >= 0 && sent != samples.size()) {
            found.add(new Violation("requests never answered",
                    (sent - samples.size()) + " of " + sent + " got no answer within "
                            + 2 * Bench.GIVE_UP_AFTER.toSeconds() + " s"));
        }
        for (Kind kind : faultAnswers.keySet()) {
            if (kinds().contains(kind) && samples.stream().noneMatch(s -> s.kind() == kind
                    && s.start() < faultEndCalled && s.end() >= injectCalled
                    && faultAnswers.get(kind).contains(s.reply().outcome()))) {
                found.add(new Violation("the fault did not show", kind + " sent before the fault ended never got "
                        + faultAnswers.get(kind)));
            }
        }
        return found;
    }

    /** When the slowest kind of request recovered: -1 while one has not. */
    long recoveredAt() {
        long latest = faultEnded;
        for (Kind kind : kinds()) {
            long at = recoveredAt(kind);
            if (at < 0) {
                return -1;
            }
            latest = Math.max(latest, at);
        }
        return latest;
    }

    /** The answer of the first success sent after the fault ended and after the last failure sent then; -1 if none. */
    private long recoveredAt(Kind kind) {
        long lastFailure = faultEnded - 1;
        for (Sample sample : samples) {
            if (sample.kind() == kind && sample.start() >= faultEnded && !healthy(sample)) {
                lastFailure = Math.max(lastFailure, sample.start());
            }
        }
        long first = -1;
        for (Sample sample : samples) {
            if (sample.kind() == kind && sample.start() > lastFailure && healthy(sample)
                    && (first < 0 || sample.end() < first)) {
                first = sample.end();
            }
        }
        return first;
    }

    /** Milliseconds from the fault's end to full recovery, -1 when it did not recover while watched. */
    long recoveryMillis() {
        long at = recoveredAt();
        return at < 0 ? -1 : TimeUnit.NANOSECONDS.toMillis(at - faultEnded);
    }

    Set<Kind> kinds() {
        Set<Kind> kinds = EnumSet.noneOf(Kind.class);
        samples.forEach(sample -> kinds.add(sample.kind()));
        return kinds;
    }

    /** Answers overlapping the fault, by outcome. */
    Map<String, Long> outcomesDuringFault() {
        return new TreeMap<>(samples.stream().filter(this::duringFault)
                .collect(Collectors.groupingBy(s -> s.reply().outcome(), Collectors.counting())));
    }

    long maxLatencyDuringFault() {
        return samples.stream().filter(this::duringFault).mapToLong(Sample::latencyMillis).max().orElse(0);
    }

    /** The slowest exchange overlapping the fault, described, or {@code "none"}. */
    String slowestDuringFault() {
        return samples.stream().filter(this::duringFault).max(Comparator.comparingLong(Sample::latencyMillis))
                .map(this::describe).orElse("none");
    }

    long maxLatencyAfterFault() {
        return samples.stream().filter(s -> s.start() >= faultEnded).mapToLong(Sample::latencyMillis).max().orElse(0);
    }

    long faultMillis() {
        return TimeUnit.NANOSECONDS.toMillis(faultEnded - injectCalled);
    }

    /**
     * Every rule at once, so that one failing rule does not hide the others; the bounds in time with
     * {@linkplain Timing#CI_MARGIN a margin} (see the class comment).
     */
    void assertMeetsTheRules() {
        Map<String, List<Violation>> byRule = new LinkedHashMap<>();
        violations().stream().filter(v -> !v.figure())
                .forEach(v -> byRule.computeIfAbsent(v.rule(), rule -> new ArrayList<>()).add(v));
        SoftAssertions soft = new SoftAssertions();
        byRule.forEach((rule, list) -> soft.fail("%s: %d × %s, e.g. %s", name, list.size(), rule,
                list.stream().limit(3).map(Violation::example).toList()));
        if (judgeRecovery) {
            soft.assertThat(recoveryMillis()).as("%s: ms from the fault's end to full recovery (-1: none while watched,"
                    + " %d s)", name, Scenario.LONGEST_WATCH.toSeconds()).isNotNegative();
        }
        soft.assertThat(heapAfter - heapBefore).as("%s: heap growth after GC, bytes", name)
                .isLessThanOrEqualTo(HEAP_GROWTH_BOUND);
        soft.assertAll();
    }

    /** A failing rule per entry, counted, as the figures table shows them; empty when the fault passed. */
    List<String> failures() {
        List<String> failures = counted(violations().stream().filter(v -> !v.figure()).toList());
        if (judgeRecovery && recoveryMillis() < 0) {
            failures.add("no recovery while watched");
        }
        if (heapAfter - heapBefore > HEAP_GROWTH_BOUND) {
            failures.add("heap +" + mb(heapAfter - heapBefore) + " MB");
        }
        return failures;
    }

    /** The bounds in time missed, counted, as the figures table shows them; never a failure. */
    List<String> overBounds() {
        List<String> over = counted(violations().stream().filter(Violation::figure).toList());
        long recovery = recoveryMillis();
        if (judgeRecovery && recovery > RECOVERY_BOUND.toMillis()) {
            over.add("recovery " + recovery + " ms > " + RECOVERY_BOUND.toMillis() + " ms");
        }
        return over;
    }

    private static List<String> counted(List<Violation> violations) {
        List<String> counted = new ArrayList<>();
        violations.stream()
                .collect(Collectors.groupingBy(Violation::rule, LinkedHashMap::new, Collectors.counting()))
                .forEach((rule, count) -> counted.add(count + " × " + rule));
        return counted;
    }

    /** How many requests were sent. */
    long requests() {
        return sent >= 0 ? sent : samples.size();
    }

    /** Milliseconds from the start of the fault's injection to {@code instant}. */
    long sinceInjection(long instant) {
        return TimeUnit.NANOSECONDS.toMillis(instant - injectCalled);
    }

    String describe(Sample sample) {
        return sample.kind() + " sent at " + relative(sample.start()) + " → " + sample.reply().outcome() + " in "
                + sample.latencyMillis() + " ms";
    }

    /** {@code "fault+1234ms"} (from when injecting it began) or {@code "end+56ms"}, the clearer of the two. */
    private String relative(long instant) {
        return instant < faultEnded
                ? "fault" + signed(instant - injectCalled)
                : "end" + signed(instant - faultEnded);
    }

    private static String signed(long nanos) {
        long millis = TimeUnit.NANOSECONDS.toMillis(nanos);
        return (millis >= 0 ? "+" : "") + millis + "ms";
    }

    static long mb(long bytes) {
        return Math.round(bytes / (1024.0 * 1024.0));
    }
}
