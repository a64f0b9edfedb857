package dev.wechatauth.gateway.topology;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import dev.wechatauth.gateway.rig.Answer;
import dev.wechatauth.gateway.rig.Backends;
import dev.wechatauth.gateway.rig.Gateway;
import dev.wechatauth.gateway.topology.Traffic.Call;
import dev.wechatauth.gateway.topology.Traffic.Issued;
import org.assertj.core.api.SoftAssertions;

/**
 * What steady traffic saw around one failover, measured: the error window, errors by code, the time to the first
 * success, and which sessions issued before (or during) the failover no longer work afterwards.
 */
final class Failover {

    /** What checking one session on every gateway after the failover found. */
    record Check(Issued session, Map<String, Answer> answers) {

        boolean works() {
            return answers.values().stream().allMatch(answer -> answer.status() == 200);
        }

        /** Rejected as unknown ({@code 401 invalid_token}) on every gateway: the session is gone. */
        boolean lost() {
            return answers.values().stream().allMatch(answer -> answer.status() == 401);
        }
    }

    final List<Call> calls;
    /** Just before the kill call (which first asks the topology for the primary, then SIGKILLs it). */
    final long kill;
    /** When the kill call returned: the primary was dead by then. */
    final long killed;
    final long failoverDone;
    final Duration allowedMargin;
    final List<Check> checks;
    /** The calls concerned by the failed primary (Cluster: requests with a session in its slots); all on Sentinel. */
    final Predicate<Call> affected;
    private final Set<String> lostTokens = ConcurrentHashMap.newKeySet();

    Failover(List<Call> calls, long kill, long killed, long failoverDone, Duration allowedMargin,
            List<Check> checks, Predicate<Call> affected) {
        this.calls = List.copyOf(calls);
        this.kill = kill;
        this.killed = killed;
        this.failoverDone = failoverDone;
        this.allowedMargin = allowedMargin;
        this.checks = List.copyOf(checks);
        this.affected = affected;
        checks.stream().filter(Check::lost).forEach(check -> lostTokens.add(check.session().token()));
    }

    /** Checks every session on every gateway, a few at a time. */
    static List<Check> check(List<Issued> sessions, List<? extends Gateway> gateways) {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Check>> futures = new ArrayList<>();
            for (Issued session : sessions) {
                futures.add(pool.submit(() -> {
                    Map<String, Answer> answers = new TreeMap<>();
                    for (Gateway gateway : gateways) {
                        answers.put(gateway.name(), Traffic.client(gateway).get(Backends.REQUIRED,
                                "Authorization: Bearer " + session.token()));
                    }
                    return new Check(session, answers);
                }));
            }
            List<Check> checks = new ArrayList<>();
            for (Future<Check> future : futures) {
                checks.add(future.get());
            }
            return checks;
        } catch (Exception failure) {
            throw new IllegalStateException("could not check the sessions", failure);
        } finally {
            pool.shutdownNow();
        }
    }

    // ---- the calls ----

    List<Call> errors() {
        return calls.stream().filter(call -> !call.ok()).toList();
    }

    /** A request with a session found lost afterwards, rejected for that reason: a loss, counted apart. */
    boolean rejectedAsLost(Call call) {
        return call.kind() == Traffic.Kind.AUTH && call.status() == 401 && lostTokens.contains(call.token());
    }

    /** Errors other than requests with a lost session being refused. */
    List<Call> windowErrors() {
        return errors().stream().filter(call -> !rejectedAsLost(call)).toList();
    }

    long windowEnd() {
        return failoverDone + allowedMargin.toNanos();
    }

    /** Errors in flight at no moment of [kill, failover complete + allowed margin]. */
    List<Call> errorsOutsideWindow() {
        return windowErrors().stream().filter(call -> !call.overlaps(kill, windowEnd())).toList();
    }

    /** Errors that are not the contract's answer to an unavailable session store (503 session_store_unavailable). */
    List<Call> unexpectedErrors() {
        return windowErrors().stream()
                .filter(call -> !(call.status() == 503 && "session_store_unavailable".equals(call.error())))
                .toList();
    }

    List<Call> serverErrors500() {
        return calls.stream().filter(call -> call.status() == 500).toList();
    }

    Map<String, Integer> errorsByCode() {
        Map<String, Integer> counts = new TreeMap<>();
        for (Call call : errors()) {
            String code = call.status() + " " + call.error() + (rejectedAsLost(call) ? " (lost session)" : "");
            counts.merge(call.kind() + " " + code, 1, Integer::sum);
        }
        return counts;
    }

    /** The calls that started after the window closed, on the given gateway. */
    List<Call> callsAfterWindow(String gateway) {
        return calls.stream().filter(call -> call.gateway().equals(gateway) && call.start() > windowEnd()).toList();
    }

    Long firstErrorStart() {
        return windowErrors().stream().map(Call::start).min(Long::compare).orElse(null);
    }

    Long lastErrorEnd() {
        return windowErrors().stream().map(Call::end).max(Long::compare).orElse(null);
    }

    /** The end of the first successful call of {@code which} that started once the primary was dead. */
    Long firstSuccessAfterKill(Predicate<Call> which) {
        return calls.stream().filter(call -> call.start() > killed && call.ok() && which.test(call))
                .map(Call::end).min(Long::compare).orElse(null);
    }

    // ---- the sessions ----

    List<Check> issuedBeforeKill() {
        return checks.stream().filter(check -> check.session().answered() < kill).toList();
    }

    List<Check> issuedAfterKill() {
        return checks.stream().filter(check -> check.session().answered() >= kill).toList();
    }

    static List<Check> lost(List<Check> checks) {
        return checks.stream().filter(Check::lost).toList();
    }

    /** Sessions that neither work everywhere nor are gone everywhere (e.g. a 503 long after the failover). */
    List<Check> neitherWorkingNorLost() {
        return checks.stream().filter(check -> !check.works() && !check.lost()).toList();
    }

    /** Sessions whose requests were refused with 401 during the traffic but that work afterwards. */
    List<Call> transient401s() {
        Set<String> working = ConcurrentHashMap.newKeySet();
        checks.stream().filter(Check::works).forEach(check -> working.add(check.session().token()));
        return calls.stream().filter(call -> call.kind() == Traffic.Kind.AUTH && call.status() == 401
                && working.contains(call.token())).toList();
    }

    Long newestSessionBeforeKill() {
        return checks.stream().map(check -> check.session().answered()).filter(answered -> answered < kill)
                .max(Long::compare).orElse(null);
    }

    // ---- the rules every failover keeps ----

    /**
     * No 500; no error but 503 {@code session_store_unavailable} (a lost session's 401 apart); no error outside
     * [kill, failover complete + allowed margin]; every request on each gateway after that window succeeds; every
     * session either works on every gateway or is gone from every one; no 401 for a session that works afterwards.
     */
    void assertErrorsOnlyInsideTheWindow(SoftAssertions soft, List<? extends Gateway> gateways) {
        soft.assertThat(serverErrors500()).as("500 answers%s", describeAll(serverErrors500())).isEmpty();
        soft.assertThat(unexpectedErrors()).as("errors other than 503 session_store_unavailable%s",
                describeAll(unexpectedErrors())).isEmpty();
        soft.assertThat(errorsOutsideWindow()).as("errors outside [kill, failover complete + %s ms]%s",
                allowedMargin.toMillis(), describeAll(errorsOutsideWindow())).isEmpty();
        for (Gateway gateway : gateways) {
            soft.assertThat(callsAfterWindow(gateway.name())).as("requests on %s after the window", gateway.name())
                    .isNotEmpty().allMatch(Call::ok);
        }
        soft.assertThat(neitherWorkingNorLost()).as("sessions neither working nor lost after the failover").isEmpty();
        soft.assertThat(transient401s()).as("401s for sessions that work afterwards%s", describeAll(transient401s()))
                .isEmpty();
    }

    // ---- reporting ----

    static long ms(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }

    /** {@code t} relative to the kill, in ms, or "none". */
    String sinceKill(Long t) {
        return t == null ? "none" : String.format("%+d ms", ms(t - kill));
    }

    String describeAll(List<Call> some) {
        StringBuilder text = new StringBuilder();
        some.stream().limit(20).forEach(call -> text.append("\n  ").append(call.describe(kill)));
        if (some.size() > 20) {
            text.append("\n  … ").append(some.size() - 20).append(" more");
        }
        return text.toString();
    }

    /** The figures as Markdown lines. */
    String figures(String title, String extra) {
        Long firstError = firstErrorStart();
        Long lastError = lastErrorEnd();
        List<Check> before = issuedBeforeKill();
        List<Check> after = issuedAfterKill();
        Long newest = newestSessionBeforeKill();
        StringBuilder md = new StringBuilder();
        md.append("## ").append(title).append("\n\n");
        md.append("| figure | value |\n|---|---|\n");
        row(md, "requests (logins / authenticated)", calls.size() + " (" + count(Traffic.Kind.LOGIN) + " / "
                + count(Traffic.Kind.AUTH) + ")");
        row(md, "kill call (look up the primary, SIGKILL, wait for its death)", ms(killed - kill) + " ms");
        row(md, "kill → failover complete (topology agrees on the new primary)", ms(failoverDone - kill) + " ms");
        row(md, "first error → last error (window seen by clients)", firstError == null ? "no error"
                : ms(lastError - firstError) + " ms (from " + sinceKill(firstError) + " to " + sinceKill(lastError)
                        + " after the kill)");
        row(md, "kill → first success of a request started once the primary was dead",
                sinceKill(firstSuccessAfterKill(c -> true)));
        row(md, "kill → first success of an affected request started once the primary was dead",
                sinceKill(firstSuccessAfterKill(affected)));
        row(md, "kill → first successful login started once the primary was dead",
                sinceKill(firstSuccessAfterKill(c -> c.kind() == Traffic.Kind.LOGIN)));
        row(md, "reconnection margin measured (last error − failover complete)", lastError == null ? "no error"
                : String.format("%+d ms", ms(lastError - failoverDone)));
        row(md, "reconnection margin allowed", allowedMargin.toMillis() + " ms");
        row(md, "errors (all / outside the window / 500s)", errors().size() + " / " + errorsOutsideWindow().size()
                + " / " + serverErrors500().size());
        row(md, "errors by code", errorsByCode().isEmpty() ? "none" : errorsByCode().toString());
        row(md, "sessions issued before the kill / lost", before.size() + " / " + lost(before).size());
        row(md, "newest session issued before the kill", newest == null ? "none" : ms(kill - newest) + " ms before it");
        row(md, "sessions issued after the kill (during and after the failover) / lost", after.size() + " / "
                + lost(after).size());
        row(md, "sessions neither working nor lost afterwards", String.valueOf(neitherWorkingNorLost().size()));
        if (extra != null) {
            md.append(extra);
        }
        md.append('\n');
        return md.toString();
    }

    static void row(StringBuilder md, String figure, String value) {
        md.append("| ").append(figure).append(" | ").append(value.replace("|", "\\|")).append(" |\n");
    }

    private long count(Traffic.Kind kind) {
        return calls.stream().filter(call -> call.kind() == kind).count();
    }
}
