package dev.wechatauth.gateway.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.lang.reflect.Method;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.wechatauth.gateway.rig.InProcessGateway;
import dev.wechatauth.gateway.rig.RedisView;
import dev.wechatauth.gateway.rig.Timing;
import dev.wechatauth.gateway.rig.WechatUser;
import dev.wechatauth.plugin.session.ReplicatedSessionWriter;
import dev.wechatauth.plugin.session.SessionWriter;
import dev.wechatauth.gateway.topology.Slots.SlotRange;
import dev.wechatauth.gateway.topology.Traffic.Issued;
import dev.wechatauth.testkit.RedisClusterSet;
import dev.wechatauth.testkit.Resp;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.SlotHash;
import org.assertj.core.api.SoftAssertions;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.data.redis.connection.RedisClusterConfiguration;
import org.springframework.data.redis.connection.RedisNode;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

/**
 * Redis topologies, Cluster: two gateways configured by Spring Data Redis properties alone
 * ({@code spring.data.redis.cluster.nodes}, {@code spring.data.redis.lettuce.cluster.refresh.adaptive=true},
 * {@code .period=1s}) on three primaries and three replicas, all real redis-server processes. Sessions are shared; the
 * Lettuce options (topology refresh, keep-alive, bounded timeouts) reach the Cluster client and its connections;
 * each new session is written with {@code WAIT 1} on the primary of its slot; killing the primary of an existing
 * session's slot under steady traffic costs no 500 and errors only inside the failover window; what is lost is
 * measured; afterwards both gateways use the promoted replica without a restart. The failover test kills one
 * primary: the set allows one failover per slot range, and the last test relies on that failover.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterTest extends SessionsAcrossInstances {

    /**
     * How long after the cluster agrees on the promoted replica the gateways may still answer errors: 3 s, and
     * {@linkplain Timing#CI_MARGIN a margin} for a busy machine (the figures report what it took).
     */
    static final Duration ALLOWED_RECONNECTION_MARGIN = Timing.generous(Duration.ofSeconds(3));
    private static final Duration REFRESH_PERIOD = Duration.ofSeconds(1);
    private static final Duration WARM_UP = Duration.ofMillis(1000);
    private static final Duration AFTER_WINDOW = Duration.ofMillis(1000);

    @RegisterExtension
    static final OnAStore<RedisClusterSet> topology = new OnAStore<>(RedisClusterSet::start, redis -> Map.of(
            "spring.data.redis.cluster.nodes", String.join(",", redis.nodes()),
            "spring.data.redis.lettuce.cluster.refresh.adaptive", "true",
            "spring.data.redis.lettuce.cluster.refresh.period", "1s"));

    /** Set by the failover test: the slots whose primary it killed, and the replica promoted in its place. */
    private static SlotRange killedRange;
    private static int promotedPort = -1;

    @Override
    Instances instances() {
        return topology.instances();
    }

    private static RedisClusterSet redis() {
        return topology.store();
    }

    @Test
    @Order(1)
    void clusterPropertiesAloneConfigureTheStoreAndWinOverTheShippedUrl() {
        assertThat(a().context().getEnvironment().getProperty("spring.data.redis.url"))
                .as("the url application.yml ships").isNotBlank();
        RedisClusterConfiguration cluster = Lettuce.connectionFactory(a()).getClusterConfiguration();
        assertThat(cluster).as("the connection factory's Cluster configuration").isNotNull();
        assertThat(cluster.getClusterNodes()).extracting(RedisNode::getPort)
                .containsExactlyInAnyOrderElementsOf(redis().ports());
        assertThat(Lettuce.connectionFactory(a()).getSentinelConfiguration()).isNull();
        assertThat(Lettuce.client(a())).isInstanceOf(RedisClusterClient.class);

        String token = a().newToken();
        String key = RedisView.sessionKey(token);
        // a node's CLUSTER SLOTS may list a replica a moment after the cluster formed (gossip): wait for it
        SlotRange range = await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                .until(() -> Slots.rangeOf(Slots.clusterSlots(redis().ports().get(0)),
                        Slots.ofSession(token)), slots -> !slots.replicas().isEmpty());
        assertThat(RedisView.get(range.primary(), key, false)).as("the session on its slot's primary").isNotNull();
        assertThat(range.replicas()).hasSize(1);
        // WAIT 1 returned before the login answered: the primary's replica has it already
        assertThat(RedisView.get(range.replicas().get(0), key, true)).as("the session on that primary's replica")
                .isNotNull();
    }

    @Test
    @Order(2)
    void theLettuceOptionsReachTheClusterClientAndItsConnections() throws Exception {
        for (InProcessGateway gateway : List.of(a(), b())) {
            LettuceConnectionFactory factory = Lettuce.connectionFactory(gateway);
            RedisClusterClient client = (RedisClusterClient) Lettuce.client(gateway);
            assertThat(factory.getClientConfiguration().getCommandTimeout()).as("command timeout")
                    .isEqualTo(Duration.ofSeconds(1));
            assertThat(client.getResources().reconnectDelay().createDelay(30)).as("the longest reconnection delay")
                    .isLessThanOrEqualTo(Duration.ofSeconds(1));
            assertClusterOptions(gateway.name() + " client", client.getOptions());

            // the connection the gateway's reactive commands share
            Method shared = LettuceConnectionFactory.class.getDeclaredMethod("getSharedReactiveConnection");
            shared.setAccessible(true);
            StatefulConnection<?, ?> connection = (StatefulConnection<?, ?>) shared.invoke(factory);
            assertThat(connection).as("%s: the shared reactive connection", gateway.name()).isNotNull();
            assertClusterOptions(gateway.name() + " shared connection", connection.getOptions());

            SessionWriter writer = gateway.context().getBean(SessionWriter.class);
            assertThat(writer).as("the session writer on Cluster").isInstanceOf(ReplicatedSessionWriter.class);
        }
    }

    private static void assertClusterOptions(String what, ClientOptions options) {
        assertThat(options).as(what).isInstanceOf(ClusterClientOptions.class);
        ClusterTopologyRefreshOptions refresh = ((ClusterClientOptions) options).getTopologyRefreshOptions();
        assertThat(refresh.isPeriodicRefreshEnabled()).as("%s: periodic topology refresh", what).isTrue();
        assertThat(refresh.getRefreshPeriod()).as("%s: refresh period", what).isEqualTo(REFRESH_PERIOD);
        assertThat(refresh.getAdaptiveRefreshTriggers()).as("%s: adaptive refresh triggers", what)
                .containsExactlyInAnyOrder(ClusterTopologyRefreshOptions.RefreshTrigger.values());
        assertThat(options.isAutoReconnect()).as("%s: auto-reconnect", what).isTrue();
        assertThat(options.getDisconnectedBehavior()).as("%s: while disconnected", what)
                .isEqualTo(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS);
        assertThat(options.getSocketOptions().isKeepAlive()).as("%s: TCP keep-alive", what).isTrue();
        assertThat(options.getSocketOptions().getConnectTimeout()).as("%s: connect timeout", what)
                .isEqualTo(Duration.ofSeconds(1));
        assertThat(options.getTimeoutOptions().isTimeoutCommands()).as("%s: command timeouts", what).isTrue();
    }

    /**
     * The limit per user and "log out on all devices" rely on the user index, whose key lives in another slot than the
     * user's sessions: here the index and some of the sessions are on different primaries, and both still hold
     * (the concurrent case runs in {@link SessionsAcrossInstances}).
     */
    @Test
    @Order(4)
    void theUserIndexAndTheSessionsOnDifferentPrimariesStillEndTogether() {
        WechatUser user = backends().newUser();
        List<String> tokens = new ArrayList<>();
        List<SlotRange> ranges = Slots.clusterSlots(redis().ports().get(0));
        int indexPrimary = Slots.rangeOf(ranges, SlotHash.getSlot(RedisView.NAMESPACE + ":user:" + user.appid() + ":"
                + user.openid())).primary();
        while (tokens.stream().allMatch(token -> Slots.rangeOf(ranges, Slots.ofSession(token)).primary() == indexPrimary)) {
            tokens.add((tokens.size() % 2 == 0 ? a() : b()).tokenFor(user));
        }
        assertThat(tokens.size()).as("sessions of one user").isLessThanOrEqualTo(MAX_PER_USER);

        assertThat(a().send("DELETE", "/wx/sessions", null, "Authorization: Bearer " + tokens.get(0)).status())
                .isEqualTo(204);

        for (String token : tokens) {
            await().atMost(Timing.generous(LOGOUT_EVERYWHERE)).pollInterval(Duration.ofMillis(50))
                    .untilAsserted(() -> assertThat(b().withToken(token).status()).isEqualTo(401));
            assertThat(RedisView.get(Slots.rangeOf(ranges, Slots.ofSession(token)).primary(), RedisView.sessionKey(token),
                    false)).as("the session in Redis").isNull();
        }
    }

    @Test
    @Order(5)
    void eachNewSessionIsFollowedByWaitForOneReplicaOnThePrimaryOfItsSlot() {
        List<SlotRange> ranges = Slots.clusterSlots(redis().ports().get(0));
        Map<Integer, Long> before = new LinkedHashMap<>();
        for (SlotRange range : ranges) {
            before.put(range.primary(), RedisView.waitCalls(range.primary()));
        }
        List<String> tokens = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            tokens.add(a().newToken());
            tokens.add(b().newToken());
        }
        Map<Integer, Long> expected = new LinkedHashMap<>();
        before.keySet().forEach(port -> expected.put(port, 0L));
        for (String token : tokens) {
            SlotRange range = Slots.rangeOf(ranges, Slots.ofSession(token));
            expected.merge(range.primary(), 1L, Long::sum);
            assertThat(RedisView.get(range.replicas().get(0), RedisView.sessionKey(token), true))
                    .as("a new session on its primary's replica as soon as the login answered").isNotNull();
        }
        Map<Integer, Long> waits = new LinkedHashMap<>();
        before.forEach((port, count) -> waits.put(port, RedisView.waitCalls(port) - count));
        assertThat(waits).as("WAIT commands per primary (port → count) for 8 logins").isEqualTo(expected);
    }

    /**
     * Background renewals go out in pipelined batches split by primary: sessions on all three primaries, their TTLs
     * run down in Redis, each used again once its entry is due (a TTL of 100 s: a renewal interval of 1 s), and each
     * is renewed on its own primary. A gateway of its own, for its short TTL.
     */
    @Test
    @Order(6)
    void backgroundRenewalsOfSessionsOnEveryPrimaryEachReachTheirPrimary() throws Exception {
        try (InProcessGateway c = Instances.launcher("C", backends()).with("wechat.auth.session.ttl=100s").start()) {
            List<SlotRange> ranges = Slots.clusterSlots(redis().ports().get(0));
            Map<String, Integer> primaryOf = new LinkedHashMap<>();
            while (primaryOf.size() < 30 || new HashSet<>(primaryOf.values()).size() < 3) {
                String token = c.newToken();
                primaryOf.put(token, Slots.rangeOf(ranges, Slots.ofSession(token)).primary());
                assertThat(c.withToken(token).status()).as("first use: from Redis, then in memory").isEqualTo(200);
            }
            primaryOf.forEach((token, port) -> Resp.command(port, "PEXPIRE", RedisView.sessionKey(token), "50000"));
            Thread.sleep(1100); // every entry due for renewal

            primaryOf.keySet().forEach(token -> assertThat(c.withToken(token).status()).isEqualTo(200));

            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).untilAsserted(() ->
                    primaryOf.forEach((token, port) -> assertThat(RedisView.pttl(port, RedisView.sessionKey(token)))
                            .as("time to live of a session on the primary on port %d, renewed", port)
                            .isGreaterThan(80_000)));
        }
    }

    @Test
    @Order(10)
    void killingThePrimaryOfASessionUnderSteadyTrafficCostsNo500sAndErrorsOnlyInItsWindow() {
        List<SlotRange> ranges = Slots.clusterSlots(redis().ports().get(0));
        Traffic traffic = new Traffic(List.of(a(), b()), backends(), 2, Duration.ofMillis(20)).start();
        long kill;
        long killed;
        long failoverDone;
        List<Issued> lastMoment = new ArrayList<>();
        SlotRange target;
        Map<String, Long> partitionsUpdated = new LinkedHashMap<>();
        try {
            Traffic.sleep(WARM_UP);
            // a session made a moment before the kill on each gateway, both in the slots of the primary to be killed:
            // logins on A and B at once, until a pair lands in the same slot range
            for (int attempt = 0; attempt < 30 && lastMoment.isEmpty(); attempt++) {
                List<Issued> pair = Traffic.loginsAtOnce(List.of(a(), b()));
                SlotRange onA = Slots.rangeOf(ranges, Slots.ofSession(pair.get(0).token()));
                SlotRange onB = Slots.rangeOf(ranges, Slots.ofSession(pair.get(1).token()));
                if (onA.equals(onB)) {
                    lastMoment.addAll(pair);
                } else {
                    pair.forEach(traffic::addIssued);
                }
            }
            assertThat(lastMoment).as("a pair of sessions on A and B in the same slot range").hasSize(2);
            Issued first = lastMoment.get(0);
            target = Slots.rangeOf(ranges, Slots.ofSession(first.token()));
            kill = System.nanoTime();
            redis().killPrimaryOf(RedisView.sessionKey(first.token()));
            killed = System.nanoTime();
            redis().awaitFailover(Duration.ofSeconds(20));
            failoverDone = System.nanoTime();
            killedRange = target;
            promotedPort = redis().primaryPortForKey(RedisView.sessionKey(first.token()));
            int slot = target.from();
            // when each gateway's Lettuce client learns the new topology (periodic or adaptive refresh)
            long deadline = failoverDone + ALLOWED_RECONNECTION_MARGIN.plus(AFTER_WINDOW).toNanos();
            try {
                await("both gateways' topology to name the promoted replica")
                        .atMost(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())))
                        .pollInSameThread().pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(10))
                        .until(() -> {
                            for (InProcessGateway gateway : List.of(a(), b())) {
                                if (!partitionsUpdated.containsKey(gateway.name())
                                        && primaryPortSeenBy(gateway, slot) == promotedPort) {
                                    partitionsUpdated.put(gateway.name(), System.nanoTime());
                                }
                            }
                            return partitionsUpdated.size() == 2;
                        });
            } catch (ConditionTimeoutException notSeen) {
                // reported in the figures and asserted below
            }
            long rest = deadline - System.nanoTime();
            if (rest > 0) {
                Traffic.sleep(Duration.ofNanos(rest));
            }
        } finally {
            traffic.stop();
        }
        lastMoment.forEach(traffic::addIssued);

        SlotRange killedSlots = target;
        List<Traffic.Call> calls = traffic.calls();
        List<Failover.Check> checks = Failover.check(traffic.issued(), List.of(a(), b()));
        Failover failover = new Failover(calls, kill, killed, failoverDone,
                ALLOWED_RECONNECTION_MARGIN, checks, call -> call.kind() == Traffic.Kind.AUTH
                        && killedSlots.holds(Slots.ofSession(call.token())));
        List<Failover.Check> beforeInKilledSlots = failover.issuedBeforeKill().stream()
                .filter(check -> killedSlots.holds(Slots.ofSession(check.session().token()))).toList();
        List<Failover.Check> lostElsewhere = checks.stream().filter(Failover.Check::lost)
                .filter(check -> !killedSlots.holds(Slots.ofSession(check.session().token()))).toList();

        StringBuilder extra = new StringBuilder();
        Failover.row(extra, "killed primary / promoted replica", "port " + killedSlots.primary() + " (slots "
                + killedSlots.from() + "-" + killedSlots.to() + ") / port " + promotedPort);
        Failover.row(extra, "sessions issued before the kill in the killed slots / lost",
                beforeInKilledSlots.size() + " / " + Failover.lost(beforeInKilledSlots).size());
        Failover.row(extra, "the test's own last logins (killed slots) answered before the kill", lastMoment
                .stream().map(s -> Failover.ms(kill - s.answered()) + " ms (" + s.gateway() + ")").toList()
                .toString());
        Map<String, String> refreshed = new LinkedHashMap<>();
        for (InProcessGateway gateway : List.of(a(), b())) {
            Long at = partitionsUpdated.get(gateway.name());
            refreshed.put(gateway.name(), at == null ? "not seen" : String.format("%+d ms after failover complete",
                    Failover.ms(at - failoverDone)));
        }
        Failover.row(extra, "gateway's Lettuce topology names the promoted replica", refreshed.toString());
        Failover.row(extra, "replica-acks / replica-ack-timeout; refresh", "1 (default on Cluster) / 100ms; "
                + "periodic 1s + adaptive");
        Figures.record("cluster", failover.figures(
                "Cluster: failover of the primary of an existing session's slot (3 primaries + 3 replicas, "
                        + "cluster-node-timeout 1000 ms), 2 gateways × 2 clients", extra.toString()));

        SoftAssertions soft = new SoftAssertions();
        failover.assertErrorsOnlyInsideTheWindow(soft, List.of(a(), b()));
        for (InProcessGateway gateway : List.of(a(), b())) {
            soft.assertThat(partitionsUpdated).as("%s's topology names the promoted replica within the window",
                    gateway.name()).containsKey(gateway.name());
        }
        soft.assertThat(beforeInKilledSlots).as("sessions issued before the kill in the killed slots").isNotEmpty();
        // what is lost in the killed slots is measured and reported above; elsewhere nothing may be
        soft.assertThat(lostElsewhere).as("sessions lost outside the killed slots").isEmpty();
        soft.assertAll();
    }

    @Test
    @Order(11)
    void afterTheFailoverBothGatewaysWriteAndReadTheKilledSlotsOnThePromotedReplicaWithoutARestart() {
        assertThat(promotedPort).as("the failover test promoted a replica").isPositive();
        for (InProcessGateway gateway : List.of(a(), b())) {
            assertThat(primaryPortSeenBy(gateway, killedRange.from())).as("%s's topology for the killed slots",
                    gateway.name()).isEqualTo(promotedPort);
        }
        for (InProcessGateway gateway : List.of(a(), b())) {
            String token = null;
            for (int attempt = 0; attempt < 40 && token == null; attempt++) {
                String candidate = gateway.newToken();
                if (killedRange.holds(Slots.ofSession(candidate))) {
                    token = candidate;
                }
            }
            assertThat(token).as("a session of %s in the killed slots", gateway.name()).isNotNull();
            assertThat(RedisView.get(promotedPort, RedisView.sessionKey(token), false))
                    .as("the new session on the promoted replica").isNotNull();
            for (InProcessGateway other : List.of(a(), b())) {
                assertThat(other.withToken(token).status()).as("%s's new session on %s", gateway.name(), other.name())
                        .isEqualTo(200);
            }
        }
    }

    private static int primaryPortSeenBy(InProcessGateway gateway, int slot) {
        RedisClusterClient client = (RedisClusterClient) Lettuce.client(gateway);
        io.lettuce.core.cluster.models.partitions.RedisClusterNode primary =
                client.getPartitions().getMasterBySlot(slot);
        return primary == null ? -1 : primary.getUri().getPort();
    }
}
