package dev.wechatauth.gateway.faults;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

import dev.wechatauth.gateway.rig.Answer;

/**
 * The measured figures of every fault run in this JVM, as a Markdown table ready for THREATS.md: printed to stdout
 * and rewritten to {@code gateway/target/fault-figures.md} after each row, so the file is complete whichever class runs
 * last and whatever fails. Every request of each fault goes to {@code gateway/target/fault-samples/<fault>.csv}.
 */
final class Figures {

    private static final String HEADER = """
            | fault | fault period | requests | answers while the fault lasted | max latency during / after the fault (ms) | bound (ms) | recovery after the fault ended | heap after GC before → after (MB) | result |
            |---|---|---|---|---|---|---|---|---|""";
    private static final List<String> ROWS = new ArrayList<>();
    private static final List<String> NOTES = new ArrayList<>();

    private Figures() {
    }

    static synchronized void add(Report report) {
        writeSamples(report);
        addRow(row(report));
        note(report.name + ": slowest answer overlapping the fault: " + report.slowestDuringFault() + ".");
        if (report.lostSessions() > 0) {
            note(report.name + ": " + report.lostSessions() + " requests with a token issued before the restart got"
                    + " 401 invalid_token once Redis was back (it keeps no data); their clients logged in again.");
        }
    }

    static synchronized void addRow(String row) {
        ROWS.add(row);
        System.out.println("[fault figures] " + row);
        write();
    }

    /** One line of the table. */
    static String row(Report report) {
        String outcomes = report.outcomesDuringFault().entrySet().stream()
                .map(e -> e.getKey() + " ×" + e.getValue()).collect(Collectors.joining(", "));
        long recovery = report.recoveryMillis();
        long injecting = report.sinceInjection(report.faultStart);
        List<String> failures = report.failures();
        List<String> overBounds = report.overBounds();
        return "| " + report.name
                + " | " + report.faultMillis() + " ms" + (injecting >= 20 ? " (injecting: " + injecting + " ms)" : "")
                + " | " + report.requests()
                + " | " + outcomes
                + " | " + report.maxLatencyDuringFault() + " / " + report.maxLatencyAfterFault()
                + " | " + bounds(report)
                + " | " + (recovery < 0 ? "none while watched" : recovery + " ms")
                + (report.judgeRecovery ? "" : " (not judged)")
                + " | " + (report.heapBefore == 0 ? "–"
                        : Report.mb(report.heapBefore) + " → " + Report.mb(report.heapAfter))
                + " | " + result(failures, overBounds)
                + " |";
    }

    /**
     * {@code "pass"}, {@code "pass; over the bound: …"} (a figure, not a failure) or {@code "FAIL: …"}: how the
     * table's last column reads for a fault, or for a row a test writes itself.
     */
    static String result(List<String> failures, List<String> overBounds) {
        String result = failures.isEmpty() ? "pass" : "FAIL: " + String.join("; ", failures);
        return overBounds.isEmpty() ? result : result + "; over the bound: " + String.join("; ", overBounds);
    }

    /** {@code "1500"} when every kind has that bound, else {@code "LOGIN 2500, REQUIRED 1500, …"}. */
    private static String bounds(Report report) {
        Set<Long> distinct = report.kinds().stream().map(kind -> report.bounds.get(kind).toMillis())
                .collect(Collectors.toSet());
        if (distinct.size() == 1) {
            return Long.toString(distinct.iterator().next());
        }
        return report.kinds().stream().map(kind -> kind + " " + report.bounds.get(kind).toMillis())
                .collect(Collectors.joining(", "));
    }

    /**
     * Every exchange as CSV, one line each: kind, when it was sent and answered (ms from the start of the fault's
     * injection), latency, status, error code, why no answer came.
     */
    static String csv(Report report) {
        StringBuilder csv = new StringBuilder("kind,sent_ms,answered_ms,latency_ms,status,error,failure\n");
        for (Traffic.Sample sample : report.samples) {
            Answer reply = sample.reply();
            csv.append(sample.kind()).append(',')
                    .append(report.sinceInjection(sample.start())).append(',')
                    .append(report.sinceInjection(sample.end())).append(',')
                    .append(sample.latencyMillis()).append(',')
                    .append(reply.status()).append(',')
                    .append(reply.error() == null ? "" : reply.error().replace(',', ' ')).append(',')
                    .append(reply.failure() == null ? "" : reply.failure().replace(',', ' ').replace('\n', ' '))
                    .append('\n');
        }
        return csv.append("# fault injected at 0 ms, in force from ").append(report.sinceInjection(report.faultStart))
                .append(" ms, ending from ").append(report.sinceInjection(report.faultEndCalled))
                .append(" ms, ended at ").append(report.sinceInjection(report.faultEnded)).append(" ms\n")
                .toString();
    }

    /** A line printed under the table (settings, how a figure was taken). */
    static synchronized void note(String note) {
        if (!NOTES.contains(note)) {
            NOTES.add(note);
            write();
        }
    }

    /** The whole table so far. */
    static synchronized String table() {
        StringBuilder table = new StringBuilder(HEADER).append('\n');
        ROWS.forEach(row -> table.append(row).append('\n'));
        if (!NOTES.isEmpty()) {
            table.append('\n');
            NOTES.forEach(note -> table.append("- ").append(note).append('\n'));
        }
        return table.toString();
    }

    static synchronized void print() {
        System.out.println("\n## Fault injection figures\n\n" + table());
    }

    /** Every request of the fault, to {@code gateway/target/fault-samples/<fault>.csv}. */
    private static void writeSamples(Report report) {
        String slug = report.name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("(^-|-$)", "");
        Path file = Path.of(System.getProperty("basedir", "."), "target", "fault-samples", slug + ".csv");
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, csv(report));
        } catch (IOException failure) {
            throw new UncheckedIOException(failure);
        }
    }

    private static void write() {
        Path file = Path.of(System.getProperty("basedir", "."), "target", "fault-figures.md");
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, "## Fault injection figures\n\n" + table());
        } catch (IOException failure) {
            throw new UncheckedIOException(failure);
        }
    }
}
