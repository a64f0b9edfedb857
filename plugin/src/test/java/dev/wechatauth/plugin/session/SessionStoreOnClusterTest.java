package dev.wechatauth.plugin.session;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import dev.wechatauth.plugin.support.MovableClock;
import dev.wechatauth.plugin.wechat.WechatIdentity;
import dev.wechatauth.testkit.RedisClusterSet;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisURI;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.sync.RedisAdvancedClusterCommands;
import io.lettuce.core.cluster.models.partitions.Partitions;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.data.redis.connection.RedisClusterConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceClientConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import reactor.core.publisher.Flux;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The session store on a Redis Cluster of three primaries with a replica each (real redis-server processes). Batched
 * background renewals: a batch's keys live on every primary, each part goes to its own primary, and a renewal that a
 * primary answers with {@code MOVED} (the client's view of the slots is stale) is sent again and followed to the right
 * one. Logins: the session and the user's index live in different slots, so they are written one after the other
 * (the session with its {@code WAIT}), and the receipt for copies of the code is left to the duplicate window.
 */
class SessionStoreOnClusterTest {

    private static final String NAMESPACE = "cluster-batch-test";
    private static final Duration TTL = Duration.ofMinutes(10);
    private static final Duration TIMEOUT = Duration.ofSeconds(1);
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private static RedisClusterSet cluster;
    private LettuceConnectionFactory factory;
    private PipelinedScripts renewals;
    private RedisSessionStore store;
    private RedisClusterClient inspectorClient;
    private StatefulRedisClusterConnection<String, String> inspectorConnection;
    private final MovableClock clock = new MovableClock();

    @BeforeAll
    static void startCluster() {
        cluster = RedisClusterSet.start();
    }

    @AfterAll
    static void stopCluster() {
        cluster.close();
    }

    @BeforeEach
    void storeOnTheCluster() {
        ClientOptions options = ClusterClientOptions.builder()
                .autoReconnect(true)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .timeoutOptions(TimeoutOptions.enabled(TIMEOUT))
                .build();
        factory = new LettuceConnectionFactory(new RedisClusterConfiguration(cluster.nodes()),
                LettuceClientConfiguration.builder().commandTimeout(TIMEOUT).clientOptions(options).build());
        factory.afterPropertiesSet();
        factory.start();
        ReactiveStringRedisTemplate redis = new ReactiveStringRedisTemplate(factory);
        renewals = new PipelinedScripts(factory.getRequiredNativeClient());
        store = new RedisSessionStore(redis, new Tokens(), SessionWriter.of(redis), renewals, NAMESPACE,
                new SessionPolicy(TTL, Duration.ofDays(30), 0), clock);
        inspectorClient = RedisClusterClient.create(cluster.nodes().stream()
                .map(node -> RedisURI.create("redis://" + node)).toList());
        inspectorConnection = inspectorClient.connect();
    }

    @AfterEach
    void stop() {
        renewals.destroy();
        inspectorConnection.close();
        inspectorClient.shutdown();
        factory.destroy();
    }

    @Test
    void renewalsOfSessionsOnEveryPrimaryAreAllRenewedAndAGoneSessionIsReportedGone() {
        List<IssuedSession> sessions = sessions(PipelinedScripts.MAX_BATCH + 44);
        Set<Integer> primaries = sessions.stream().map(issued -> cluster.primaryPortForKey(sessionKeyOf(issued.token())))
                .collect(Collectors.toSet());
        assertThat(primaries).as("primaries holding the sessions").hasSize(3);
        IssuedSession gone = sessions.get(5);
        inspector().del(sessionKeyOf(gone.token()));
        sessions.forEach(issued -> inspector().pexpire(sessionKeyOf(issued.token()), 30_000));
        clock.advance(Duration.ofSeconds(61));
        long renewedAt = clock.millis() / 1000;

        List<Boolean> renewed = Flux.fromIterable(sessions)
                .flatMapSequential(issued -> store.renew(issued.token(), issued.session()))
                .collectList().block(Duration.ofSeconds(30));

        for (int i = 0; i < sessions.size(); i++) {
            String key = sessionKeyOf(sessions.get(i).token());
            if (sessions.get(i) == gone) {
                assertThat(renewed.get(i)).as("the renewal of a session gone from Redis").isFalse();
                assertThat(inspector().exists(key)).isZero();
            } else {
                assertThat(renewed.get(i)).as("renewal %d", i).isTrue();
                assertThat(inspector().pttl(key)).as("idle time left, renewed").isGreaterThan(Duration.ofMinutes(5).toMillis());
                assertThat(JSON.readTree(inspector().get(key)).get("lastUsedAt").asLong()).as("lastUsedAt, renewed")
                        .isGreaterThanOrEqualTo(renewedAt);
            }
        }
    }

    @Test
    void aRenewalAnsweredWithMovedIsFollowedToThePrimaryThatOwnsTheSlot() {
        IssuedSession issued = sessions(1).get(0);
        String key = sessionKeyOf(issued.token());
        inspector().pexpire(key, 30_000);
        int slot = SlotHash.getSlot(key);
        Partitions view = ((RedisClusterClient) factory.getRequiredNativeClient()).getPartitions();
        RedisClusterNode owner = view.getMasterBySlot(slot);
        RedisClusterNode other = view.stream()
                .filter(node -> node.is(RedisClusterNode.NodeFlag.UPSTREAM) && !node.equals(owner))
                .findFirst().orElseThrow();
        move(owner, other, slot); // in the client's view only: that primary will answer MOVED
        view.updateCache();
        assertThat(view.getMasterBySlot(slot)).isEqualTo(other);

        assertThat(store.renew(issued.token(), issued.session()).block(Duration.ofSeconds(10))).isTrue();

        assertThat(inspector().pttl(key)).as("idle time left, renewed on the owner")
                .isGreaterThan(Duration.ofMinutes(5).toMillis());
    }

    @Test
    void aLoginWritesItsSessionWithWaitThenItsIndexAndLeavesTheReceiptToTheCaller() {
        ReplicatedSessionWriter writer = new ReplicatedSessionWriter(factory.getRequiredNativeClient(), 1,
                Duration.ofMillis(500));
        try {
            RedisSessionStore replicated = new RedisSessionStore(new ReactiveStringRedisTemplate(factory), new Tokens(),
                    writer, renewals, NAMESPACE, new SessionPolicy(TTL, Duration.ofDays(30), 0), clock);
            String receiptKey = NAMESPACE + ":login-code:cluster";
            inspector().psetex(receiptKey, 10_000, "pending");
            LoginReceipt receipt = new LoginReceipt(receiptKey, token -> "ok:" + Tokens.hash(token));
            WechatIdentity user = new WechatIdentity("wx_app", "openid_cluster_login", null, "a2V5");

            IssuedSession issued = replicated.create(user, null, receipt).block(Duration.ofSeconds(10));

            assertThat(writer.onOnePrimary()).as("one primary for every key on Cluster").isFalse();
            assertThat(inspector().get(sessionKeyOf(issued.token()))).as("the session").isNotNull();
            assertThat(inspector().hget(NAMESPACE + ":user:wx_app:openid_cluster_login", "s:" + Tokens.hash(issued.token())))
                    .as("the session in the user's index").isNotNull();
            assertThat(receipt.recorded()).as("the receipt, in another slot than the session").isFalse();
            assertThat(inspector().get(receiptKey)).isEqualTo("pending");
            assertThat(replicated.find(issued.token()).block(Duration.ofSeconds(5))).isNotNull();
        } finally {
            writer.destroy();
        }
    }

    private static void move(RedisClusterNode from, RedisClusterNode to, int slot) {
        List<Integer> fromSlots = new ArrayList<>(from.getSlots());
        fromSlots.remove(Integer.valueOf(slot));
        from.setSlots(fromSlots);
        List<Integer> toSlots = new ArrayList<>(to.getSlots());
        toSlots.add(slot);
        to.setSlots(toSlots);
    }

    /** Sessions of distinct users. */
    private List<IssuedSession> sessions(int count) {
        List<IssuedSession> sessions = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            sessions.add(store.create(new WechatIdentity("wx_app", "openid_" + i, null, "a2V5"), null).block());
        }
        return sessions;
    }

    private RedisAdvancedClusterCommands<String, String> inspector() {
        return inspectorConnection.sync();
    }

    private static String sessionKeyOf(String token) {
        return NAMESPACE + ":session:" + Tokens.hash(token);
    }
}
