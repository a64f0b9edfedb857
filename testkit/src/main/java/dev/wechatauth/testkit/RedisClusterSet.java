package dev.wechatauth.testkit;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A Redis Cluster of six real redis-server processes on 127.0.0.1: three primaries holding slots 0-5460, 5461-10922
 * and 10923-16383, each with one replica, {@code cluster-node-timeout 1000}. Each node has its own directory (and
 * {@code nodes.conf}) under one temp directory that {@link #close()} deletes. The cluster is built the way
 * {@code redis-cli --cluster create} does it, over {@link Resp}: {@code CLUSTER SET-CONFIG-EPOCH},
 * {@code CLUSTER ADDSLOTS} (in batches, as Redis 6.2 has no {@code ADDSLOTSRANGE}), {@code CLUSTER MEET},
 * {@code CLUSTER REPLICATE}.
 *
 * <p>{@link #killPrimaryOf(String)} SIGKILLs the primary of a key's slot; {@link #awaitFailover(Duration)} waits until
 * its replica serves those slots and every node says {@code cluster_state:ok}. The killed node stays dead (and listed
 * as failed by the others), so each slot range can fail over once.
 *
 * <p>Redis 6.2 puts the cluster bus on port + 10000, so the nodes listen on ports in 10000-39999 whose bus port is free
 * too (not on {@link FreePort}'s ephemeral ones, whose bus port may not exist).
 *
 * <pre>{@code
 * try (RedisClusterSet redis = RedisClusterSet.start()) {
 *     // spring.data.redis.cluster.nodes = String.join(",", redis.nodes())
 *     redis.killPrimaryOf("some-key");
 *     Duration took = redis.awaitFailover(Duration.ofSeconds(10));
 * }
 * }</pre>
 */
public final class RedisClusterSet implements AutoCloseable {

    static final int PRIMARIES = 3;
    static final int SLOTS = 16384;
    static final int NODE_TIMEOUT_MILLIS = 1000;

    private static final Duration START_TIMEOUT = Duration.ofSeconds(20);
    private static final int ADDSLOTS_BATCH = 1000;
    private static final int BUS_PORT_OFFSET = 10000;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path root;
    private final List<RedisNode> nodes = new ArrayList<>();
    private final List<String> ids = new ArrayList<>();
    private int failedPrimaryPort = -1;
    private long failedSlot = -1;
    private long failedAtNanos;

    private RedisClusterSet(Path root) {
        this.root = root;
    }

    /**
     * Starts the six nodes and builds the cluster; returns once every node says {@code cluster_state:ok} and sees
     * three primaries with one synced replica each. Throws {@link IllegalStateException} (having cleaned up) if not.
     */
    public static RedisClusterSet start() {
        return RedisNode.started(new RedisClusterSet(RedisNode.tempDirectory("redis-cluster-set-")), set -> {
            set.startProcesses();
            set.form();
        });
    }

    private void startProcesses() {
        for (int i = 0; i < 2 * PRIMARIES; i++) {
            String name = "node-" + (i + 1);
            Path directory = root.resolve(name);
            List<String> config = List.of(
                    "save \"\"",
                    "appendonly no",
                    "cluster-enabled yes",
                    "cluster-config-file " + directory.resolve("nodes.conf").toAbsolutePath(),
                    "cluster-node-timeout " + NODE_TIMEOUT_MILLIS,
                    "cluster-announce-ip 127.0.0.1");
            nodes.add(RedisNode.start(name, directory, RedisClusterSet::portWithFreeBusPort, port -> config));
        }
    }

    private void form() {
        for (int i = 0; i < nodes.size(); i++) {
            int port = nodes.get(i).port();
            ids.add(Resp.string(port, "CLUSTER", "MYID"));
            // distinct epochs up front, as redis-cli does, instead of the slower collision resolution
            Resp.command(port, "CLUSTER", "SET-CONFIG-EPOCH", Integer.toString(i + 1));
        }
        for (int p = 0; p < PRIMARIES; p++) {
            int first = p * SLOTS / PRIMARIES;
            int last = (p + 1) * SLOTS / PRIMARIES - 1;
            try (Resp primary = Resp.connect(nodes.get(p).port())) {
                for (int from = first; from <= last; from += ADDSLOTS_BATCH) {
                    int to = Math.min(last, from + ADDSLOTS_BATCH - 1);
                    String[] command = new String[2 + to - from + 1];
                    command[0] = "CLUSTER";
                    command[1] = "ADDSLOTS";
                    for (int slot = from; slot <= to; slot++) {
                        command[2 + slot - from] = Integer.toString(slot);
                    }
                    primary.call(command);
                }
            }
        }
        int first = nodes.get(0).port();
        for (RedisNode node : nodes.subList(1, nodes.size())) {
            Resp.command(first, "CLUSTER", "MEET", "127.0.0.1", Integer.toString(node.port()));
        }
        RedisNode.waitUntil("every node to know the other five", START_TIMEOUT, () -> {
            for (RedisNode node : nodes) {
                List<String> lines = clusterNodes(node.port());
                if (lines.size() != nodes.size()
                        || lines.stream().anyMatch(line -> line.contains("handshake") || line.contains("noaddr"))) {
                    throw new AssertionError(node + " knows " + lines);
                }
            }
        });
        for (int r = 0; r < PRIMARIES; r++) {
            Resp.command(nodes.get(PRIMARIES + r).port(), "CLUSTER", "REPLICATE", ids.get(r));
        }
        RedisNode.waitUntil("cluster_state:ok and a synced replica for every primary", START_TIMEOUT, this::formed);
    }

    private void formed() {
        for (RedisNode node : nodes) {
            String info = Resp.string(node.port(), "CLUSTER", "INFO");
            if (!info.contains("cluster_state:ok") || !info.contains("cluster_known_nodes:" + nodes.size())
                    || !info.contains("cluster_size:" + PRIMARIES)) {
                throw new AssertionError(node + " says " + info.replace("\r\n", " "));
            }
            List<String> lines = clusterNodes(node.port());
            for (int r = 0; r < PRIMARIES; r++) {
                String replicaId = ids.get(PRIMARIES + r);
                String primaryId = ids.get(r);
                boolean attached = lines.stream().map(line -> line.split(" "))
                        .anyMatch(f -> f[0].equals(replicaId) && f[2].contains("slave") && f[3].equals(primaryId));
                if (!attached) {
                    throw new AssertionError(node + " does not see " + nodes.get(PRIMARIES + r) + " replicating "
                            + nodes.get(r) + ": " + lines);
                }
            }
        }
        for (RedisNode replica : nodes.subList(PRIMARIES, nodes.size())) {
            if (!Resp.string(replica.port(), "INFO", "replication").contains("master_link_status:up")) {
                throw new AssertionError(replica + " has not synced with its primary yet");
            }
        }
        // Redis 7 lists a replica in CLUSTER SLOTS only once every node has heard it is online: clients read this
        for (RedisNode node : nodes) {
            for (Object range : (List<?>) Resp.command(node.port(), "CLUSTER", "SLOTS")) {
                if (((List<?>) range).size() < 4) {
                    throw new AssertionError(node + " lists no replica in CLUSTER SLOTS for " + range);
                }
            }
        }
    }

    /** All six nodes as {@code 127.0.0.1:PORT} (killed ones included), for {@code spring.data.redis.cluster.nodes}. */
    public List<String> nodes() {
        return nodes.stream().map(RedisNode::address).toList();
    }

    /** All six nodes' ports, in the order of {@link #nodes()}. */
    public List<Integer> ports() {
        return nodes.stream().map(RedisNode::port).toList();
    }

    /** The ports of the nodes currently serving slots as primaries ({@code CLUSTER SLOTS} of a running node). */
    public List<Integer> primaryPorts() {
        Set<Integer> ports = new LinkedHashSet<>();
        for (Object range : (List<?>) Resp.command(anyRunningPort(), "CLUSTER", "SLOTS")) {
            ports.add(primaryPortOf((List<?>) range));
        }
        return List.copyOf(ports);
    }

    /** The slot of a key ({@code CLUSTER KEYSLOT}). */
    public int slotOf(String key) {
        return ((Long) Resp.command(anyRunningPort(), "CLUSTER", "KEYSLOT", key)).intValue();
    }

    /** The port of the primary serving the key's slot ({@code CLUSTER KEYSLOT}, then {@code CLUSTER SLOTS}). */
    public int primaryPortForKey(String key) {
        return primaryPortForSlot(anyRunningPort(), slotOf(key));
    }

    /** SIGKILLs the primary serving the key's slot. {@link #awaitFailover} then waits for its replica to take over. */
    public void killPrimaryOf(String key) {
        int slot = slotOf(key);
        int port = primaryPortForSlot(anyRunningPort(), slot);
        RedisNode primary = nodes.stream().filter(node -> node.port() == port).findFirst()
                .orElseThrow(() -> new IllegalStateException("slot " + slot + " is served by unknown port " + port));
        primary.kill();
        failedPrimaryPort = port;
        failedSlot = slot;
        failedAtNanos = System.nanoTime();
    }

    /**
     * After {@link #killPrimaryOf(String)}: polls every running node until all say {@code cluster_state:ok} and agree
     * on a new, running primary for the killed one's slots. Waits at most {@code max} from this call and throws
     * {@link IllegalStateException} if that is not enough.
     *
     * @return the time from the kill to the cluster being whole again
     */
    public Duration awaitFailover(Duration max) {
        if (failedPrimaryPort < 0) {
            throw new IllegalStateException("no primary was killed: call killPrimaryOf(key) first");
        }
        int old = failedPrimaryPort;
        int slot = (int) failedSlot;
        String what = "a replica to take over slot " + slot + " from port " + old + " with cluster_state:ok";
        RedisNode.waitUntil(what, max, () -> {
            Set<Integer> named = new LinkedHashSet<>();
            for (RedisNode node : nodes) {
                if (!node.isAlive()) {
                    continue;
                }
                String info = Resp.string(node.port(), "CLUSTER", "INFO");
                if (!info.contains("cluster_state:ok")) {
                    throw new AssertionError(node + " says cluster_state:fail");
                }
                named.add(primaryPortForSlot(node.port(), slot));
            }
            int candidate = named.iterator().next();
            if (named.size() != 1 || candidate == old) {
                throw new AssertionError("the nodes name " + named + " as the primary for slot " + slot);
            }
            Object role = Resp.command(candidate, "ROLE");
            if (!(role instanceof List<?> parts) || !"master".equals(parts.get(0))) {
                throw new AssertionError("port " + candidate + " has role " + role);
            }
        });
        Duration took = Duration.ofNanos(System.nanoTime() - failedAtNanos);
        failedPrimaryPort = -1;
        failedSlot = -1;
        return took;
    }

    /** Kills every node and deletes the temp directory. */
    @Override
    public void close() {
        RedisNode.killAll(nodes, root);
    }

    /** The temp directory holding every node's config, nodes.conf and log. */
    Path directory() {
        return root;
    }

    /** Every node process. */
    List<RedisNode> processes() {
        return List.copyOf(nodes);
    }

    private int anyRunningPort() {
        return nodes.stream().filter(RedisNode::isAlive).findFirst()
                .orElseThrow(() -> new IllegalStateException("no cluster node is running")).port();
    }

    private static int primaryPortForSlot(int askPort, int slot) {
        for (Object entry : (List<?>) Resp.command(askPort, "CLUSTER", "SLOTS")) {
            List<?> range = (List<?>) entry;
            if ((Long) range.get(0) <= slot && slot <= (Long) range.get(1)) {
                return primaryPortOf(range);
            }
        }
        throw new IllegalStateException("port " + askPort + " knows no node for slot " + slot);
    }

    /** From a CLUSTER SLOTS entry [start, end, [ip, port, id], replicas...]. */
    private static int primaryPortOf(List<?> range) {
        return ((Long) ((List<?>) range.get(2)).get(1)).intValue();
    }

    private static List<String> clusterNodes(int port) {
        return Arrays.stream(Resp.string(port, "CLUSTER", "NODES").split("\n"))
                .map(String::trim).filter(line -> !line.isEmpty()).toList();
    }

    /** A port in 10000-39999 that, like its cluster bus port (+10000), is free right now. */
    static int portWithFreeBusPort() {
        for (int attempt = 0; attempt < 200; attempt++) {
            int port = 10000 + RANDOM.nextInt(30000);
            if (free(port) && free(port + BUS_PORT_OFFSET)) {
                return port;
            }
        }
        throw new IllegalStateException("no free port pair (port, port + 10000) found on 127.0.0.1");
    }

    private static boolean free(int port) {
        try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
