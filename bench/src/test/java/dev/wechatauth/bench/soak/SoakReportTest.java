package dev.wechatauth.bench.soak;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.wechatauth.bench.soak.Call.Kind;
import dev.wechatauth.bench.soak.MemorySampler.Sample;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SoakReportTest {

    private static final long S = 1_000_000_000L;
    private static final long T0 = 1_000 * S;

    private final List<FaultWindow> faults = List.of(
            new FaultWindow("fault 1", "killed, restarted", T0 + 10 * S, T0 + 12 * S, T0 + 15 * S),
            new FaultWindow("fault 2", "failover", T0 + 30 * S, T0 + 37 * S, T0 + 40 * S));

    private static Call call(double startS, Kind kind, int status, String error, int token) {
        long start = T0 + (long) (startS * S);
        return new Call(start, start + S / 100, kind, 0, status, error, token);
    }

    private SoakReport report(List<Call> calls, Traffic.Checked checked, List<Sessions.Rejection> rejections,
            List<Sample> samples) {
        Soak.Options options = Soak.Options.parse(new String[] {"--jar", "g.jar", "--out", "/tmp", "--work", "/tmp"});
        return new SoakReport(SoakPlan.smoke(), options, Instant.now(), T0 - 5 * S, T0, T0 + 60 * S,
                Duration.ofSeconds(2), Map.of("200", 10), calls, List.of(), checked, rejections, samples, faults,
                List.of(), 0, 10, List.of(List.of(), List.of()));
    }

    private static Traffic.Checked checked(List<Integer> lost) {
        return new Traffic.Checked(12, 10, 10 - lost.size(), lost, Map.of(), 0, List.of(), 0);
    }

    @Test
    void errorsAreGroupedByKindStatusCodeAndTheWindowTheyFallIn() {
        List<Call> calls = List.of(
                call(5, Kind.REQUIRED, 200, "", 1),
                call(11, Kind.REQUIRED, 503, "session_store_unavailable", 1),
                call(14.5, Kind.REQUIRED, 503, "session_store_unavailable", 2),
                call(31, Kind.LOGIN, 503, "session_store_unavailable", -1),
                call(20, Kind.LISTING, 500, "internal_error", 3),
                call(21, Kind.LOGOUT_PROBE, 401, "invalid_token", 3)); // a probe's 401 is no error

        SoakReport report = report(calls, checked(List.of()), List.of(), List.of());

        assertThat(report.errorGroups()).containsExactly(
                new SoakReport.ErrorGroup(Kind.LISTING, 500, "internal_error", "outside the fault windows", 1, 20, 20.01),
                new SoakReport.ErrorGroup(Kind.LOGIN, 503, "session_store_unavailable", "fault 2", 1, 31, 31.01),
                new SoakReport.ErrorGroup(Kind.REQUIRED, 503, "session_store_unavailable", "fault 1", 2, 11, 14.51));
        assertThat(report.serverErrors500()).isEqualTo(1);
        assertThat(report.errorsOutsideFaults()).isEqualTo(1);
        assertThat(report.goals()).containsEntry("zero 500s", "**not met** (1 answered 500)")
                .containsEntry("errors only within the fault windows", "**not met** (1 errors outside)");
    }

    @Test
    void aSessionRefusedAndStillRefusedAtTheEndIsLostOneThatWorksAgainIsTransient() {
        List<Sessions.Rejection> rejections = List.of(new Sessions.Rejection(4, T0 + 11 * S, 0),
                new Sessions.Rejection(5, T0 + 31 * S, 1));

        SoakReport report = report(List.of(), checked(List.of(4, 7)), rejections, List.of());

        assertThat(report.lostSessions()).containsOnlyKeys(4, 7);
        assertThat(report.lostSessions().get(4)).isEqualTo(rejections.get(0));
        assertThat(report.lostSessions().get(7)).as("lost, never refused during the traffic").isNull();
        assertThat(report.transientRefusals()).containsExactly(rejections.get(1));
        assertThat(report.goals().get("zero lost sessions")).startsWith("**not met** (2 lost");
    }

    @Test
    void heapAfterGcGrowsWhenTheEndIsAboveTheSteadyStateBeforeTheFaultsByMoreThanTheAllowance() {
        long mb = 1L << 20;
        List<Sample> samples = new ArrayList<>();
        // A: steady at 40 MB (the first, warming up, at 60 MB is left out), ends at 44 MB under traffic: no growth
        // B: steady at 40 MB, ends at 60 MB under traffic: growth (the idle heap after the traffic, 30 MB, aside)
        long[] a = {60, 40, 40, 41, 44, 44, 30};
        long[] b = {60, 40, 40, 50, 60, 60, 30};
        double[] at = {2, 5, 8, 20, 50, 55, 61};
        for (int i = 0; i < at.length; i++) {
            long when = T0 + (long) (at[i] * S);
            samples.add(new Sample(when, 0, a[i] * mb, 300 * mb, true));
            samples.add(new Sample(when, 1, b[i] * mb, 300 * mb, true));
            samples.add(new Sample(when + S, 0, 120 * mb, 310 * mb, false)); // heap in use: not a GC point
        }

        List<SoakReport.HeapTrend> trends = report(List.of(), checked(List.of()), List.of(), samples).heapTrends();

        assertThat(trends).extracting(SoakReport.HeapTrend::gateway).containsExactly("A", "B");
        assertThat(trends.get(0).before()).isEqualTo(40 * mb);
        assertThat(trends.get(0).end()).isEqualTo(44 * mb);
        assertThat(trends.get(0).grows()).isFalse();
        assertThat(trends.get(1).end()).isEqualTo(60 * mb);
        assertThat(trends.get(1).grows()).isTrue();
    }

    @Test
    void writesTheReportTheTimelineTheChartAndEveryRequest(@TempDir Path out) throws Exception {
        List<Call> calls = List.of(call(1, Kind.REQUIRED, 200, "", 1), call(11, Kind.REQUIRED, 503,
                "session_store_unavailable", 2));
        List<Sample> samples = List.of(new Sample(T0 + 2 * S, 0, 50L << 20, 300L << 20, false),
                new Sample(T0 + 3 * S, 1, 40L << 20, 290L << 20, true));

        report(calls, checked(List.of()), List.of(), samples).write(out);

        assertThat(Files.readString(out.resolve("RESULTS-soak.md"))).contains("SMOKE RUN", "| zero 500s | met",
                "| REQUIRED | 503 | `session_store_unavailable` | fault 1 | 1 |");
        List<String> timeline = Files.readAllLines(out.resolve("soak-timeline.csv"));
        assertThat(timeline.get(0)).startsWith("second,window,a_ok,a_errors");
        assertThat(timeline.get(1 + 11)).startsWith("11,fault 1,0,1,"); // after the header
        assertThat(Files.size(out.resolve("soak-timeline.png"))).isGreaterThan(1000);
        assertThat(Files.size(out.resolve("soak-requests.csv.gz"))).isGreaterThan(20);
    }
}
