package dev.wechatauth.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lettuce.core.RedisURI;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import java.nio.file.Files;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class RedisClusterSetTest {

    private RedisClusterSet redis;

    @AfterEach
    void closeRedis() {
        if (redis != null) {
            redis.close();
        }
    }

    @Test
    void formsWithClusterStateOkKeysInDifferentSlotsLandOnDifferentPrimariesAndCleansUp() {
        redis = RedisClusterSet.start();

        assertThat(redis.nodes()).hasSize(6).allMatch(node -> node.matches("127\\.0\\.0\\.1:\\d+")).doesNotHaveDuplicates();
        for (int port : redis.ports()) {
            String info = Resp.string(port, "CLUSTER", "INFO");
            assertThat(info).contains("cluster_state:ok", "cluster_slots_assigned:16384", "cluster_known_nodes:6",
                    "cluster_size:3");
        }
        assertThat(redis.primaryPorts()).hasSize(3).containsExactlyInAnyOrderElementsOf(redis.ports().subList(0, 3));

        Map<Integer, String> keyByPrimary = keysOnEveryPrimary(redis);
        assertThat(keyByPrimary).hasSize(3);
        keyByPrimary.forEach((port, key) -> {
            assertThat(Resp.command(port, "SET", key, "on " + port)).isEqualTo("OK");
            int otherPrimary = redis.primaryPorts().stream().filter(p -> !p.equals(port)).findFirst().orElseThrow();
            assertThatThrownBy(() -> Resp.command(otherPrimary, "GET", key))
                    .isInstanceOfSatisfying(Resp.ErrorReply.class, error -> assertThat(error.getMessage())
                            .isEqualTo("MOVED " + redis.slotOf(key) + " 127.0.0.1:" + port));
        });

        // a cluster client routes each key to the primary that holds it
        withLettuce(redis, connection -> keyByPrimary.forEach((port, key) -> {
            assertThat(connection.sync().get(key)).isEqualTo("on " + port);
            connection.sync().set(key, "lettuce");
        }));
        keyByPrimary.forEach((port, key) -> assertThat(Resp.string(port, "GET", key)).isEqualTo("lettuce"));

        // close kills all six nodes and deletes the temp directory
        List<Long> pids = redis.processes().stream().map(RedisNode::pid).toList();
        assertThat(pids).hasSize(6);
        redis.close();
        assertThat(pids).noneMatch(pid -> ProcessHandle.of(pid).filter(ProcessHandle::isAlive).isPresent());
        assertThat(Files.exists(redis.directory())).isFalse();
    }

    @Test
    void killingAPrimaryPromotesItsReplicaWithinTenSeconds() {
        redis = RedisClusterSet.start();
        String key = "session:failover";
        int oldPrimary = redis.primaryPortForKey(key);
        int replica = redis.ports().get(3 + redis.ports().indexOf(oldPrimary)); // node i+3 replicates node i
        Resp.command(oldPrimary, "SET", key, "kept");
        assertThat(Resp.command(oldPrimary, "WAIT", "1", "2000")).isEqualTo(1L);

        redis.killPrimaryOf(key);
        Duration took = redis.awaitFailover(Duration.ofSeconds(10));

        System.out.println("cluster failover took " + took.toMillis() + " ms");
        assertThat(took).isLessThan(Duration.ofSeconds(10));
        assertThat(redis.primaryPortForKey(key)).isEqualTo(replica);
        assertThat(redis.primaryPorts()).hasSize(3).doesNotContain(oldPrimary).contains(replica);
        assertThat((List<?>) Resp.command(replica, "ROLE")).first().isEqualTo("master");
        assertThat(Resp.string(replica, "GET", key)).isEqualTo("kept");
        for (int port : redis.ports()) {
            if (port != oldPrimary) {
                assertThat(Resp.string(port, "CLUSTER", "INFO")).contains("cluster_state:ok");
            }
        }
        // a new cluster client, seeded with all six nodes (the dead one too), reads and writes every slot
        withLettuce(redis, connection -> {
            assertThat(connection.sync().get(key)).isEqualTo("kept");
            keysOnEveryPrimary(redis).values().forEach(k -> assertThat(connection.sync().set(k, "after")).isEqualTo("OK"));
        });
    }

    /** One key per primary: key-0, key-1... until every primary has one. */
    private static Map<Integer, String> keysOnEveryPrimary(RedisClusterSet redis) {
        Map<Integer, String> keyByPrimary = new LinkedHashMap<>();
        for (int i = 0; keyByPrimary.size() < 3 && i < 100; i++) {
            keyByPrimary.putIfAbsent(redis.primaryPortForKey("key-" + i), "key-" + i);
        }
        return keyByPrimary;
    }

    private static void withLettuce(RedisClusterSet redis, Consumer<StatefulRedisClusterConnection<String, String>> use) {
        List<RedisURI> seeds = redis.ports().stream()
                .map(port -> RedisURI.Builder.redis("127.0.0.1", port).withTimeout(Duration.ofSeconds(5)).build())
                .toList();
        RedisClusterClient client = RedisClusterClient.create(seeds);
        try (StatefulRedisClusterConnection<String, String> connection = client.connect()) {
            use.accept(connection);
        } finally {
            client.shutdown(0, 2, TimeUnit.SECONDS);
        }
    }
}
