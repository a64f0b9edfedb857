package dev.wechatauth.gateway.topology;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.wechatauth.gateway.rig.InProcessGateway;
import dev.wechatauth.gateway.rig.RedisView;
import dev.wechatauth.gateway.rig.Timing;
import dev.wechatauth.plugin.session.ReplicatedSessionWriter;
import dev.wechatauth.plugin.session.SessionWriter;
import dev.wechatauth.gateway.topology.Traffic.Issued;
import dev.wechatauth.testkit.RedisSentinelSet;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.data.redis.connection.RedisNode;
import org.springframework.data.redis.connection.RedisSentinelConfiguration;

/**
 * Redis topologies, Sentinel: two gateways configured by Spring Data Redis properties alone
 * ({@code spring.data.redis.sentinel.master} and {@code .nodes}) on a primary, a replica and three sentinels, all real
 * redis-server processes. Sessions are shared ({@link SessionsAcrossInstances}); each new session is written with
 * {@code WAIT 1} on the primary; a failover of the primary under steady traffic on both gateways costs no 500, errors
 * only inside the failover window, and no session. The last test kills the primary: the set allows one failover.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SentinelTest extends SessionsAcrossInstances {

    /**
     * How long after the sentinels agree on the new primary the gateways may still answer errors: 3 s, and
     * {@linkplain Timing#CI_MARGIN a margin} for a busy machine (the figures report what it took).
     */
    static final Duration ALLOWED_RECONNECTION_MARGIN = Timing.generous(Duration.ofSeconds(3));
    private static final Duration WARM_UP = Duration.ofMillis(1000);
    private static final Duration AFTER_WINDOW = Duration.ofMillis(1000);

    @RegisterExtension
    static final OnAStore<RedisSentinelSet> topology = new OnAStore<>(RedisSentinelSet::start, redis -> Map.of(
            "spring.data.redis.sentinel.master", redis.masterName(),
            "spring.data.redis.sentinel.nodes", String.join(",", redis.sentinelNodes())));

    @Override
    Instances instances() {
        return topology.instances();
    }

    private static RedisSentinelSet redis() {
        return topology.store();
    }

    @Test
    @Order(1)
    void sentinelPropertiesAloneConfigureTheStoreWinOverTheShippedUrlAndGetTheLettuceOptions() {
        // application.yml ships spring.data.redis.url; the sentinel properties must win over it
        assertThat(a().context().getEnvironment().getProperty("spring.data.redis.url"))
                .as("the url application.yml ships").isNotBlank();
        RedisSentinelConfiguration sentinel = Lettuce.connectionFactory(a()).getSentinelConfiguration();
        assertThat(sentinel).as("the connection factory's Sentinel configuration").isNotNull();
        assertThat(sentinel.getMaster().getName()).isEqualTo(RedisSentinelSet.MASTER_NAME);
        assertThat(sentinel.getSentinels()).extracting(RedisNode::getPort)
                .containsExactlyInAnyOrderElementsOf(redis().sentinelPorts());
        assertThat(Lettuce.connectionFactory(a()).getClusterConfiguration()).isNull();
        assertThat(Lettuce.client(a())).isInstanceOf(RedisClient.class);
        // keep-alive and bounded timeouts reach the Sentinel client as well
        ClientOptions options = Lettuce.client(a()).getOptions();
        assertThat(options.getSocketOptions().isKeepAlive()).as("TCP keep-alive").isTrue();
        assertThat(options.getSocketOptions().getConnectTimeout()).as("connect timeout")
                .isEqualTo(Duration.ofSeconds(1));
        assertThat(options.getTimeoutOptions().isTimeoutCommands()).as("command timeouts").isTrue();
        assertThat(options.getDisconnectedBehavior()).isEqualTo(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS);
        assertThat(Lettuce.connectionFactory(a()).getClientConfiguration().getCommandTimeout()).as("command timeout")
                .isEqualTo(Duration.ofSeconds(1));

        String token = a().newToken();
        String key = RedisView.sessionKey(token);
        assertThat(RedisView.get(redis().currentPrimaryPort(), key, false))
                .as("the session on the primary the sentinels name").isNotNull();
        // WAIT 1 returned before the login answered: the replica has it already
        assertThat(RedisView.get(redis().replicaPort(), key, false)).as("the session on the replica").isNotNull();
    }

    @Test
    @Order(4)
    void eachNewSessionIsFollowedByWaitForOneReplicaOnThePrimary() {
        for (InProcessGateway gateway : List.of(a(), b())) {
            assertThat(gateway.context().getBean(SessionWriter.class))
                    .as("the session writer on Sentinel").isInstanceOf(ReplicatedSessionWriter.class);
        }
        int primary = redis().currentPrimaryPort();
        long before = RedisView.waitCalls(primary);
        List<String> tokens = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            tokens.add(a().newToken());
            tokens.add(b().newToken());
        }
        assertThat(RedisView.waitCalls(primary) - before).as("WAIT commands on the primary for 6 logins")
                .isEqualTo(6);
        for (String token : tokens) {
            assertThat(RedisView.get(redis().replicaPort(), RedisView.sessionKey(token), false))
                    .as("a new session on the replica as soon as the login answered").isNotNull();
        }
    }

    @Test
    @Order(5)
    void waitingForReplicasCanBeTurnedOff() {
        try (InProcessGateway c = Instances.launcher("C", backends()).with("wechat.auth.session.replica-acks=0").start()) {
            assertThat(c.context().getBean(SessionWriter.class)).isNotInstanceOf(ReplicatedSessionWriter.class);
            int primary = redis().currentPrimaryPort();
            long before = RedisView.waitCalls(primary);
            String token = c.newToken();
            assertThat(RedisView.waitCalls(primary) - before).as("WAIT commands with replica-acks=0").isZero();
            assertThat(a().withToken(token).status()).isEqualTo(200);
        }
    }

    @Test
    @Order(10)
    void aFailoverUnderSteadyTrafficCostsNo500sErrorsOnlyInItsWindowAndNoSession() {
        Traffic traffic = new Traffic(List.of(a(), b()), backends(), 2, Duration.ofMillis(20)).start();
        long kill;
        long killed;
        long failoverDone;
        List<Issued> lastMoment = new ArrayList<>();
        try {
            Traffic.sleep(WARM_UP);
            // sessions made a moment before the kill: only WAIT 1 keeps them
            lastMoment.addAll(Traffic.loginsAtOnce(List.of(a(), b())));
            kill = System.nanoTime();
            redis().killPrimary();
            killed = System.nanoTime();
            redis().awaitFailover(Duration.ofSeconds(20));
            failoverDone = System.nanoTime();
            Traffic.sleep(ALLOWED_RECONNECTION_MARGIN.plus(AFTER_WINDOW));
        } finally {
            traffic.stop();
        }
        lastMoment.forEach(traffic::addIssued);

        List<Traffic.Call> calls = traffic.calls();
        List<Failover.Check> checks = Failover.check(traffic.issued(), List.of(a(), b()));
        Failover failover = new Failover(calls, kill, killed, failoverDone, ALLOWED_RECONNECTION_MARGIN,
                checks, call -> true);
        StringBuilder extra = new StringBuilder();
        Failover.row(extra, "the test's own last logins answered before the kill", lastMoment.stream()
                .map(s -> Failover.ms(kill - s.answered()) + " ms (" + s.gateway() + ")").toList().toString());
        Failover.row(extra, "replica-acks / replica-ack-timeout", "1 (default on Sentinel) / 100ms");
        Figures.record("sentinel", failover.figures(
                "Sentinel: failover of the primary (1 primary + 1 replica + 3 sentinels, down-after 1000 ms), "
                        + "2 gateways × 2 clients", extra.toString()));

        SoftAssertions soft = new SoftAssertions();
        failover.assertErrorsOnlyInsideTheWindow(soft, List.of(a(), b()));
        soft.assertThat(Failover.lost(failover.issuedBeforeKill())).as("sessions issued before the kill, lost")
                .isEmpty();
        soft.assertThat(Failover.lost(failover.issuedAfterKill()))
                .as("sessions issued (answered 200) after the kill, lost").isEmpty();
        soft.assertThat(failover.issuedBeforeKill()).as("sessions issued before the kill").hasSizeGreaterThan(5);
        for (Issued session : lastMoment) {
            soft.assertThat(a().withToken(session.token()).status()).as("the session made %d ms before the kill on %s",
                    Failover.ms(kill - session.answered()), session.gateway()).isEqualTo(200);
        }
        soft.assertAll();
    }
}
