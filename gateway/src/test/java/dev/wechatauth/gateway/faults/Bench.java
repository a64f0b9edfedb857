package dev.wechatauth.gateway.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.List;

import dev.wechatauth.gateway.rig.Answer;
import dev.wechatauth.gateway.rig.Backends;
import dev.wechatauth.gateway.rig.GatewayLauncher;
import dev.wechatauth.gateway.rig.Http;
import dev.wechatauth.gateway.rig.InProcessGateway;
import dev.wechatauth.gateway.rig.Routes;

/**
 * The gateway every fault test drives, started once per test JVM and stopped at its exit: {@link Backends}, a
 * {@link FaultyDownstream} behind every routed path, and a gateway with the bounds the fault tests measure against,
 * written out here rather than left to defaults:
 * <ul>
 *   <li>{@code wechat.auth.session.store-timeout=1s} (the default): the bound of every Redis fault;</li>
 *   <li>{@code wechat.auth.timeout=2s}: the bound of every WeChat fault;</li>
 *   <li>{@code response-timeout: 1000} on every routed path: the bound of every downstream fault;</li>
 *   <li>{@code wechat.auth.login.max-in-flight=32} (default 256), so that a burst above it stays cheap to send, yet
 *       above the logins the memory crowd has waiting when a frozen Redis resumes (about 20).</li>
 * </ul>
 * The circuit breaker keeps its defaults (50 % of the last 20 calls, at least 10, open 10 s, 3 trial calls).
 * <pre>
 * /wx/login         login     no://op
 * /api/orders/**    required  the faulty downstream, response-timeout 1000 ms
 * /api/catalog/**   optional  the faulty downstream, response-timeout 1000 ms
 * /api/status/**    public    the faulty downstream, response-timeout 1000 ms
 * </pre>
 */
final class Bench {

    static final Duration STORE_TIMEOUT = Duration.ofSeconds(1);
    /** Heartbeat interval 250 ms + timeout 750 ms of the session cache's invalidation connection, and 500 ms of noise. */
    static final Duration CACHE_HEARTBEAT_GRACE = Duration.ofMillis(1500);
    static final Duration WECHAT_TIMEOUT = Duration.ofSeconds(2);
    static final Duration RESPONSE_TIMEOUT = Duration.ofSeconds(1);
    static final int MAX_IN_FLIGHT = 32;
    /** What the fault rules allow above a timeout on a shared, noisy machine: the bound the figures are judged by. */
    static final Duration SLACK = Duration.ofMillis(500);
    /** How long the client waits for any answer; far beyond every bound, so a hang is seen as one. */
    static final Duration GIVE_UP_AFTER = Duration.ofSeconds(10);

    /** A third mini-program, for the open-loop crowd, so that its breaker never holds up the other tests' logins. */
    static final String CROWD_APPID = "wx_fault_crowd";
    private static final String CROWD_SECRET = "crowd-Secret-3b8d";

    static final String REQUIRED = Backends.REQUIRED;
    static final String OPTIONAL = Backends.OPTIONAL;
    static final String PUBLIC = Backends.PUBLIC;

    private static Bench bench;

    final Backends backends;
    final FaultyDownstream downstream;
    final InProcessGateway gateway;
    /** The gateway's client for the fault tests: a failure to get an answer is an answer of status -1. */
    final Http client;

    private Bench() {
        this.backends = Backends.start();
        this.downstream = new FaultyDownstream();
        backends.wechat.registerApp(CROWD_APPID, CROWD_SECRET);
        this.gateway = GatewayLauncher.on(backends).named("fault bench").with(
                "wechat.auth.apps[2].appid=" + CROWD_APPID,
                "wechat.auth.apps[2].secret=" + CROWD_SECRET,
                "gateway.routes-file=" + Routes.withLogin()
                        .route("orders", "/api/orders/**", downstream.baseUrl(), "required", RESPONSE_TIMEOUT)
                        .route("catalog", "/api/catalog/**", downstream.baseUrl(), "optional", RESPONSE_TIMEOUT)
                        .route("status", "/api/status/**", downstream.baseUrl(), "public", RESPONSE_TIMEOUT)
                        .write(),
                "wechat.auth.session.store-timeout=" + STORE_TIMEOUT.toMillis() + "ms",
                "wechat.auth.timeout=" + WECHAT_TIMEOUT.toMillis() + "ms",
                "wechat.auth.login.max-in-flight=" + MAX_IN_FLIGHT,
                // WARN lines (one per failed Redis command) stay; per-request DEBUG lines would only add load
                "logging.level.dev.wechatauth=INFO").start();
        this.client = gateway.http().tolerant().timeout(GIVE_UP_AFTER);
    }

    static synchronized Bench get() {
        if (bench == null) {
            bench = new Bench();
            Figures.note("Gateway in the test JVM: store-timeout " + STORE_TIMEOUT.toMillis()
                    + " ms, wechat.auth.timeout " + WECHAT_TIMEOUT.toMillis() + " ms, route response-timeout "
                    + RESPONSE_TIMEOUT.toMillis() + " ms, login max-in-flight " + MAX_IN_FLIGHT
                    + ", circuit breaker defaults (50 % of the last 20 calls, at least 10, open 10 s, 3 trial calls).");
            Figures.note("Traffic unless said otherwise: 6 closed-loop clients (2 logging in, 2 on a required route,"
                    + " 1 on an optional route, 1 on a public route), 50 ms think time; bound = the fault's timeout"
                    + " + 500 ms; recovery = from the fault's end to the first success of each kind of request after"
                    + " which every request sent succeeds (the latest kind counts); heap = used after System.gc(),"
                    + " before the traffic starts and after it stops.");
            Bench started = bench;
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                started.gateway.close();
                started.downstream.close();
                started.backends.close();
            }, "fault-bench-stop"));
        }
        return bench;
    }

    /**
     * Waits until a login, a token on the required and optional routes and the public route all work three times in a
     * row (a breaker opened by an earlier fault may need its open time to pass); fails when they do not within
     * {@code max}.
     */
    void awaitHealthy(Duration max) {
        await("the gateway healthy before the fault").atMost(max).pollInSameThread()
                .pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(100))
                .untilAsserted(() -> {
                    for (int round = 0; round < 3; round++) {
                        Answer login = client.login(backends.newCode());
                        assertThat(login.token()).as("login %s", login.outcome()).isNotNull();
                        for (String path : List.of(REQUIRED, OPTIONAL, PUBLIC)) {
                            Answer answer = path.equals(PUBLIC) ? client.get(path)
                                    : client.get(path, "Authorization: Bearer " + login.token());
                            assertThat(answer.status()).as("%s %s", path, answer.outcome()).isEqualTo(200);
                        }
                    }
                });
    }

    /** Heap in use after two full collections, in bytes. */
    static long heapAfterGc() {
        for (int i = 0; i < 2; i++) {
            System.gc();
            pause(Duration.ofMillis(50));
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    static void pause(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(interrupted);
        }
    }
}
