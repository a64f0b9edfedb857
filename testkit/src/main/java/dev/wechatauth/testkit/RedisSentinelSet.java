package dev.wechatauth.testkit;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A Redis Sentinel deployment of real processes on 127.0.0.1: a primary, one replica ({@code replicaof}) and three
 * sentinels ({@code redis-server <conf> --sentinel}) monitoring {@value #MASTER_NAME} with quorum 2,
 * {@code down-after-milliseconds 1000} and {@code failover-timeout 5000}. Each process has its own directory (sentinels
 * rewrite their config file) under one temp directory that {@link #close()} deletes.
 *
 * <p>{@link #start()} returns once every sentinel sees the primary, its replica (link up) and the two other sentinels,
 * so a failover can start right away. {@link #killPrimary()} SIGKILLs the current primary;
 * {@link #awaitFailover(Duration)} waits until every sentinel names the promoted replica. That is one failover per
 * set, unless {@link #restartNode(int)} starts the killed node again (the sentinels then make it a replica of the new
 * primary).
 *
 * <p>{@link #start()} runs the data nodes without persistence, as tests want them. {@link #startPersistent(Duration)}
 * runs them as an operator would in production, with {@code appendonly yes} ({@code appendfsync everysec}): a primary
 * killed and started again with {@link #restartNode(int)} loads what it had acknowledged, since Redis writes the
 * append-only file before it answers (a killed process loses nothing the kernel has; only a machine crash would lose
 * up to a second).
 *
 * <pre>{@code
 * try (RedisSentinelSet redis = RedisSentinelSet.start()) {
 *     // spring.data.redis.sentinel.master = redis.masterName()
 *     // spring.data.redis.sentinel.nodes  = String.join(",", redis.sentinelNodes())
 *     redis.killPrimary();
 *     Duration took = redis.awaitFailover(Duration.ofSeconds(10));
 * }
 * }</pre>
 */
public final class RedisSentinelSet implements AutoCloseable {

    /** The master name the sentinels monitor. */
    public static final String MASTER_NAME = "mymaster";
    static final int SENTINELS = 3;
    static final int QUORUM = 2;
    static final int DOWN_AFTER_MILLIS = 1000;
    static final int FAILOVER_TIMEOUT_MILLIS = 5000;

    private static final Duration START_TIMEOUT = Duration.ofSeconds(20);
    private static final int SENTINEL_START_ATTEMPTS = 3;
    private static final List<String> DATA_CONFIG = List.of("save \"\"", "appendonly no");
    private static final List<String> PERSISTENT_DATA_CONFIG = List.of("save \"\"", "appendonly yes",
            "appendfsync everysec");
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path root;
    private final List<String> dataConfig;
    private final long downAfterMillis;
    private final Map<Integer, RedisNode> dataNodes = new LinkedHashMap<>();
    private final List<RedisNode> sentinels = new ArrayList<>();
    private int primaryPort;
    private int replicaPort;
    private int failedPrimaryPort = -1;
    private long failedAtNanos;

    private RedisSentinelSet(Path root, List<String> dataConfig, long downAfterMillis) {
        this.root = root;
        this.dataConfig = dataConfig;
        this.downAfterMillis = downAfterMillis;
    }

    /** Starts primary, replica and sentinels; throws {@link IllegalStateException} (having cleaned up) if it cannot. */
    public static RedisSentinelSet start() {
        return start(DATA_CONFIG, DOWN_AFTER_MILLIS);
    }

    /**
     * As {@link #start()}, with the data nodes persisting to an append-only file ({@code appendonly yes},
     * {@code appendfsync everysec}) and the sentinels declaring a primary down after {@code downAfter} without an
     * answer: a primary killed and {@linkplain #restartNode restarted} within that time is no failover.
     */
    public static RedisSentinelSet startPersistent(Duration downAfter) {
        return start(PERSISTENT_DATA_CONFIG, downAfter.toMillis());
    }

    private static RedisSentinelSet start(List<String> dataConfig, long downAfterMillis) {
        return RedisNode.started(new RedisSentinelSet(RedisNode.tempDirectory("redis-sentinel-set-"), dataConfig,
                downAfterMillis), RedisSentinelSet::startProcesses);
    }

    private void startProcesses() {
        RedisNode primary = RedisNode.start("primary", root.resolve("primary"), FreePort::next, port -> dataConfig);
        dataNodes.put(primary.port(), primary);
        primaryPort = primary.port();

        List<String> replicaConfig = new ArrayList<>(dataConfig);
        replicaConfig.add("replicaof 127.0.0.1 " + primaryPort);
        RedisNode replica = RedisNode.start("replica", root.resolve("replica"), FreePort::next, port -> replicaConfig);
        dataNodes.put(replica.port(), replica);
        replicaPort = replica.port();
        RedisNode.waitUntil("the replica to sync with the primary", START_TIMEOUT, () -> {
            String replication = Resp.string(replicaPort, "INFO", "replication");
            if (!replication.contains("master_link_status:up")) {
                throw new AssertionError("the replica says " + replication.replace("\r\n", " "));
            }
        });

        startSentinels();
        RedisNode.waitUntil("the sentinels to see the primary, its replica and each other", START_TIMEOUT,
                this::sentinelsReady);
    }

    /**
     * Starts the sentinels with each other's ids and ports and the replica already in their config (known-sentinel,
     * known-replica), so they need not wait for hello messages and INFO periods to find them. Should a port turn out
     * to be taken, all three start again on new ports.
     */
    private void startSentinels() {
        RedisNode.PortInUse taken = null;
        for (int attempt = 0; attempt < SENTINEL_START_ATTEMPTS; attempt++) {
            Set<Integer> portSet = new LinkedHashSet<>();
            while (portSet.size() < SENTINELS) {
                portSet.add(FreePort.next());
            }
            List<Integer> ports = new ArrayList<>(portSet);
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < SENTINELS; i++) {
                byte[] id = new byte[20];
                RANDOM.nextBytes(id);
                ids.add(HexFormat.of().formatHex(id));
            }
            try {
                for (int i = 0; i < SENTINELS; i++) {
                    List<String> config = new ArrayList<>();
                    config.add("sentinel myid " + ids.get(i));
                    config.add("sentinel monitor " + MASTER_NAME + " 127.0.0.1 " + primaryPort + " " + QUORUM);
                    config.add("sentinel down-after-milliseconds " + MASTER_NAME + " " + downAfterMillis);
                    config.add("sentinel failover-timeout " + MASTER_NAME + " " + FAILOVER_TIMEOUT_MILLIS);
                    config.add("sentinel parallel-syncs " + MASTER_NAME + " 1");
                    config.add("sentinel known-replica " + MASTER_NAME + " 127.0.0.1 " + replicaPort);
                    for (int j = 0; j < SENTINELS; j++) {
                        if (j != i) {
                            config.add("sentinel known-sentinel " + MASTER_NAME + " 127.0.0.1 " + ports.get(j) + " "
                                    + ids.get(j));
                        }
                    }
                    sentinels.add(RedisNode.startOn("sentinel-" + (i + 1), root.resolve("sentinel-" + (i + 1)),
                            ports.get(i), config, "--sentinel"));
                }
                return;
            } catch (RedisNode.PortInUse e) {
                taken = e;
                sentinels.forEach(RedisNode::kill);
                sentinels.clear();
            }
        }
        throw taken;
    }

    private void sentinelsReady() {
        for (RedisNode sentinel : sentinels) {
            int port = sentinel.port();
            int named = masterPort(Resp.command(port, "SENTINEL", "get-master-addr-by-name", MASTER_NAME));
            Map<String, String> master = fields(Resp.command(port, "SENTINEL", "master", MASTER_NAME));
            List<Map<String, String>> replicas = entries(Resp.command(port, "SENTINEL", "replicas", MASTER_NAME));
            List<Map<String, String>> others = entries(Resp.command(port, "SENTINEL", "sentinels", MASTER_NAME));
            boolean ready = named == primaryPort
                    && "master".equals(master.get("flags"))
                    && replicas.size() == 1
                    && String.valueOf(replicaPort).equals(replicas.get(0).get("port"))
                    && "slave".equals(replicas.get(0).get("flags"))
                    && "ok".equals(replicas.get(0).get("master-link-status"))
                    && others.size() == SENTINELS - 1
                    && others.stream().allMatch(other -> "sentinel".equals(other.get("flags")));
            if (!ready) {
                throw new AssertionError(sentinel + " sees master " + master.get("flags") + " on " + named
                        + ", replicas " + replicas + ", sentinels " + others);
            }
        }
    }

    /** {@value #MASTER_NAME}, for {@code spring.data.redis.sentinel.master}. */
    public String masterName() {
        return MASTER_NAME;
    }

    /** The sentinels as {@code 127.0.0.1:PORT}, for {@code spring.data.redis.sentinel.nodes}. */
    public List<String> sentinelNodes() {
        return sentinels.stream().map(RedisNode::address).toList();
    }

    /** The sentinels' ports, for raw {@code SENTINEL ...} commands through {@link Resp}. */
    public List<Integer> sentinelPorts() {
        return sentinels.stream().map(RedisNode::port).toList();
    }

    /** The port of the primary as started (before any failover). */
    public int primaryPort() {
        return primaryPort;
    }

    /** The port of the replica as started (the one a failover promotes). */
    public int replicaPort() {
        return replicaPort;
    }

    /** The primary's port as the first sentinel that answers names it ({@code SENTINEL get-master-addr-by-name}). */
    public int currentPrimaryPort() {
        RuntimeException failure = null;
        for (RedisNode sentinel : sentinels) {
            if (!sentinel.isAlive()) {
                continue;
            }
            try {
                return masterPort(Resp.command(sentinel.port(), "SENTINEL", "get-master-addr-by-name", MASTER_NAME));
            } catch (RuntimeException e) {
                failure = e;
            }
        }
        throw new IllegalStateException("no sentinel names a primary", failure);
    }

    /** SIGKILLs the current primary (as the sentinels name it). {@link #awaitFailover} then waits for its successor. */
    public void killPrimary() {
        int port = currentPrimaryPort();
        RedisNode primary = dataNodes.get(port);
        if (primary == null || !primary.isAlive()) {
            throw new IllegalStateException("the sentinels name primary port " + port + ", which is not a running node here");
        }
        primary.kill();
        failedPrimaryPort = port;
        failedAtNanos = System.nanoTime();
    }

    /**
     * Starts the data node of {@code port} again after {@link #killPrimary()} killed it: on the same port, from its own
     * directory (its config file as the sentinels may have rewritten it, its append-only file when
     * {@linkplain #startPersistent persistent}); returns once it answers. Back within the sentinels' down-after time,
     * a primary stays the primary; after a failover the sentinels make it a replica of the new one.
     */
    public void restartNode(int port) {
        RedisNode node = dataNodes.get(port);
        if (node == null) {
            throw new IllegalArgumentException("no data node of this set on port " + port);
        }
        dataNodes.put(port, node.restarted());
    }

    /**
     * Polls the sentinels until every one of them names the same primary other than the one {@link #killPrimary()}
     * killed (or, without a kill, other than the current one), and that node says it is a master. Waits at most
     * {@code max} from this call and throws {@link IllegalStateException} if that is not enough.
     *
     * @return the time from the kill (or from this call, without a kill) to the sentinels agreeing on the new primary
     */
    public Duration awaitFailover(Duration max) {
        int old = failedPrimaryPort > 0 ? failedPrimaryPort : currentPrimaryPort();
        long from = failedPrimaryPort > 0 ? failedAtNanos : System.nanoTime();
        RedisNode.waitUntil("the sentinels to promote a new primary instead of port " + old, max, () -> {
            List<Integer> named = new ArrayList<>();
            for (RedisNode sentinel : sentinels) {
                if (sentinel.isAlive()) {
                    named.add(masterPort(Resp.command(sentinel.port(), "SENTINEL", "get-master-addr-by-name", MASTER_NAME)));
                }
            }
            int candidate = named.get(0);
            if (candidate == old || named.stream().anyMatch(port -> port != candidate)) {
                throw new AssertionError("the sentinels name " + named);
            }
            Object role = Resp.command(candidate, "ROLE");
            if (!(role instanceof List<?> parts) || !"master".equals(parts.get(0))) {
                throw new AssertionError("port " + candidate + " has role " + role);
            }
        });
        Duration took = Duration.ofNanos(System.nanoTime() - from);
        failedPrimaryPort = -1;
        return took;
    }

    /** Kills every process (sentinels first) and deletes the temp directory. */
    @Override
    public void close() {
        List<RedisNode> all = new ArrayList<>(sentinels);
        all.addAll(dataNodes.values());
        RedisNode.killAll(all, root);
    }

    /** The temp directory holding every process's config, data and log. */
    Path directory() {
        return root;
    }

    /** Every process of the set: the data nodes, then the sentinels. */
    List<RedisNode> processes() {
        List<RedisNode> all = new ArrayList<>(dataNodes.values());
        all.addAll(sentinels);
        return all;
    }

    private static int masterPort(Object reply) {
        if (reply instanceof List<?> address && address.size() == 2) {
            return Integer.parseInt((String) address.get(1));
        }
        throw new IllegalStateException("unexpected get-master-addr-by-name reply: " + reply);
    }

    /** A flat [field, value, field, value...] reply as a map. */
    static Map<String, String> fields(Object reply) {
        Map<String, String> map = new LinkedHashMap<>();
        List<?> list = (List<?>) reply;
        for (int i = 0; i + 1 < list.size(); i += 2) {
            map.put(String.valueOf(list.get(i)), String.valueOf(list.get(i + 1)));
        }
        return map;
    }

    private static List<Map<String, String>> entries(Object reply) {
        return ((List<?>) reply).stream().map(RedisSentinelSet::fields).toList();
    }
}
