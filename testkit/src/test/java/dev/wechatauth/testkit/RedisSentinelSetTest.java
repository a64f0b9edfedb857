package dev.wechatauth.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class RedisSentinelSetTest {

    private RedisSentinelSet redis;

    @AfterEach
    void closeRedis() {
        if (redis != null) {
            redis.close();
        }
    }

    @Test
    void formsReplicatesAWriteOnThePrimaryToTheReplicaServesLettuceAndCleansUp() {
        redis = RedisSentinelSet.start();

        assertThat(redis.masterName()).isEqualTo("mymaster");
        assertThat(redis.sentinelNodes()).hasSize(3).allMatch(node -> node.matches("127\\.0\\.0\\.1:\\d+"))
                .doesNotHaveDuplicates();
        assertThat(redis.currentPrimaryPort()).isEqualTo(redis.primaryPort());
        assertThat((List<?>) Resp.command(redis.replicaPort(), "ROLE")).first().isEqualTo("slave");
        for (int sentinel : redis.sentinelPorts()) {
            List<?> replicas = (List<?>) Resp.command(sentinel, "SENTINEL", "replicas", "mymaster");
            assertThat(RedisSentinelSet.fields(replicas.get(0))).containsEntry("port", String.valueOf(redis.replicaPort()));
            assertThat(RedisSentinelSet.fields(Resp.command(sentinel, "SENTINEL", "master", "mymaster")))
                    .containsEntry("quorum", "2")
                    .containsEntry("down-after-milliseconds", "1000")
                    .containsEntry("failover-timeout", "5000")
                    .containsEntry("num-other-sentinels", "2");
        }

        assertThat(Resp.command(redis.primaryPort(), "SET", "sentinel:k", "written on the primary")).isEqualTo("OK");

        String onReplica = await("the write to reach the replica").atMost(Duration.ofSeconds(5))
                .pollInterval(RedisNode.INTERVAL).ignoreExceptions()
                .until(() -> Resp.string(redis.replicaPort(), "GET", "sentinel:k"), Objects::nonNull);
        assertThat(onReplica).isEqualTo("written on the primary");

        // a Lettuce client finds the primary through the sentinels
        withLettuce(redis, connection -> assertThat(connection.sync().set("lettuce:k", "via sentinel")).isEqualTo("OK"));
        assertThat(Resp.string(redis.primaryPort(), "GET", "lettuce:k")).isEqualTo("via sentinel");

        // close kills all five processes and deletes the temp directory
        List<Long> pids = redis.processes().stream().map(RedisNode::pid).toList();
        assertThat(pids).hasSize(5);
        redis.close();
        assertThat(pids).noneMatch(pid -> ProcessHandle.of(pid).filter(ProcessHandle::isAlive).isPresent());
        assertThat(Files.exists(redis.directory())).isFalse();
    }

    @Test
    void killingThePrimaryMakesTheSentinelsPromoteTheReplicaWithinTenSeconds() {
        redis = RedisSentinelSet.start();
        int oldPrimary = redis.primaryPort();
        Resp.command(oldPrimary, "SET", "sentinel:before", "kept");
        assertThat(Resp.command(oldPrimary, "WAIT", "1", "2000")).isEqualTo(1L); // the replica has it

        redis.killPrimary();
        Duration took = redis.awaitFailover(Duration.ofSeconds(10));

        System.out.println("sentinel failover took " + took.toMillis() + " ms");
        assertThat(took).isLessThan(Duration.ofSeconds(10));
        assertThat(redis.currentPrimaryPort()).isEqualTo(redis.replicaPort());
        assertThat((List<?>) Resp.command(redis.replicaPort(), "ROLE")).first().isEqualTo("master");
        assertThat(Resp.string(redis.replicaPort(), "GET", "sentinel:before")).isEqualTo("kept");
        for (int sentinel : redis.sentinelPorts()) {
            assertThat(Resp.command(sentinel, "SENTINEL", "get-master-addr-by-name", "mymaster"))
                    .isEqualTo(List.of("127.0.0.1", String.valueOf(redis.replicaPort())));
        }
        // a client that asks the sentinels now writes to the promoted replica
        withLettuce(redis, connection -> assertThat(connection.sync().set("sentinel:after", "new primary")).isEqualTo("OK"));
        assertThat(Resp.string(redis.replicaPort(), "GET", "sentinel:after")).isEqualTo("new primary");
    }

    @Test
    void aPersistentPrimaryKilledAndRestartedWithinTheDownAfterTimeComesBackAsThePrimaryWithItsData() {
        redis = RedisSentinelSet.startPersistent(Duration.ofSeconds(5));
        int primary = redis.primaryPort();
        assertThat(Resp.command(primary, "CONFIG", "GET", "appendonly")).isEqualTo(List.of("appendonly", "yes"));
        for (int sentinel : redis.sentinelPorts()) {
            assertThat(RedisSentinelSet.fields(Resp.command(sentinel, "SENTINEL", "master", "mymaster")))
                    .containsEntry("down-after-milliseconds", "5000");
        }
        Resp.command(primary, "SET", "persistent:k", "acknowledged before the kill");

        redis.killPrimary();
        redis.restartNode(primary);

        assertThat(Resp.string(primary, "GET", "persistent:k")).isEqualTo("acknowledged before the kill");
        assertThat((List<?>) Resp.command(primary, "ROLE")).first().isEqualTo("master");
        assertThat(redis.currentPrimaryPort()).as("no failover").isEqualTo(primary);
        String replication = await("the replica to sync with the restarted primary").atMost(Duration.ofSeconds(10))
                .pollInterval(RedisNode.INTERVAL).ignoreExceptions()
                .until(() -> Resp.string(redis.replicaPort(), "INFO", "replication"),
                        info -> info.contains("master_link_status:up"));
        assertThat(replication).contains("master_port:" + primary);
        assertThat(Resp.string(redis.replicaPort(), "GET", "persistent:k")).isEqualTo("acknowledged before the kill");
    }

    private static void withLettuce(RedisSentinelSet redis, Consumer<StatefulRedisConnection<String, String>> use) {
        List<Integer> sentinels = redis.sentinelPorts();
        RedisURI.Builder uri = RedisURI.Builder.sentinel("127.0.0.1", sentinels.get(0), redis.masterName());
        sentinels.subList(1, sentinels.size()).forEach(port -> uri.withSentinel("127.0.0.1", port));
        RedisClient client = RedisClient.create(uri.withTimeout(Duration.ofSeconds(5)).build());
        try (StatefulRedisConnection<String, String> connection = client.connect()) {
            use.accept(connection);
        } finally {
            client.shutdown(0, 2, TimeUnit.SECONDS);
        }
    }
}
