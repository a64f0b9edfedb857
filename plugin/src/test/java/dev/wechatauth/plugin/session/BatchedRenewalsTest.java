package dev.wechatauth.plugin.session;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import com.github.benmanes.caffeine.cache.Ticker;
import dev.wechatauth.plugin.error.GatewayErrorException;
import dev.wechatauth.plugin.support.MovableClock;
import dev.wechatauth.plugin.support.RedisFixture;
import dev.wechatauth.plugin.wechat.WechatIdentity;
import dev.wechatauth.testkit.RedisProcess;
import io.lettuce.core.RedisClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Background renewals of many sessions at once, pipelined in batches ({@link PipelinedScripts}) on one real Redis:
 * each renewal keeps the meaning of a renewal of its own. The invalidation channel runs on a Redis of its own, so
 * that the session store's Redis can fail while the memory keeps serving.
 */
class BatchedRenewalsTest {

    private static final String NAMESPACE = "batch-test";
    private static final Duration TTL = Duration.ofMinutes(10);
    private static final Duration FRESH_FOR = Duration.ofMinutes(1);
    private static final WechatIdentity USER = new WechatIdentity("wx_app", "openid_batch", null, "a2V5");
    /** More sessions than one batch takes. */
    private static final int SESSIONS = PipelinedScripts.MAX_BATCH + 44;

    private RedisProcess redis;
    private RedisProcess channelRedis;
    private RedisFixture fixture;
    private RedisFixture channel;
    private RedisClient channelClient;
    private PipelinedScripts renewals;
    private CachedSessionStore store;
    private final MovableClock clock = new MovableClock();
    private final AtomicLong nanos = new AtomicLong();

    @BeforeEach
    void storeWithItsCacheAndBatchedRenewals() {
        redis = RedisProcess.start();
        channelRedis = RedisProcess.start();
        fixture = new RedisFixture(redis.port());
        channel = new RedisFixture(channelRedis.port());
        channelClient = RedisClient.create(channelRedis.url());
        renewals = new PipelinedScripts(fixture.nativeClient());
        Ticker ticker = nanos::get;
        store = new CachedSessionStore(new RedisSessionStore(fixture.template(), new Tokens(),
                SessionWriter.of(fixture.template()), renewals, NAMESPACE,
                new SessionPolicy(TTL, Duration.ofDays(30), 0), clock),
                new SessionInvalidations(channelClient, channel.template(), NAMESPACE), 10_000, FRESH_FOR, ticker, clock);
        store.start();
        await().atMost(Duration.ofSeconds(5)).until(store::isServingFromMemory);
    }

    @AfterEach
    void stop() {
        store.stop();
        renewals.destroy();
        channelClient.shutdown();
        channel.close();
        fixture.close();
        channelRedis.close();
        redis.close();
    }

    @Test
    void renewalsOfManySessionsAtOnceEachRenewTheSessionInRedis() {
        List<String> tokens = cachedSessions(SESSIONS);
        tokens.forEach(token -> fixture.inspector().pexpire(sessionKeyOf(token), 30_000));
        timePasses(Duration.ofSeconds(61));
        long renewedAt = clock.millis() / 1000;

        findAll(tokens).forEach(found -> assertThat(found).as("answered from memory while renewing").isTrue());

        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
            for (String token : tokens) {
                assertThat(fixture.inspector().pttl(sessionKeyOf(token))).as("idle time left of a renewed session")
                        .isGreaterThan(Duration.ofMinutes(5).toMillis());
                assertThat(lastUsedAt(token)).as("lastUsedAt of a renewed session").isGreaterThanOrEqualTo(renewedAt);
            }
        });
    }

    @Test
    void aSessionDeletedInRedisIsEvictedByItsRenewalInABatchAndTheOthersAreRenewed() {
        List<String> tokens = cachedSessions(SESSIONS);
        List<String> deleted = List.of(tokens.get(3), tokens.get(SESSIONS / 2), tokens.get(SESSIONS - 1));
        deleted.forEach(token -> fixture.inspector().del(sessionKeyOf(token))); // expired or flushed: not announced
        tokens.forEach(token -> fixture.inspector().pexpire(sessionKeyOf(token), 30_000));
        timePasses(Duration.ofSeconds(61));

        findAll(tokens);

        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
            for (String token : deleted) {
                assertThat(store.find(token).blockOptional()).as("a session gone from Redis, after its renewal")
                        .isEmpty();
            }
        });
        for (String token : tokens) {
            if (!deleted.contains(token)) {
                assertThat(store.find(token).blockOptional()).as("a session renewed in the same batches").isPresent();
                assertThat(fixture.inspector().pttl(sessionKeyOf(token))).isGreaterThan(Duration.ofMinutes(5).toMillis());
            }
        }
    }

    @Test
    void renewalsThatFailInABatchEvictTheirEntriesOnlyAndLaterBatchesWork() {
        List<String> tokens = cachedSessions(SESSIONS);
        String unreadable = tokens.get(7);
        // a key the renewal script cannot GET: Redis answers that one command of the batch with an error
        fixture.inspector().del(sessionKeyOf(unreadable));
        fixture.inspector().hset(sessionKeyOf(unreadable), "not", "a session");
        timePasses(Duration.ofSeconds(61));

        findAll(tokens);

        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).untilAsserted(() ->
                assertThat(failsUnavailable(unreadable)).as("the failed renewal's entry is gone: Redis is asked")
                        .isTrue());
        for (String token : tokens) {
            if (!token.equals(unreadable)) {
                assertThat(store.find(token).blockOptional()).as("a session of the same batches").isPresent();
            }
        }

        redis.stop(); // every renewal of the next batches fails
        timePasses(Duration.ofSeconds(61));
        List<String> others = tokens.subList(10, 20);
        findAll(others);
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
            for (String token : others) {
                assertThat(failsUnavailable(token)).as("an entry whose renewal failed asks Redis, which is down")
                        .isTrue();
            }
        });
        assertThat(store.isServingFromMemory()).as("the channel is still live").isTrue();

        redis.restart(); // empty
        await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> store.create(USER, null).block() != null);
        List<String> later = cachedSessions(3);
        later.forEach(token -> fixture.inspector().pexpire(sessionKeyOf(token), 30_000));
        timePasses(Duration.ofSeconds(61));
        findAll(later);
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
            for (String token : later) {
                assertThat(fixture.inspector().pttl(sessionKeyOf(token))).as("renewed after Redis came back")
                        .isGreaterThan(Duration.ofMinutes(5).toMillis());
            }
        });
    }

    @Test
    void aLoneRenewalGoesOutWithoutWaitingForOthers() {
        List<String> tokens = cachedSessions(1);
        fixture.inspector().pexpire(sessionKeyOf(tokens.get(0)), 30_000);
        timePasses(Duration.ofSeconds(61));

        findAll(tokens);

        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(20)).until(() ->
                fixture.inspector().pttl(sessionKeyOf(tokens.get(0))) > Duration.ofMinutes(5).toMillis());
    }

    /** {@code count} sessions of distinct users, each looked up once, so that memory holds them. */
    private List<String> cachedSessions(int count) {
        List<String> tokens = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String token = store.create(new WechatIdentity("wx_app", "openid_" + i, null, "a2V5"), null).block().token();
            assertThat(store.find(token).block()).isNotNull();
            tokens.add(token);
        }
        return tokens;
    }

    /** Finds every token at once, as concurrent requests would; whether each was answered. */
    private List<Boolean> findAll(List<String> tokens) {
        return Flux.fromIterable(tokens).flatMap(token -> store.find(token).hasElement()).collectList().block();
    }

    private void timePasses(Duration duration) {
        nanos.addAndGet(duration.toNanos());
        clock.advance(duration);
    }

    private boolean failsUnavailable(String token) {
        return store.find(token).map(found -> false)
                .onErrorResume(GatewayErrorException.class, unavailable -> Mono.just(true))
                .defaultIfEmpty(false)
                .block(Duration.ofSeconds(5));
    }

    private long lastUsedAt(String token) {
        JsonNode record = JsonMapper.builder().build().readTree(fixture.inspector().get(sessionKeyOf(token)));
        return record.get("lastUsedAt").asLong();
    }

    private static String sessionKeyOf(String token) {
        return NAMESPACE + ":session:" + Tokens.hash(token);
    }
}
