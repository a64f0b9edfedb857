package dev.wechatauth.bench.soak;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import dev.wechatauth.bench.WechatSandbox;
import dev.wechatauth.testkit.RedisSentinelSet;
import dev.wechatauth.testkit.Resp;

/**
 * bench/soak's driver: load held under Redis faults. Starts a Redis Sentinel set of real processes (primary, replica,
 * three sentinels; append-only persistence, as in production), a WeChat stand-in with a fixed latency, a downstream,
 * and two gateways ({@code java -Xmx256m -jar gateway.jar}) on that set; makes the sessions; runs mixed traffic on both
 * gateways ({@link Traffic}) while sampling their memory ({@link MemorySampler}); in the middle kills the primary and
 * starts it again on the same port (fault 1), later kills it for good so that the sentinels fail over (fault 2);
 * then checks every session and writes the report ({@link SoakReport}).
 *
 * <pre>
 * java -cp … dev.wechatauth.bench.soak.Soak --jar gateway.jar --out DIR --work DIR [--smoke] [--latency-ms 100]
 *     [--gateway-cpu N] [--jcmd PATH] [--commit SHA] [--command "bench/run --soak"]
 * </pre>
 */
public final class Soak {

    private final Options options;
    private final SoakPlan plan;
    private final List<FaultWindow> faults = new ArrayList<>();
    private final List<String> events = new ArrayList<>();

    private Soak(Options options) {
        this.options = options;
        this.plan = options.smoke ? SoakPlan.smoke() : SoakPlan.full();
    }

    public static void main(String[] args) {
        try {
            new Soak(Options.parse(args)).run();
        } catch (Throwable failure) {
            failure.printStackTrace();
            System.exit(1);
        }
        System.exit(0); // no library thread left behind may keep the JVM up
    }

    private void run() throws IOException {
        Instant began = Instant.now();
        long beganNanos = System.nanoTime();
        Files.createDirectories(options.out);
        Files.createDirectories(options.work);
        log("starting a Redis Sentinel set (primary, replica, 3 sentinels; appendonly yes; down-after "
                + plan.downAfter().toMillis() + " ms)");
        try (RedisSentinelSet redis = RedisSentinelSet.startPersistent(plan.downAfter());
                WechatSandbox wechat = new WechatSandbox(0, Duration.ofMillis(options.latencyMs));
                OkDownstream downstream = new OkDownstream()) {
            List<String> properties = gatewayProperties(redis, wechat, downstream);
            log("starting gateways A and B (java -Xmx256m -jar " + options.jar.getFileName() + ")");
            CompletableFuture<GatewayInstance> startA = CompletableFuture.supplyAsync(() -> startGateway("A", properties));
            CompletableFuture<GatewayInstance> startB = CompletableFuture.supplyAsync(() -> startGateway("B", properties));
            try (GatewayInstance a = startA.join(); GatewayInstance b = startB.join()) {
                List<GatewayInstance> gateways = List.of(a, b);
                soak(redis, gateways, began, beganNanos);
            } finally {
                startA.thenAccept(GatewayInstance::close);
                startB.thenAccept(GatewayInstance::close);
            }
        }
    }

    private void soak(RedisSentinelSet redis, List<GatewayInstance> gateways, Instant began, long beganNanos)
            throws IOException {
        Sessions sessions = new Sessions();
        String codePrefix = "soak" + System.currentTimeMillis();
        try (Traffic traffic = new Traffic(gateways, sessions, plan, codePrefix);
                MemorySampler memory = new MemorySampler(gateways, plan, options.jcmd)) {
            log("making " + plan.sessions() + " sessions (logins, half on each gateway)");
            long setupStart = System.nanoTime();
            traffic.makeSessions(plan.sessions(), plan.setupConcurrency(), Duration.ofSeconds(120));
            Duration setup = Duration.ofNanos(System.nanoTime() - setupStart);

            log("traffic on both gateways; faults after " + plan.beforeFaults().toSeconds() + " s");
            long t0 = System.nanoTime();
            traffic.start();
            memory.start();
            GatewayInstance.sleep(plan.beforeFaults());
            restartThePrimary(redis);
            GatewayInstance.sleep(plan.betweenFaults());
            failOver(redis);
            GatewayInstance.sleep(plan.tail());
            log("stopping the traffic");
            traffic.stop(Duration.ofSeconds(15));
            long t1 = System.nanoTime();
            memory.fullGcNow();
            memory.close();

            log("checking every session on both gateways");
            Traffic.Checked checked = traffic.checkSessions(Duration.ofSeconds(180));
            long keys = keysOnThePrimary(redis);
            SoakReport report = new SoakReport(plan, options, began, beganNanos, t0, t1, setup, traffic.setupAnswers(),
                    traffic.calls(), traffic.logouts(), checked, sessions.rejections(), memory.samples(), faults,
                    events, traffic.skipped(), keys, gateways.stream().map(g -> g.errorLines(20)).toList());
            report.write(options.out);
            System.out.println(report.summary());
        }
    }

    /** Fault 1: the primary SIGKILLed and started again on its port after {@link SoakPlan#primaryDown()}. */
    private void restartThePrimary(RedisSentinelSet redis) {
        int primary = redis.currentPrimaryPort();
        log("fault 1: killing the Redis primary (port " + primary + "), starting it again in "
                + plan.primaryDown().toMillis() + " ms");
        long start = System.nanoTime();
        redis.killPrimary();
        GatewayInstance.sleep(plan.primaryDown());
        redis.restartNode(primary);
        long recovered = System.nanoTime();
        int after = redis.currentPrimaryPort();
        event(start, "fault 1: primary (port " + primary + ") killed");
        event(recovered, "fault 1: primary started again on port " + primary + " and answering; the sentinels name "
                + (after == primary ? "it as primary still (no failover)" : "port " + after + " (a failover happened)"));
        faults.add(new FaultWindow("fault 1", "primary killed (SIGKILL), started again on the same port "
                + plan.primaryDown().toMillis() + " ms later (append-only file)", start, recovered,
                recovered + plan.faultMargin().toNanos()));
    }

    /**
     * Fault 2: the primary SIGKILLed for good; the sentinels promote the replica after down-after; then the old primary
     * is started again, and the sentinels make it the new primary's replica.
     */
    private void failOver(RedisSentinelSet redis) {
        int primary = redis.currentPrimaryPort();
        log("fault 2: killing the Redis primary (port " + primary + ") for a Sentinel failover");
        long start = System.nanoTime();
        redis.killPrimary();
        Duration took = redis.awaitFailover(Duration.ofSeconds(60));
        long recovered = System.nanoTime();
        event(start, "fault 2: primary (port " + primary + ") killed");
        event(recovered, "fault 2: the sentinels agree on the promoted replica (port " + redis.currentPrimaryPort()
                + "), " + took.toMillis() + " ms after the kill");
        faults.add(new FaultWindow("fault 2", "primary killed (SIGKILL) for good: Sentinel failover to the replica "
                + "(down-after " + plan.downAfter().toMillis() + " ms)", start, recovered,
                recovered + plan.faultMargin().toNanos()));
        redis.restartNode(primary);
        event(System.nanoTime(), "fault 2: the old primary started again on port " + primary
                + " (the sentinels make it a replica)");
    }

    private static long keysOnThePrimary(RedisSentinelSet redis) {
        try {
            return (Long) Resp.command(redis.currentPrimaryPort(), "DBSIZE");
        } catch (RuntimeException e) {
            return -1;
        }
    }

    private List<String> gatewayProperties(RedisSentinelSet redis, WechatSandbox wechat, OkDownstream downstream)
            throws IOException {
        Path routes = options.work.resolve("routes.yml");
        Files.writeString(routes, """
                routes:
                  - id: login
                    uri: no://op
                    predicates: [Path=/wx/login]
                    metadata: { auth: login }
                  - id: required
                    uri: %s
                    predicates: [Path=/api/**]
                    metadata: { auth: required }
                """.formatted(downstream.baseUrl()));
        return List.of(
                "spring.data.redis.sentinel.master=" + redis.masterName(),
                "spring.data.redis.sentinel.nodes=" + String.join(",", redis.sentinelNodes()),
                "wechat.auth.apps[0].appid=wxsoak",
                "wechat.auth.apps[0].secret=soak-secret",
                "wechat.auth.api-base-url=http://127.0.0.1:" + wechat.port(),
                "gateway.routes-file=" + routes,
                "wechat.auth.login-limit.requests=100000000",
                "wechat.auth.login.max-in-flight=4096");
    }

    private GatewayInstance startGateway(String name, List<String> properties) {
        List<String> launcher = options.gatewayCpu == null ? List.of()
                : List.of("taskset", "-c", options.gatewayCpu);
        return GatewayInstance.start(name, launcher, options.java, options.jar, properties, options.work);
    }

    private synchronized void event(long at, String what) {
        events.add(at + "\t" + what);
    }

    static void log(String message) {
        System.err.println("== " + message);
    }

    /** The command line. */
    static final class Options {
        Path jar;
        Path out;
        Path work;
        boolean smoke;
        long latencyMs = 100;
        String gatewayCpu;
        String jcmd;
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String commit = "unknown";
        String command = "bench/run --soak";

        static Options parse(String[] args) {
            Options options = new Options();
            for (int i = 0; i < args.length; i++) {
                String value = i + 1 < args.length ? args[i + 1] : null;
                switch (args[i]) {
                    case "--smoke" -> {
                        options.smoke = true;
                        continue;
                    }
                    case "--jar" -> options.jar = Path.of(required(args[i], value));
                    case "--out" -> options.out = Path.of(required(args[i], value));
                    case "--work" -> options.work = Path.of(required(args[i], value));
                    case "--latency-ms" -> options.latencyMs = Long.parseLong(required(args[i], value));
                    case "--gateway-cpu" -> options.gatewayCpu = required(args[i], value);
                    case "--jcmd" -> options.jcmd = required(args[i], value);
                    case "--java" -> options.java = required(args[i], value);
                    case "--commit" -> options.commit = required(args[i], value);
                    case "--command" -> options.command = required(args[i], value);
                    default -> throw new IllegalArgumentException("unknown option " + args[i]);
                }
                i++;
            }
            if (options.jar == null || options.out == null || options.work == null) {
                throw new IllegalArgumentException("--jar, --out and --work are required");
            }
            return options;
        }

        private static String required(String option, String value) {
            if (value == null) {
                throw new IllegalArgumentException(option + " needs a value");
            }
            return value;
        }
    }
}
