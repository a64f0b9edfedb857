package dev.wechatauth.plugin;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.wechatauth.plugin.login.DuplicateLoginWindow;
import dev.wechatauth.plugin.login.LoginRateLimiter;
import dev.wechatauth.plugin.session.IssuedSession;
import dev.wechatauth.plugin.session.PipelinedScripts;
import dev.wechatauth.plugin.session.RedisSessionStore;
import dev.wechatauth.plugin.session.ScriptRunner;
import dev.wechatauth.plugin.session.SessionPolicy;
import dev.wechatauth.plugin.session.SessionWriter;
import dev.wechatauth.plugin.session.Tokens;
import dev.wechatauth.plugin.support.RedisFixture;
import dev.wechatauth.plugin.wechat.WechatIdentity;
import dev.wechatauth.testkit.RedisProcess;
import reactor.core.publisher.Flux;

/**
 * Counts what a login and a background renewal cost in Redis round trips, on a standalone redis-server: Redis's own
 * {@code INFO stats} counters of read events ({@code total_reads_processed}: each is one batch of commands Redis read
 * from a client, so one round trip for commands sent one at a time) and write events. Not a test: a measurement, run by
 * {@code bench/redis-round-trips}; the figures depend on the machine only through how commands sent together arrive.
 * <ul>
 * <li>Logins, one after the other, as {@code LoginService} makes them without WeChat: the limit, the duplicate window's
 * claim, the session with the user's index and the receipt.</li>
 * <li>Background renewals of many sessions due at once, each sent at once on the shared connection (as before) and
 * pipelined in batches ({@link PipelinedScripts}).</li>
 * </ul>
 */
public final class RedisRoundTrips {

    private static final String NAMESPACE = "round-trips";
    private static final Duration TTL = Duration.ofDays(7);

    private RedisRoundTrips() {
    }

    public static void main(String[] args) {
        int logins = args.length > 0 ? Integer.parseInt(args[0]) : 200;
        int sessions = args.length > 1 ? Integer.parseInt(args[1]) : 2000;
        try (RedisProcess redis = RedisProcess.start(); RedisFixture fixture = new RedisFixture(redis.port())) {
            PipelinedScripts pipeline = new PipelinedScripts(fixture.nativeClient());
            try {
                // connections opened and scripts loaded before counting
                logins(fixture, 1, "warm-up-");
                renewAll(store(fixture, ScriptRunner.of(fixture.template())), sessions(fixture, 1));
                renewAll(store(fixture, pipeline), sessions(fixture, 1));
                System.out.println("| what | count | Redis read events (round trips) each | write events each |");
                System.out.println("|---|--:|--:|--:|");
                System.out.println(row("login (limit, duplicate window, session, user index, receipt), one at a time",
                        logins, fixture, () -> logins(fixture, logins, "code-")));
                List<IssuedSession> due = sessions(fixture, sessions);
                System.out.println(row("background renewal, " + sessions + " due at once, each sent at once", sessions,
                        fixture, () -> renewAll(store(fixture, ScriptRunner.of(fixture.template())), due)));
                System.out.println(row("background renewal, " + sessions + " due at once, pipelined (batches of "
                        + PipelinedScripts.MAX_BATCH + ", " + PipelinedScripts.MAX_WAIT.toMillis() + " ms)", sessions,
                        fixture, () -> renewAll(store(fixture, pipeline), due)));
            } finally {
                pipeline.destroy();
            }
        }
        System.exit(0);
    }

    private static List<IssuedSession> logins(RedisFixture fixture, int count, String codePrefix) {
        RedisSessionStore store = store(fixture, ScriptRunner.of(fixture.template()));
        LoginRateLimiter limiter = new LoginRateLimiter(fixture.template(), NAMESPACE, Integer.MAX_VALUE,
                Duration.ofMinutes(1));
        DuplicateLoginWindow window = new DuplicateLoginWindow(fixture.template(), store, NAMESPACE,
                Duration.ofSeconds(10), Duration.ofSeconds(4));
        List<IssuedSession> issued = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            WechatIdentity user = new WechatIdentity("wx_app", "openid_login_" + i, null, "a2V5");
            issued.add(limiter.attempt("198.51.100.7")
                    .then(window.login("wx_app", codePrefix + i, receipt -> store.create(user, null, receipt)))
                    .block());
        }
        return issued;
    }

    private static List<IssuedSession> sessions(RedisFixture fixture, int count) {
        RedisSessionStore store = store(fixture, ScriptRunner.of(fixture.template()));
        return Flux.range(0, count)
                .flatMap(i -> store.create(new WechatIdentity("wx_app", "openid_" + i, null, "a2V5"), null), 64)
                .collectList().block();
    }

    private static void renewAll(RedisSessionStore store, List<IssuedSession> due) {
        Flux.fromIterable(due).flatMap(issued -> store.renew(issued.token(), issued.session()), due.size())
                .blockLast(Duration.ofMinutes(1));
    }

    private static RedisSessionStore store(RedisFixture fixture, ScriptRunner renewals) {
        return new RedisSessionStore(fixture.template(), new Tokens(), SessionWriter.of(fixture.template()), renewals,
                NAMESPACE, new SessionPolicy(TTL, Duration.ofDays(30), 0), Clock.systemUTC());
    }

    /** Runs {@code work} and reports Redis's counters per unit of it. */
    private static String row(String what, int count, RedisFixture fixture, Runnable work) {
        Map<String, Long> before = counters(fixture);
        work.run();
        Map<String, Long> after = counters(fixture);
        // between the two readings: the second INFO of the first and the first INFO of the second (a read and a write
        // each)
        long reads = after.get("reads") - before.get("reads") - 2;
        long writes = after.get("writes") - before.get("writes") - 2;
        return String.format("| %s | %d | %.2f | %.2f |", what, count, (double) reads / count, (double) writes / count);
    }

    private static Map<String, Long> counters(RedisFixture fixture) {
        Map<String, Long> counters = new TreeMap<>();
        String stats = fixture.inspector().info("stats");
        counters.put("reads", number(stats, "total_reads_processed"));
        counters.put("writes", number(stats, "total_writes_processed"));
        fixture.inspector().ping(); // as many INFO-like calls before as after the work
        return counters;
    }

    private static long number(String info, String field) {
        Matcher value = Pattern.compile(field + ":(\\d+)").matcher(info);
        if (!value.find()) {
            throw new IllegalStateException("INFO has no " + field);
        }
        return Long.parseLong(value.group(1));
    }
}
