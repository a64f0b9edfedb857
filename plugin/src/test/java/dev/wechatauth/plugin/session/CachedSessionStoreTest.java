package dev.wechatauth.plugin.session;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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
import reactor.test.StepVerifier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two gateway instances' session stores on one real Redis, each with its memory cache and its subscription, and
 * their background renewals pipelined in batches as in the gateway.
 */
class CachedSessionStoreTest {

    private static final String NAMESPACE = "cache-test";
    private static final Duration TTL = Duration.ofMinutes(10);
    private static final WechatIdentity USER = new WechatIdentity("wx_app", "openid_1", null, "a2V5");

    private RedisProcess redis;
    private RedisFixture fixture;
    private RedisClient lettuce;
    private PipelinedScripts renewals;
    private CachedSessionStore instanceA;
    private CachedSessionStore instanceB;
    private CachedSessionStore listenerA;
    private CachedSessionStore listenerB;
    private CachedSessionStore extraListener;
    private final List<CachedSessionStore> extraStores = new ArrayList<>();
    private final AtomicLong nanos = new AtomicLong();
    private final Ticker manualTicker = nanos::get;

    @BeforeEach
    void twoInstancesOnOneRedis() {
        redis = RedisProcess.start();
        fixture = new RedisFixture(redis.port());
        lettuce = RedisClient.create(redis.url());
        renewals = new PipelinedScripts(fixture.nativeClient());
        instanceA = cachedStore(Duration.ofMinutes(1));
        instanceB = cachedStore(Duration.ofMinutes(1));
        listenerA = listen(instanceA);
        listenerB = listen(instanceB);
        await().atMost(Duration.ofSeconds(5)).until(() -> instanceA.isServingFromMemory() && instanceB.isServingFromMemory());
    }

    @AfterEach
    void stop() {
        if (extraListener != null) {
            extraListener.stop();
        }
        extraStores.forEach(CachedSessionStore::stop);
        listenerA.stop();
        listenerB.stop();
        renewals.destroy();
        lettuce.shutdown();
        fixture.close();
        redis.close();
    }

    private CachedSessionStore cachedStore(Duration freshFor) {
        return cachedStore(freshFor, Ticker.systemTicker());
    }

    private CachedSessionStore cachedStore(Duration freshFor, Ticker ticker) {
        return cachedStore(freshFor, ticker, new SessionPolicy(TTL, Duration.ofDays(30), 0), Clock.systemUTC());
    }

    private CachedSessionStore cachedStore(Duration freshFor, Ticker ticker, SessionPolicy policy, Clock clock) {
        RedisSessionStore store = new RedisSessionStore(fixture.template(), new Tokens(),
                SessionWriter.of(fixture.template()), renewals, NAMESPACE, policy, clock);
        return new CachedSessionStore(store, new SessionInvalidations(lettuce, fixture.template(), NAMESPACE), 1000,
                freshFor, ticker, clock);
    }

    /** A store with {@code policy} and {@code clock}, its subscription live, stopped after the test. */
    private CachedSessionStore listeningStore(SessionPolicy policy, Clock clock) {
        CachedSessionStore store = listen(cachedStore(Duration.ofMinutes(1), Ticker.systemTicker(), policy, clock));
        extraStores.add(store);
        await().atMost(Duration.ofSeconds(5)).until(store::isServingFromMemory);
        return store;
    }

    /** A store whose clock moves only when told, with its subscription live. */
    private CachedSessionStore listeningStore(Duration freshFor, Ticker ticker) {
        CachedSessionStore store = cachedStore(freshFor, ticker);
        extraListener = listen(store);
        await().atMost(Duration.ofSeconds(5)).until(store::isServingFromMemory);
        return store;
    }

    private String sessionKeyOf(String token) {
        return NAMESPACE + ":session:" + Tokens.hash(token);
    }

    /** Starts the store's invalidation subscription; stopping the store ends it. */
    private static CachedSessionStore listen(CachedSessionStore store) {
        store.start();
        return store;
    }

    @Test
    void findWhenCachedThenNoRedisCommandAtAll() {
        String token = instanceA.create(USER, null).block().token();
        instanceA.find(token).block();
        long before = redisCommands();

        for (int i = 0; i < 100; i++) {
            StepVerifier.create(instanceA.find(token)).expectNextCount(1).verifyComplete();
        }

        assertThat(redisCommands() - before).as("Redis commands for 100 cached lookups").isZero();
    }

    @Test
    void findWhenNotCachedThenOneRedisCommand() {
        String token = instanceA.create(USER, null).block().token();
        long before = redisCommands();

        StepVerifier.create(instanceB.find(token)).expectNextCount(1).verifyComplete();

        // the lookup script, plus the user index renewal once per renewal interval
        assertThat(redisCommands() - before).isBetween(1L, 2L);
    }

    @Test
    void logoutOnOneInstanceEndsTheSessionOnTheOtherWithinASecond() {
        String token = instanceA.create(USER, null).block().token();
        StepVerifier.create(instanceB.find(token)).expectNextCount(1).verifyComplete();
        StepVerifier.create(instanceB.find(token)).expectNextCount(1).verifyComplete();

        StepVerifier.create(instanceA.delete(token)).expectNext(true).verifyComplete();

        await().atMost(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(20))
                .until(() -> instanceB.find(token).blockOptional().isEmpty());
        StepVerifier.create(instanceA.find(token)).verifyComplete();
    }

    @Test
    void aDueEntryIsAnsweredFromMemoryAtOnceWhileRedisRenewsTheSessionInTheBackground() {
        CachedSessionStore store = listeningStore(Duration.ofMinutes(1), manualTicker);
        String token = store.create(USER, null).block().token();
        store.find(token).block();
        fixture.template().expire(sessionKeyOf(token), Duration.ofSeconds(30)).block();
        nanos.addAndGet(Duration.ofSeconds(61).toNanos());

        redis.pause(); // a lookup that waited for Redis now would not answer
        try {
            StepVerifier.create(store.find(token)).expectNextCount(1).verifyComplete();
            StepVerifier.create(store.find(token)).expectNextCount(1).expectComplete().verify(Duration.ofMillis(200));
        } finally {
            redis.resume();
        }

        await().atMost(Duration.ofSeconds(3)).pollInterval(Duration.ofMillis(50))
                .until(() -> fixture.template().getExpire(sessionKeyOf(token)).block().compareTo(Duration.ofMinutes(5)) > 0);
    }

    @Test
    void aDueEntryIsRenewedOnceHoweverManyRequestsFindIt() {
        CachedSessionStore store = listeningStore(Duration.ofMinutes(1), manualTicker);
        String token = store.create(USER, null).block().token();
        store.find(token).block();
        nanos.addAndGet(Duration.ofSeconds(61).toNanos());
        long before = redisCommands();

        for (int i = 0; i < 50; i++) {
            StepVerifier.create(store.find(token)).expectNextCount(1).verifyComplete();
        }

        // one renewal script, plus the user index renewal if that is due too
        await().atMost(Duration.ofSeconds(5)).until(() -> redisCommands() - before >= 1);
        assertThat(redisCommands() - before).isBetween(1L, 2L);
    }

    @Test
    void aSessionGoneFromRedisWithoutAnAnnouncementIsDroppedByItsRenewal() {
        CachedSessionStore store = listeningStore(Duration.ofMinutes(1), manualTicker);
        String token = store.create(USER, null).block().token();
        store.find(token).block();
        fixture.template().delete(sessionKeyOf(token)).block(); // expired or flushed: nobody announced it

        StepVerifier.create(store.find(token)).expectNextCount(1).verifyComplete(); // fresh: served from memory
        nanos.addAndGet(Duration.ofSeconds(61).toNanos());
        StepVerifier.create(store.find(token)).expectNextCount(1).verifyComplete(); // due: served once more, renewed

        await().atMost(Duration.ofSeconds(2)).pollInterval(Duration.ofMillis(20))
                .until(() -> store.find(token).blockOptional().isEmpty());
    }

    @Test
    void anEntryNotRenewedForTwoIntervalsIsForgottenAndRedisIsAskedAgain() {
        CachedSessionStore store = listeningStore(Duration.ofMinutes(1), manualTicker);
        String token = store.create(USER, null).block().token();
        store.find(token).block();
        fixture.template().delete(sessionKeyOf(token)).block();

        nanos.addAndGet(Duration.ofSeconds(121).toNanos());

        StepVerifier.create(store.find(token)).verifyComplete();
    }

    @Test
    void aFailedRenewalDropsTheEntrySoTheNextRequestAsksRedisItself() {
        // the invalidation channel on a Redis of its own stays live while the session store's Redis is gone
        try (RedisProcess channelRedis = RedisProcess.start(); RedisFixture channel = new RedisFixture(channelRedis.port())) {
            RedisClient channelClient = RedisClient.create(channelRedis.url());
            CachedSessionStore store = new CachedSessionStore(new RedisSessionStore(fixture.template(), new Tokens(),
                    SessionWriter.of(fixture.template()), renewals, NAMESPACE, new SessionPolicy(TTL, Duration.ofDays(30), 0), Clock.systemUTC()),
                    new SessionInvalidations(channelClient, channel.template(), NAMESPACE), 1000, Duration.ofMinutes(1),
                    manualTicker, Clock.systemUTC());
            store.start();
            try {
                await().atMost(Duration.ofSeconds(5)).until(store::isServingFromMemory);
                String token = store.create(USER, null).block().token();
                store.find(token).block();
                nanos.addAndGet(Duration.ofSeconds(61).toNanos());

                redis.stop();
                StepVerifier.create(store.find(token)).expectNextCount(1).verifyComplete(); // due: the renewal fails

                await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(50)).until(() -> {
                    try {
                        store.find(token).block(Duration.ofSeconds(3));
                        return false;
                    } catch (GatewayErrorException unavailable) {
                        return true;
                    }
                });
                assertThat(store.isServingFromMemory()).as("the channel is still live").isTrue();
            } finally {
                store.stop();
                channelClient.shutdown();
            }
        }
    }

    @Test
    void anEntryOlderThanTheRenewalIntervalRenewsTheSessionInRedis() {
        CachedSessionStore shortLived = cachedStore(Duration.ofMillis(300));
        CachedSessionStore listener = listen(shortLived);
        try {
            await().atMost(Duration.ofSeconds(5)).until(shortLived::isServingFromMemory);
            String token = shortLived.create(USER, null).block().token();
            shortLived.find(token).block();
            String key = NAMESPACE + ":session:" + Tokens.hash(token);
            fixture.template().expire(key, Duration.ofSeconds(30)).block();

            await().atMost(Duration.ofSeconds(2)).pollInterval(Duration.ofMillis(50))
                    .until(() -> {
                        shortLived.find(token).block();
                        return fixture.template().getExpire(key).block().compareTo(Duration.ofMinutes(5)) > 0;
                    });
        } finally {
            listener.stop();
        }
    }

    @Test
    void whenRedisGoesAwayTheCacheStopsServingAndLookupsFailUntilItIsBack() {
        String token = instanceA.create(USER, null).block().token();
        instanceA.find(token).block();

        redis.stop();

        await().atMost(Duration.ofSeconds(3)).until(() -> !instanceA.isServingFromMemory());
        StepVerifier.create(instanceA.find(token)).expectError(GatewayErrorException.class).verify(Duration.ofSeconds(5));

        redis.restart();

        await().atMost(Duration.ofSeconds(10)).until(instanceA::isServingFromMemory);
        // the subscription's connection may be back a moment before the one commands share
        await().atMost(Duration.ofSeconds(10)).ignoreExceptions().untilAsserted(() ->
                StepVerifier.create(instanceA.find(token)).verifyComplete()); // the restarted Redis is empty
    }

    /**
     * Commands the stores sent to Redis (not the heartbeat's {@code PING}): each script is one, the commands it runs
     * inside are not counted, and a script's first {@code EVALSHA} that Redis did not know yet counts with its
     * {@code EVAL} as one.
     */
    private long redisCommands() {
        String stats = fixture.inspector().info("commandstats");
        long total = 0;
        Matcher calls = Pattern.compile("cmdstat_(\\w+):calls=(\\d+)[^\\r\\n]*?failed_calls=(\\d+)").matcher(stats);
        while (calls.find()) {
            String command = calls.group(1);
            if (!RUN_BY_SCRIPTS.contains(command) && !command.equals("ping") && !command.equals("info")) {
                total += Long.parseLong(calls.group(2)) - Long.parseLong(calls.group(3));
            }
        }
        return total;
    }

    /** Commands that the stores run only inside their scripts, on the paths measured here. */
    private static final Set<String> RUN_BY_SCRIPTS = Set.of("get", "set", "pexpireat", "pttl", "pexpire", "del");

    @Test
    void whenRedisFreezesSilentlyTheCacheStopsServingWithinASecondAndServesAgainOnceItAnswers() {
        String token = instanceA.create(USER, null).block().token();
        instanceA.find(token).block();
        await().atMost(Duration.ofSeconds(2)).until(instanceA::isServingFromMemory);

        redis.pause();
        try {
            long frozenAt = System.nanoTime();
            await().atMost(Duration.ofSeconds(2)).pollInterval(Duration.ofMillis(10))
                    .until(() -> !instanceA.isServingFromMemory());
            assertThat(Duration.ofNanos(System.nanoTime() - frozenAt)).isLessThan(Duration.ofMillis(1500));
        } finally {
            redis.resume();
        }

        await().atMost(Duration.ofSeconds(3)).until(instanceA::isServingFromMemory);
        StepVerifier.create(instanceA.find(token)).expectNextCount(1).verifyComplete();
    }

    // --- sessions ended by the user, an operator or the limit per user ---

    @Test
    void endAllOnOneInstanceEndsTheUsersSessionsHereAtOnceAndOnTheOtherWithinASecond() {
        String phone = instanceA.create(USER, null).block().token();
        String tablet = instanceA.create(USER, null).block().token();
        for (String token : List.of(phone, tablet)) {
            StepVerifier.create(instanceA.find(token)).expectNextCount(1).verifyComplete();
            StepVerifier.create(instanceB.find(token)).expectNextCount(1).verifyComplete();
        }

        StepVerifier.create(instanceA.endAll(USER.appid(), USER.openid())).expectNext(2).verifyComplete();

        StepVerifier.create(instanceA.find(phone)).verifyComplete();
        StepVerifier.create(instanceA.find(tablet)).verifyComplete();
        await().atMost(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(20))
                .until(() -> instanceB.find(phone).blockOptional().isEmpty()
                        && instanceB.find(tablet).blockOptional().isEmpty());
    }

    @Test
    void endingOneSessionByItsIdEndsItOnTheOtherInstanceWithinASecond() {
        String phone = instanceA.create(USER, null).block().token();
        String tablet = instanceA.create(USER, null).block().token();
        StepVerifier.create(instanceB.find(phone)).expectNextCount(1).verifyComplete();
        StepVerifier.create(instanceB.find(tablet)).expectNextCount(1).verifyComplete();

        StepVerifier.create(instanceA.end(USER.appid(), USER.openid(), Tokens.publicId(Tokens.hash(phone))))
                .expectNext(true).verifyComplete();

        await().atMost(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(20))
                .until(() -> instanceB.find(phone).blockOptional().isEmpty());
        StepVerifier.create(instanceB.find(tablet)).expectNextCount(1).verifyComplete();
    }

    @Test
    void aBlockOnOneInstanceEndsTheUsersSessionsOnTheOtherWithinASecond() {
        String token = instanceA.create(USER, null).block().token();
        StepVerifier.create(instanceB.find(token)).expectNextCount(1).verifyComplete();

        instanceA.block(USER.appid(), USER.openid(), Duration.ofMinutes(5)).block();

        await().atMost(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(20))
                .until(() -> instanceB.find(token).blockOptional().isEmpty());
        StepVerifier.create(instanceB.create(USER, null)).expectError(GatewayErrorException.class).verify();
    }

    @Test
    void aLoginPastTheLimitOnOneInstanceEndsTheOldestSessionOnTheOtherWithinASecond() {
        SessionPolicy twoPerUser = new SessionPolicy(TTL, Duration.ofDays(30), 2);
        CachedSessionStore a = listeningStore(twoPerUser, Clock.systemUTC());
        CachedSessionStore b = listeningStore(twoPerUser, Clock.systemUTC());
        String oldest = a.create(USER, null).block().token();
        String second = a.create(USER, null).block().token();
        StepVerifier.create(b.find(oldest)).expectNextCount(1).verifyComplete();

        String third = a.create(USER, null).block().token();

        StepVerifier.create(a.find(oldest)).verifyComplete();
        await().atMost(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(20))
                .until(() -> b.find(oldest).blockOptional().isEmpty());
        StepVerifier.create(b.find(second)).expectNextCount(1).verifyComplete();
        StepVerifier.create(b.find(third)).expectNextCount(1).verifyComplete();
    }

    @Test
    void aSessionInMemoryIsNotServedPastItsAbsoluteEnd() {
        MovableClock clock = new MovableClock();
        CachedSessionStore store = listeningStore(new SessionPolicy(TTL, Duration.ofMinutes(30), 0), clock);
        String token = store.create(USER, null).block().token();
        StepVerifier.create(store.find(token)).expectNextCount(1).verifyComplete();
        clock.advance(Duration.ofMinutes(29));
        StepVerifier.create(store.find(token)).expectNextCount(1).verifyComplete();

        clock.advance(Duration.ofMinutes(2));

        redis.pause(); // the answer comes from memory, which knows the session has ended
        try {
            StepVerifier.create(store.find(token)).expectComplete().verify(Duration.ofMillis(500));
        } finally {
            redis.resume();
        }
    }
}
