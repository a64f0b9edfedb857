package dev.wechatauth.bench.soak;

import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.zip.GZIPOutputStream;

import dev.wechatauth.bench.soak.Call.Kind;
import dev.wechatauth.bench.soak.MemorySampler.Sample;

/**
 * What the soak saw, judged against its goals (zero lost sessions, zero 500s, errors only within the fault windows,
 * no growth of heap after GC), and written as {@code RESULTS-soak.md}, {@code soak-timeline.csv} (one line a second),
 * {@code soak-timeline.png} ({@link SoakChart}) and {@code soak-requests.csv.gz} (every request).
 */
final class SoakReport {

    /** Heap after GC grows when the tail's is above the steady state before the faults by more than this. */
    static final long GROWTH_ALLOWANCE_BYTES = 8L << 20;
    static final double GROWTH_ALLOWANCE_RATIO = 0.10;

    /** Errors of one kind, status and code, in one window. */
    record ErrorGroup(Kind kind, int status, String error, String window, int count, double first, double last) {
    }

    /** Heap after GC of one gateway: before the faults, at the end, and whether that is growth. */
    record HeapTrend(String gateway, List<Sample> afterGc, long before, long end, boolean grows) {
    }

    private final SoakPlan plan;
    private final Soak.Options options;
    private final Instant began;
    private final long beganNanos;
    private final long t0;
    private final long t1;
    private final Duration setup;
    private final Map<String, Integer> setupAnswers;
    private final List<Call> calls;
    private final List<Traffic.Logout> logouts;
    private final Traffic.Checked checked;
    private final List<Sessions.Rejection> rejections;
    private final List<Sample> samples;
    private final List<FaultWindow> faults;
    private final List<String> events;
    private final long skipped;
    private final long redisKeys;
    private final List<List<String>> gatewayErrorLines;

    SoakReport(SoakPlan plan, Soak.Options options, Instant began, long beganNanos, long t0, long t1, Duration setup,
            Map<String, Integer> setupAnswers, List<Call> calls, List<Traffic.Logout> logouts, Traffic.Checked checked,
            List<Sessions.Rejection> rejections, List<Sample> samples, List<FaultWindow> faults, List<String> events,
            long skipped, long redisKeys, List<List<String>> gatewayErrorLines) {
        this.plan = plan;
        this.options = options;
        this.began = began;
        this.beganNanos = beganNanos;
        this.t0 = t0;
        this.t1 = t1;
        this.setup = setup;
        this.setupAnswers = setupAnswers;
        this.calls = calls.stream().sorted(Comparator.comparingLong(Call::start)).toList();
        this.logouts = logouts;
        this.checked = checked;
        this.rejections = rejections;
        this.samples = samples;
        this.faults = faults;
        this.events = events;
        this.skipped = skipped;
        this.redisKeys = redisKeys;
        this.gatewayErrorLines = gatewayErrorLines;
    }

    // ---- the findings ----

    /** The window a call falls in: a fault's name, else outside the faults (or, after the traffic, the checks). */
    String window(Call call) {
        for (FaultWindow fault : faults) {
            if (fault.covers(call)) {
                return fault.name();
            }
        }
        return call.start() >= t1 ? "after the traffic (checks)" : "outside the fault windows";
    }

    List<ErrorGroup> errorGroups() {
        Map<String, List<Call>> groups = new TreeMap<>();
        for (Call call : calls) {
            if (call.failed()) {
                String key = call.kind() + "\t" + call.status() + "\t" + call.error() + "\t" + window(call);
                groups.computeIfAbsent(key, k -> new ArrayList<>()).add(call);
            }
        }
        List<ErrorGroup> result = new ArrayList<>();
        groups.forEach((key, group) -> {
            Call first = group.get(0);
            double last = group.stream().mapToLong(Call::end).max().orElse(first.end());
            result.add(new ErrorGroup(first.kind(), first.status(), first.error(), window(first), group.size(),
                    seconds(first.start()), seconds((long) last)));
        });
        return result;
    }

    long serverErrors500() {
        return calls.stream().filter(call -> call.status() == 500).count();
    }

    long errorsOutsideFaults() {
        return calls.stream().filter(Call::failed).filter(call -> window(call).startsWith("outside")
                || window(call).startsWith("after")).count();
    }

    /** Sessions found lost, with the time each was first refused during the traffic (if it was). */
    Map<Integer, Sessions.Rejection> lostSessions() {
        Map<Integer, Sessions.Rejection> lost = new TreeMap<>();
        Set<Integer> lostIds = new HashSet<>(checked.lost());
        for (Sessions.Rejection rejection : rejections) {
            if (lostIds.contains(rejection.token())) {
                lost.putIfAbsent(rejection.token(), rejection);
            }
        }
        for (int id : checked.lost()) {
            lost.putIfAbsent(id, null);
        }
        return lost;
    }

    /** 401s to live sessions during the traffic for sessions that work again at the end. */
    List<Sessions.Rejection> transientRefusals() {
        Set<Integer> lost = new HashSet<>(checked.lost());
        return rejections.stream().filter(rejection -> !lost.contains(rejection.token())).toList();
    }

    List<HeapTrend> heapTrends() {
        List<HeapTrend> trends = new ArrayList<>();
        long firstFault = faults.isEmpty() ? t1 : faults.get(0).start();
        for (int instance = 0; instance < 2; instance++) {
            int which = instance;
            List<Sample> afterGc = samples.stream()
                    .filter(sample -> sample.instance() == which && sample.afterFullGc() && sample.heapUsed() > 0)
                    .toList();
            List<Long> before = afterGc.stream().filter(sample -> sample.at() < firstFault).map(Sample::heapUsed)
                    .toList();
            // the first forced GC comes while the JIT and the caches still fill: the steady state is the later ones
            long steady = before.size() > 1 ? median(before.subList(1, before.size()))
                    : before.isEmpty() ? -1 : before.get(0);
            // under traffic, as before the faults (the last forced GC, after the traffic, finds less in flight)
            List<Long> tail = afterGc.stream().filter(sample -> sample.at() < t1).map(Sample::heapUsed).toList();
            long end = tail.isEmpty() ? -1 : median(tail.subList(Math.max(0, tail.size() - 2), tail.size()));
            boolean grows = steady > 0 && end > steady + Math.max(GROWTH_ALLOWANCE_BYTES,
                    (long) (steady * GROWTH_ALLOWANCE_RATIO));
            trends.add(new HeapTrend(Call.instanceName(instance), afterGc, steady, end, grows));
        }
        return trends;
    }

    List<Duration> propagations() {
        return logouts.stream().filter(logout -> logout.propagation() != null).map(Traffic.Logout::propagation)
                .sorted().toList();
    }

    // ---- writing ----

    void write(Path directory) throws IOException {
        Files.writeString(directory.resolve("RESULTS-soak.md"), markdown());
        Files.writeString(directory.resolve("soak-timeline.csv"), timelineCsv());
        SoakChart.write(this, directory.resolve("soak-timeline.png"));
        try (Writer out = new OutputStreamWriter(new GZIPOutputStream(
                Files.newOutputStream(directory.resolve("soak-requests.csv.gz"))), StandardCharsets.UTF_8)) {
            out.write("start_ms,duration_ms,kind,gateway,status,error,session\n");
            for (Call call : calls) {
                out.write(String.format(Locale.ROOT, "%.1f,%.1f,%s,%s,%d,%s,%d%n", (call.start() - t0) / 1e6,
                        (call.end() - call.start()) / 1e6, call.kind(), Call.instanceName(call.instance()),
                        call.status(), call.error().replace(',', ' '), call.token()));
            }
        }
    }

    String summary() {
        StringBuilder out = new StringBuilder();
        if (plan.smokeRun()) {
            out.append("SMOKE RUN: small numbers, short phases; not a measurement\n");
        }
        out.append(String.format(Locale.ROOT, "soak: %d requests in %.0f s on 2 gateways; faults: %s%n", calls.size(),
                seconds(t1), faultsInOneLine()));
        goals().forEach((goal, verdict) -> out.append("  ").append(goal).append(": ").append(verdict).append('\n'));
        out.append("  logout propagation (B after A, A after B): ").append(percentiles(propagations())).append('\n');
        for (HeapTrend trend : heapTrends()) {
            out.append(String.format(Locale.ROOT, "  gateway %s heap after full GC: %s before the faults, %s at the end"
                    + "; RSS max %s%n", trend.gateway(), mb(trend.before()), mb(trend.end()),
                    mb(maxRss(trend.gateway().equals("A") ? 0 : 1))));
        }
        out.append("wrote ").append(options.out.resolve("RESULTS-soak.md")).append(", soak-timeline.png, ")
                .append("soak-timeline.csv, soak-requests.csv.gz");
        return out.toString();
    }

    /** Each goal and whether it was met. */
    Map<String, String> goals() {
        Map<String, String> goals = new LinkedHashMap<>();
        int lost = lostSessions().size();
        goals.put("zero lost sessions", verdict(lost == 0, lost + " lost of " + checked.live() + " live"));
        long errors500 = serverErrors500();
        goals.put("zero 500s", verdict(errors500 == 0, errors500 + " answered 500"));
        long outside = errorsOutsideFaults();
        goals.put("errors only within the fault windows", verdict(outside == 0, outside + " errors outside"));
        List<HeapTrend> trends = heapTrends();
        boolean measured = trends.stream().allMatch(trend -> trend.before() > 0 && trend.end() > 0);
        boolean grows = trends.stream().anyMatch(HeapTrend::grows);
        goals.put("no growth in heap after GC", !measured
                ? "not measured (no heap after a full GC before the first fault, or at the end: jcmd missing?)"
                : verdict(!grows, trends.stream().map(trend -> trend.gateway() + " " + mb(trend.before()) + " → "
                        + mb(trend.end())).reduce((x, y) -> x + ", " + y).orElse("")));
        return goals;
    }

    private static String verdict(boolean met, String detail) {
        return (met ? "met" : "**not met**") + " (" + detail + ")";
    }

    private String markdown() {
        StringBuilder md = new StringBuilder();
        md.append("# wechat-auth-gateway soak: load held under Redis faults\n\n");
        if (plan.smokeRun()) {
            md.append("> **SMOKE RUN.** `").append(options.command).append("` with small numbers and short phases, to "
                    + "check that the soak works. These numbers are not a measurement.\n\n");
        }
        md.append(String.format(Locale.ROOT, "Run on %s at commit `%s` by `%s`: %.0f s of traffic after %.0f s of "
                + "set-up, %.0f s in all.%n%n", DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'")
                .format(began.atOffset(ZoneOffset.UTC)), options.commit, options.command, seconds(t1),
                (t0 - beganNanos) / 1e9, (System.nanoTime() - beganNanos) / 1e9));

        md.append("## Goals\n\n| goal | result |\n|---|---|\n");
        goals().forEach((goal, verdict) -> md.append("| ").append(goal).append(" | ").append(verdict).append(" |\n"));

        md.append("\n## Set-up\n\n");
        md.append(String.format(Locale.ROOT, """
                - Redis Sentinel: a primary, a replica and three sentinels, real `redis-server` processes on 127.0.0.1 \
                (quorum 2, `down-after-milliseconds %d`, `failover-timeout 5000`). The data nodes persist as a \
                production operator would run them: `appendonly yes`, `appendfsync everysec` (a killed process loses \
                nothing Redis acknowledged: the append-only file is written before the answer).
                - Two gateways, A and B: `java -Xmx256m -jar gateway.jar`, each on free public and management ports, \
                both on that set (`spring.data.redis.sentinel.master`, `.nodes`), defaults otherwise but for the login \
                limit and in-flight bound (raised for the load); %s.
                - A WeChat stand-in answering code2Session after %d ms; a downstream answering `200 ok` at once.
                - %d sessions made first by logins (half on each gateway, %.1f s; answers by status: %s), spread over \
                %d users (round robin, a few devices each, below `max-per-user`).
                - Traffic per gateway, open loop (sent on time whatever the answers): %.0f/s required-route requests \
                with a live token chosen at random, %.0f/s logins, %.0f/s logouts, %.0f/s `GET /wx/sessions`. Each \
                logout first uses its session on the other gateway, then logs it out, checks that this gateway \
                refuses it at once, and asks the other one every 20 ms until it answers 401 (the propagation time).
                - Memory: heap in use (`jvm_memory_used_bytes{area="heap"}` from the management port) and RSS \
                (`/proc`) every %d s; heap after a full GC (`jcmd GC.run`) every %d s.
                - After the traffic, every live session that had been answered 200 is asked on both gateways \
                (401 on both: lost), every logged-out one on one gateway (200: the logout did not hold).
                """, plan.downAfter().toMillis(), options.gatewayCpu == null ? "not pinned"
                        : "both pinned to CPU " + options.gatewayCpu + " (the driver and Redis on the others)",
                options.latencyMs, plan.sessions(), setup.toMillis() / 1000.0, setupAnswers, plan.users(),
                plan.requiredPerSecond(), plan.loginsPerSecond(), plan.logoutsPerSecond(), plan.listingsPerSecond(),
                plan.sampleEvery().toSeconds(), plan.fullGcEvery().toSeconds()));

        md.append("\n## Faults\n\nTimes in seconds from the start of the traffic. Errors count as a fault's when the "
                + "request was in flight at some moment from the fault to its recovery plus "
                + plan.faultMargin().toSeconds() + " s.\n\n| fault | what | from | recovered | window ends |\n"
                + "|---|---|--:|--:|--:|\n");
        for (FaultWindow fault : faults) {
            md.append(String.format(Locale.ROOT, "| %s | %s | %.1f | %.1f | %.1f |%n", fault.name(), fault.what(),
                    seconds(fault.start()), seconds(fault.recovered()), seconds(fault.end())));
        }
        md.append("\nEvents:\n\n");
        for (String event : events) {
            String[] parts = event.split("\t", 2);
            md.append(String.format(Locale.ROOT, "- %.1f s: %s%n", seconds(Long.parseLong(parts[0])), parts[1]));
        }

        md.append("\n## Requests\n\n| kind | gateway | requests | answered as expected | errors |\n|---|---|--:|--:|--:|\n");
        for (Kind kind : Kind.values()) {
            for (int instance = 0; instance < 2; instance++) {
                int which = instance;
                List<Call> these = calls.stream().filter(call -> call.kind() == kind && call.instance() == which)
                        .toList();
                if (these.isEmpty()) {
                    continue;
                }
                md.append(String.format(Locale.ROOT, "| %s | %s | %d | %d | %d |%n", kind, Call.instanceName(which),
                        these.size(), these.stream().filter(Call::ok).count(),
                        these.stream().filter(Call::failed).count()));
            }
        }
        md.append("\n(A logout probe's answer is 200 until the logout has reached that gateway, then 401: not an "
                + "error. A check's 401 is a lost session, below.) Requests the rates called for but not sent, "
                + "because " + "too many were in flight: " + skipped + ".\n");

        md.append("\n## Errors\n\nEvery answer that is an error (no answer, 5xx; for logins, required-route requests, "
                + "listings and logouts anything but 200/204), by kind, status, code and window; first and last in "
                + "seconds from the start of the traffic.\n\n");
        List<ErrorGroup> groups = errorGroups();
        if (groups.isEmpty()) {
            md.append("None.\n");
        } else {
            md.append("| kind | status | error | window | count | first s | last s |\n|---|--:|---|---|--:|--:|--:|\n");
            for (ErrorGroup group : groups) {
                md.append(String.format(Locale.ROOT, "| %s | %d | %s | %s | %d | %.1f | %.1f |%n", group.kind(),
                        group.status(), group.error().isEmpty() ? "—" : "`" + group.error() + "`", group.window(),
                        group.count(), group.first(), group.last()));
            }
        }
        for (int instance = 0; instance < 2; instance++) {
            List<String> lines = gatewayErrorLines.get(instance);
            md.append("\nGateway ").append(Call.instanceName(instance)).append("'s log: ")
                    .append(lines.isEmpty() ? "no ERROR line.\n" : lines.size() + " ERROR lines (first 20):\n\n```\n"
                            + String.join("\n", lines) + "\n```\n");
        }

        md.append("\n## Sessions\n\n");
        Map<Integer, Sessions.Rejection> lost = lostSessions();
        md.append(String.format(Locale.ROOT, """
                | | |
                |---|--:|
                | sessions made (set-up and logins) | %d |
                | live at the end, answered 200 before, checked on both gateways | %d |
                | working on both | %d |
                | **lost** (401 on both, never logged out) | %d |
                | neither (e.g. 200 on one, 401 or 503 on the other) | %d |
                | refused 401 during the traffic, working at the end (transient) | %d |
                | logged out (204), checked | %d |
                | logged out and still working at the end (the logout did not hold) | %d |
                | logouts without a 204 (an error answered: the session's fate unknown, not checked) | %d |
                | Redis keys at the end | %d |
                """, checked.made(), checked.live(),
                checked.working(), lost.size(), checked.inconsistent().size(), transientRefusals().size(),
                checked.loggedOut(), checked.resurrected().size(), checked.unconfirmedLogouts(), redisKeys));
        if (!lost.isEmpty()) {
            md.append("\nLost sessions, by the window of their first refusal:\n\n");
            Map<String, Integer> byWindow = new TreeMap<>();
            lost.values().forEach(rejection -> byWindow.merge(rejection == null ? "never refused during the traffic"
                    : windowAt(rejection.at()), 1, Integer::sum));
            byWindow.forEach((window, n) -> md.append("- ").append(window).append(": ").append(n).append('\n'));
        }
        if (!checked.inconsistent().isEmpty()) {
            md.append("\nNeither working nor lost (first 10, answers of A and B): ")
                    .append(checked.inconsistent().values().stream().limit(10).toList()).append('\n');
        }

        md.append("\n## Logout propagation\n\n");
        List<Duration> all = propagations();
        long workedAfter = logouts.stream().filter(logout -> logout.statusRightAfter() == 200).count();
        long otherAfter = logouts.stream().filter(logout -> logout.statusRightAfter() != 200
                && logout.statusRightAfter() != 401).count();
        long unseen = logouts.stream().filter(logout -> logout.measured() && logout.propagation() == null).count();
        List<Duration> steady = logouts.stream().filter(logout -> logout.propagation() != null)
                .filter(logout -> faults.stream().noneMatch(f -> logout.answered() >= f.start()
                        && logout.answered() <= f.end()))
                .map(Traffic.Logout::propagation).sorted().toList();
        md.append(String.format(Locale.ROOT, """
                From a logout's 204 on one gateway to the other gateway's first 401 for that session (which it had \
                answered 200 just before the logout), asked every 20 ms. Logouts: %d answered 204; %d measured.

                | logouts | count | p50 | p90 | p99 | max |
                |---|--:|--:|--:|--:|--:|
                | all measured | %s |
                | outside the fault windows | %s |

                Right after its logout's 204, the gateway that logged out answered 200 (the logout not in effect at \
                once: a defect) %d times, and neither 200 nor 401 (e.g. 503 while Redis was away) %d times. Not \
                refused by the other gateway within 5 s: %d.
                """, logouts.size(), all.size(), row(all), row(steady), workedAfter, otherAfter, unseen));

        md.append("\n## Memory\n\n| gateway | heap after full GC before the faults | at the end | grows? | heap in "
                + "use, max | RSS first | RSS max | RSS last |\n|---|--:|--:|---|--:|--:|--:|--:|\n");
        for (HeapTrend trend : heapTrends()) {
            int instance = trend.gateway().equals("A") ? 0 : 1;
            List<Sample> mine = samples.stream().filter(sample -> sample.instance() == instance).toList();
            md.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %s | %s |%n", trend.gateway(),
                    mb(trend.before()), mb(trend.end()), trend.grows() ? "**yes**" : "no",
                    mb(mine.stream().mapToLong(Sample::heapUsed).max().orElse(-1)),
                    mb(mine.isEmpty() ? -1 : mine.get(0).rss()), mb(maxRss(instance)),
                    mb(mine.isEmpty() ? -1 : mine.get(mine.size() - 1).rss())));
        }
        md.append("\nHeap after each forced full GC (s: MB): ");
        for (HeapTrend trend : heapTrends()) {
            md.append("\n- ").append(trend.gateway()).append(": ").append(String.join(", ", trend.afterGc().stream()
                    .map(sample -> String.format(Locale.ROOT, "%.0f: %.1f", seconds(sample.at()),
                            sample.heapUsed() / 1048576.0)).toList()));
        }
        md.append(String.format(Locale.ROOT, "%n%nGrowth means: the median of the last two values under traffic above "
                + "the median of those before the first fault (the first left out: the JIT and the caches still fill) "
                + "by more than %d MB or %.0f %%. The last value, after the traffic, is the idle heap.%n",
                GROWTH_ALLOWANCE_BYTES >> 20, GROWTH_ALLOWANCE_RATIO * 100));

        md.append("\n![soak timeline](soak-timeline.png)\n\n`soak-timeline.csv`: one line a second (answers as "
                + "expected and errors per gateway, memory samples); `soak-requests.csv.gz`: every request (start and "
                + "duration in ms from the start of the traffic, kind, gateway, status, error code, session id).\n");
        return md.toString();
    }

    private String timelineCsv() {
        int seconds = (int) Math.ceil(seconds(calls.isEmpty() ? t1 : calls.get(calls.size() - 1).end())) + 1;
        long[][] counts = new long[Math.max(seconds, 1)][6];
        for (Call call : calls) {
            int second = (int) Math.max(0, Math.floor(seconds(call.start())));
            if (second >= counts.length) {
                continue;
            }
            int column = call.instance() * 2 + (call.failed() ? 1 : 0);
            counts[second][column]++;
            if (call.status() >= 500 || call.status() == 0) {
                counts[second][4]++;
            } else if (call.failed()) {
                counts[second][5]++;
            }
        }
        String[][] memory = new String[counts.length][6];
        for (Sample sample : samples) {
            int second = (int) Math.floor(seconds(sample.at()));
            if (second < 0 || second >= counts.length) {
                continue;
            }
            int base = sample.instance() * 3;
            if (sample.afterFullGc()) {
                memory[second][base + 2] = mbNumber(sample.heapUsed());
            } else {
                memory[second][base] = mbNumber(sample.heapUsed());
            }
            memory[second][base + 1] = mbNumber(sample.rss());
        }
        StringBuilder csv = new StringBuilder("second,window,a_ok,a_errors,b_ok,b_errors,errors_5xx_or_no_answer,"
                + "errors_other,a_heap_mb,a_rss_mb,a_heap_after_gc_mb,b_heap_mb,b_rss_mb,b_heap_after_gc_mb\n");
        for (int second = 0; second < counts.length; second++) {
            long at = t0 + second * 1_000_000_000L;
            csv.append(second).append(',').append(windowAt(at).startsWith("fault") ? windowAt(at) : "");
            for (long count : counts[second]) {
                csv.append(',').append(count);
            }
            for (String value : memory[second]) {
                csv.append(',').append(value == null ? "" : value);
            }
            csv.append('\n');
        }
        return csv.toString();
    }

    // ---- for SoakChart ----

    double seconds(long nanos) {
        return (nanos - t0) / 1e9;
    }

    List<Call> calls() {
        return calls;
    }

    List<Sample> samples() {
        return samples;
    }

    List<FaultWindow> faults() {
        return faults;
    }

    String title() {
        return (plan.smokeRun() ? "SMOKE RUN (not a measurement): " : "") + "wechat-auth-gateway soak, 2 gateways on "
                + "Redis Sentinel, commit " + options.commit;
    }

    // ---- helpers ----

    private String windowAt(long at) {
        for (FaultWindow fault : faults) {
            if (at >= fault.start() && at <= fault.end()) {
                return fault.name();
            }
        }
        return "outside the fault windows";
    }

    private String faultsInOneLine() {
        return String.join("; ", faults.stream().map(fault -> String.format(Locale.ROOT, "%s %.0f–%.0f s",
                fault.name(), seconds(fault.start()), seconds(fault.end()))).toList());
    }

    private long maxRss(int instance) {
        return samples.stream().filter(sample -> sample.instance() == instance).mapToLong(Sample::rss).max()
                .orElse(-1);
    }

    static long median(List<Long> values) {
        List<Long> sorted = values.stream().sorted().toList();
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    private static String row(List<Duration> sorted) {
        if (sorted.isEmpty()) {
            return "0 | — | — | — | —";
        }
        return sorted.size() + " | " + ms(percentile(sorted, 50)) + " | " + ms(percentile(sorted, 90)) + " | "
                + ms(percentile(sorted, 99)) + " | " + ms(sorted.get(sorted.size() - 1));
    }

    private static String percentiles(List<Duration> sorted) {
        if (sorted.isEmpty()) {
            return "none measured";
        }
        return sorted.size() + " measured, p50 " + ms(percentile(sorted, 50)) + ", p99 " + ms(percentile(sorted, 99))
                + ", max " + ms(sorted.get(sorted.size() - 1));
    }

    static Duration percentile(List<Duration> sorted, double p) {
        int index = (int) Math.ceil(p / 100 * sorted.size()) - 1;
        return sorted.get(Math.min(sorted.size() - 1, Math.max(0, index)));
    }

    private static String ms(Duration duration) {
        return String.format(Locale.ROOT, "%.0f ms", duration.toNanos() / 1e6);
    }

    static String mb(long bytes) {
        return bytes < 0 ? "—" : String.format(Locale.ROOT, "%.0f MB", bytes / 1048576.0);
    }

    private static String mbNumber(long bytes) {
        return bytes < 0 ? "" : String.format(Locale.ROOT, "%.1f", bytes / 1048576.0);
    }
}
