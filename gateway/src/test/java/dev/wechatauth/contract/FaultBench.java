package dev.wechatauth.contract;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The gateway every {@code Fault…} class drives, started once per test JVM and stopped at its exit: a Redis process, the
 * WeChat stand-in, a {@link FaultyDownstream} behind every routed path, and a gateway with the bounds the fault tests
 * measure against, written out here rather than left to defaults:
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
final class FaultBench {

    static final Duration STORE_TIMEOUT = Duration.ofSeconds(1);
    /** Heartbeat interval 250 ms + timeout 750 ms of the session cache's invalidation connection, and 500 ms of noise. */
    static final Duration CACHE_HEARTBEAT_GRACE = Duration.ofMillis(1500);
    static final Duration WECHAT_TIMEOUT = Duration.ofSeconds(2);
    static final Duration RESPONSE_TIMEOUT = Duration.ofSeconds(1);
    static final int MAX_IN_FLIGHT = 32;
    /** What the issue allows above a timeout on a shared, noisy machine. */
    static final Duration SLACK = Duration.ofMillis(500);

    /** A third mini-program, for the open-loop crowd, so that its breaker never holds up the other tests' logins. */
    static final String CROWD_APPID = "wx_fault_crowd";
    private static final String CROWD_SECRET = "crowd-Secret-3b8d";

    static final String REQUIRED = "/api/orders/1";
    static final String OPTIONAL = "/api/catalog/1";
    static final String PUBLIC = "/api/status/1";

    private static FaultBench bench;

    final Backends backends;
    final FaultyDownstream downstream;
    final GatewayInstance gateway;
    final FaultClient client;

    private FaultBench() {
        this.backends = Backends.start();
        this.downstream = new FaultyDownstream();
        backends.wechat.registerApp(CROWD_APPID, CROWD_SECRET);
        this.gateway = GatewayInstance.start(backends,
                "wechat.auth.apps[2].appid=" + CROWD_APPID,
                "wechat.auth.apps[2].secret=" + CROWD_SECRET,
                "gateway.routes-file=" + writeRoutes(downstream.baseUrl()),
                "wechat.auth.session.store-timeout=" + STORE_TIMEOUT.toMillis() + "ms",
                "wechat.auth.timeout=" + WECHAT_TIMEOUT.toMillis() + "ms",
                "wechat.auth.login.max-in-flight=" + MAX_IN_FLIGHT,
                // WARN lines (one per failed Redis command) stay; per-request DEBUG lines would only add load
                "logging.level.dev.wechatauth=INFO");
        this.client = new FaultClient(gateway.port());
    }

    static synchronized FaultBench get() {
        if (bench == null) {
            bench = new FaultBench();
            FaultFigures.note("Gateway in the test JVM: store-timeout " + STORE_TIMEOUT.toMillis()
                    + " ms, wechat.auth.timeout " + WECHAT_TIMEOUT.toMillis() + " ms, route response-timeout "
                    + RESPONSE_TIMEOUT.toMillis() + " ms, login max-in-flight " + MAX_IN_FLIGHT
                    + ", circuit breaker defaults (50 % of the last 20 calls, at least 10, open 10 s, 3 trial calls).");
            FaultFigures.note("Traffic unless said otherwise: 6 closed-loop clients (2 logging in, 2 on a required route,"
                    + " 1 on an optional route, 1 on a public route), 50 ms think time; bound = the fault's timeout"
                    + " + 500 ms; recovery = from the fault's end to the first success of each kind of request after"
                    + " which every request sent succeeds (the latest kind counts); heap = used after System.gc(),"
                    + " before the traffic starts and after it stops.");
            FaultBench started = bench;
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                started.gateway.close();
                started.downstream.close();
                started.backends.close();
            }, "fault-bench-stop"));
        }
        return bench;
    }

    /** A fresh code for a new user of the first mini-program. */
    String newCode() {
        return backends.issueCode(backends.newUser());
    }

    /** A fresh code for a new user of {@code appid}. */
    String newCode(String appid) {
        return backends.issueCode(backends.newUser(appid, false));
    }

    /**
     * Waits until a login, a token on the required and optional routes and the public route all work three times in a
     * row (a breaker opened by an earlier fault may need its open time to pass); fails when they do not within
     * {@code max}.
     */
    void awaitHealthy(Duration max) {
        long deadline = System.nanoTime() + max.toNanos();
        int inARow = 0;
        String last = "";
        while (inARow < 3) {
            FaultClient.Reply login = client.send(client.login(newCode(), null));
            boolean ok = login.status() == 200 && login.token() != null;
            last = "login " + login.outcome();
            if (ok) {
                for (String path : List.of(REQUIRED, OPTIONAL, PUBLIC)) {
                    FaultClient.Reply reply = client.send(client.get(path, path.equals(PUBLIC) ? null : login.token()));
                    ok &= reply.status() == 200;
                    last = path + " " + reply.outcome();
                }
            }
            inARow = ok ? inARow + 1 : 0;
            if (inARow < 3) {
                if (System.nanoTime() - deadline > 0) {
                    throw new AssertionError("the gateway is not healthy before the fault, after " + max.toMillis()
                            + " ms: last " + last);
                }
                pause(Duration.ofMillis(ok ? 0 : 100));
            }
        }
    }

    /** Heap in use after two full collections, in bytes. */
    static long heapAfterGc() {
        for (int i = 0; i < 2; i++) {
            System.gc();
            pause(Duration.ofMillis(50));
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    /** Kills the Redis process with SIGKILL, as the kernel's OOM killer or a crash would; {@code restart()} brings it back. */
    void killRedis() {
        String info = (String) RedisCli.call(backends.redis.port(), "INFO", "server");
        long pid = info.lines().filter(line -> line.startsWith("process_id:"))
                .mapToLong(line -> Long.parseLong(line.substring("process_id:".length()).trim()))
                .findFirst().orElseThrow(() -> new IllegalStateException("no process_id in INFO server"));
        try {
            Process kill = new ProcessBuilder("kill", "-KILL", Long.toString(pid)).redirectErrorStream(true).start();
            if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
                throw new IllegalStateException("kill -KILL " + pid + " failed");
            }
        } catch (IOException failure) {
            throw new UncheckedIOException(failure);
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(interrupted);
        }
    }

    static void pause(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(interrupted);
        }
    }

    private static Path writeRoutes(String downstream) {
        String yaml = """
                routes:
                  - id: login
                    uri: no://op
                    predicates: [Path=/wx/login]
                    metadata: { auth: login }
                  - id: orders
                    uri: %1$s
                    predicates: [Path=/api/orders/**]
                    metadata: { auth: required, response-timeout: %2$d }
                  - id: catalog
                    uri: %1$s
                    predicates: [Path=/api/catalog/**]
                    metadata: { auth: optional, response-timeout: %2$d }
                  - id: status
                    uri: %1$s
                    predicates: [Path=/api/status/**]
                    metadata: { auth: public, response-timeout: %2$d }
                """.formatted(downstream, RESPONSE_TIMEOUT.toMillis());
        try {
            Path directory = Files.createTempDirectory("fault-routes-");
            directory.toFile().deleteOnExit();
            Path file = directory.resolve("routes.yml");
            Files.writeString(file, yaml);
            file.toFile().deleteOnExit();
            return file;
        } catch (IOException failure) {
            throw new UncheckedIOException(failure);
        }
    }
}
