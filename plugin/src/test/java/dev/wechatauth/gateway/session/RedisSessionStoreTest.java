package dev.wechatauth.gateway.session;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import dev.wechatauth.gateway.error.GatewayError;
import dev.wechatauth.gateway.error.GatewayErrorException;
import dev.wechatauth.gateway.support.Json;
import dev.wechatauth.gateway.support.RedisFixture;
import dev.wechatauth.gateway.wechat.WechatIdentity;
import dev.wechatauth.testkit.RedisProcess;
import io.lettuce.core.api.sync.RedisCommands;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Publisher;
import reactor.test.StepVerifier;
import tools.jackson.databind.JsonNode;

class RedisSessionStoreTest {

    private static final String NAMESPACE = "test-ns";
    private static final Duration TTL = Duration.ofHours(2);
    private static final String APPID = "wx_app_one";
    private static final WechatIdentity ALICE = new WechatIdentity(APPID, "o_alice", "u_alice", "a2V5LWFsaWNlLTE=");
    private static final WechatIdentity ALICE_AGAIN = new WechatIdentity(APPID, "o_alice", "u_alice", "a2V5LWFsaWNlLTI=");
    private static final WechatIdentity BOB = new WechatIdentity(APPID, "o_bob", null, "a2V5LWJvYg==");

    private static RedisProcess redis;
    private static RedisFixture fixture;
    private static RedisSessionStore store;

    @BeforeAll
    static void startRedis() {
        redis = RedisProcess.start();
        fixture = new RedisFixture(redis.port());
        store = new RedisSessionStore(fixture.template(), new Tokens(), SessionWriter.of(fixture.template()), NAMESPACE, TTL, Clock.systemUTC());
    }

    @AfterAll
    static void stopRedis() {
        fixture.close();
        redis.close();
    }

    @BeforeEach
    void emptyRedis() {
        awaitStoreUsable();
        inspector().flushall();
    }

    // --- create ---

    @Test
    void createWhenIdentityGivenThenA43CharacterBase64urlTokenLivingTtl() {
        StepVerifier.create(store.create(ALICE))
                .assertNext(issued -> {
                    assertThat(issued.token()).matches("^[A-Za-z0-9_-]{43}$");
                    assertThat(issued.expiresIn()).isEqualTo(TTL);
                    assertThat(issued.session().openid()).isEqualTo("o_alice");
                    assertThat(issued.session().unionid()).isEqualTo("u_alice");
                    assertThat(issued.session().appid()).isEqualTo(APPID);
                    assertThat(issued.toString()).doesNotContain(issued.token());
                })
                .verifyComplete();
        assertThat(store.ttl()).isEqualTo(TTL);
    }

    @Test
    void createWhenDoneThenRedisHoldsOnlyAHashOfTheToken() {
        IssuedSession issued = create(ALICE);
        String token = issued.token();
        byte[] raw = Base64.getUrlDecoder().decode(token);
        List<String> forms = List.of(token, Base64.getEncoder().encodeToString(raw),
                Base64.getEncoder().withoutPadding().encodeToString(raw), HexFormat.of().formatHex(raw),
                HexFormat.of().withUpperCase().formatHex(raw));

        List<String> everything = everythingInRedis();
        assertThat(everything).isNotEmpty();
        for (String text : everything) {
            for (String form : forms) {
                assertThat(text).doesNotContain(form);
            }
        }
        assertThat(inspector().keys("*")).contains(NAMESPACE + ":session:" + Tokens.hash(token));
    }

    @Test
    void createWhenDoneThenTheSessionRecordHoldsTheIdentityAndCreationTime() {
        long before = Instant.now().getEpochSecond();
        IssuedSession issued = create(ALICE);
        long after = Instant.now().getEpochSecond();

        String record = inspector().get(NAMESPACE + ":session:" + Tokens.hash(issued.token()));
        assertThat(record).isNotNull();
        JsonNode json = Json.parse(record);
        assertThat(json.get("openid").asString()).isEqualTo("o_alice");
        assertThat(json.get("unionid").asString()).isEqualTo("u_alice");
        assertThat(json.get("appid").asString()).isEqualTo(APPID);
        assertThat(record).contains("\"" + ALICE.sessionKey() + "\"");
        assertThat(json.get("createdAt").asLong()).isBetween(before, after);
    }

    @Test
    void createWhenDoneThenEveryKeyHasATtlAndLivesUnderTheNamespace() {
        create(ALICE);
        create(BOB);

        List<String> keys = inspector().keys("*");
        assertThat(keys).hasSizeGreaterThanOrEqualTo(4);
        for (String key : keys) {
            assertThat(key).startsWith(NAMESPACE + ":");
            assertThat(inspector().pttl(key)).as("PTTL of %s", key)
                    .isGreaterThan(TTL.minusMinutes(1).toMillis())
                    .isLessThanOrEqualTo(TTL.plus(RedisSessionStore.indexRenewalInterval(TTL).multipliedBy(2)).toMillis());
        }
    }

    /** A store as a gateway instance that just started has it: it has renewed no user's index yet. */
    private static RedisSessionStore freshStore() {
        return new RedisSessionStore(fixture.template(), new Tokens(), SessionWriter.of(fixture.template()), NAMESPACE,
                TTL, Clock.systemUTC());
    }

    // --- find ---

    @Test
    void findWhenTokenValidThenTheSession() {
        IssuedSession issued = create(BOB);

        StepVerifier.create(store.find(issued.token()))
                .assertNext(session -> {
                    assertThat(session.openid()).isEqualTo("o_bob");
                    assertThat(session.unionid()).isNull();
                    assertThat(session.appid()).isEqualTo(APPID);
                    assertThat(session.sessionKey()).isEqualTo(BOB.sessionKey());
                    assertThat(session.createdAt()).isEqualTo(issued.session().createdAt());
                })
                .verifyComplete();
    }

    @Test
    void findWhenTokenUnknownThenEmpty() {
        create(ALICE);
        String unknown = new Tokens().next().block(Duration.ofSeconds(5));

        StepVerifier.create(store.find(unknown)).verifyComplete();
    }

    @Test
    void findWhenSessionExpiredThenEmpty() {
        IssuedSession issued = create(ALICE);
        String sessionKey = NAMESPACE + ":session:" + Tokens.hash(issued.token());
        inspector().pexpire(sessionKey, 1);
        poll(() -> inspector().exists(sessionKey) == 0, Duration.ofSeconds(2));

        StepVerifier.create(store.find(issued.token())).verifyComplete();
    }

    @Test
    void findWhenTtlRanDownThenRenewsItToTheFullTtl() {
        RedisSessionStore store = freshStore();
        IssuedSession issued = create(ALICE);
        String sessionKey = NAMESPACE + ":session:" + Tokens.hash(issued.token());
        String userKey = userKeyOf(ALICE);
        inspector().pexpire(sessionKey, 5_000);
        inspector().pexpire(userKey, 5_000);

        StepVerifier.create(store.find(issued.token())).expectNextCount(1).verifyComplete();

        assertThat(inspector().pttl(sessionKey)).isGreaterThan(TTL.minusSeconds(30).toMillis())
                .isLessThanOrEqualTo(TTL.toMillis());
        assertThat(inspector().pttl(userKey)).as("the user index outlives the sessions it lists")
                .isGreaterThanOrEqualTo(inspector().pttl(sessionKey));
    }

    @Test
    void findWhenTheUsersIndexWasRenewedWithinTheIndexIntervalThenOnlyTheSessionIsRenewed() {
        RedisSessionStore store = freshStore();
        IssuedSession phone = create(ALICE);
        IssuedSession tablet = create(ALICE_AGAIN);
        String userKey = userKeyOf(ALICE);
        inspector().pexpire(userKey, TTL.plusMinutes(1).toMillis());
        store.find(phone.token()).block(Duration.ofSeconds(5));
        assertThat(inspector().pttl(userKey)).as("the first lookup renews the index")
                .isGreaterThan(TTL.plusMinutes(1).toMillis());
        inspector().pexpire(userKey, TTL.plusMinutes(1).toMillis());

        StepVerifier.create(store.find(tablet.token())).expectNextCount(1).verifyComplete();

        assertThat(inspector().pttl(userKey)).as("one index renewal per user and interval, not one per session")
                .isLessThanOrEqualTo(TTL.plusMinutes(1).toMillis());
    }

    @Test
    void indexRenewalIntervalIsATenthOfTheTtlAtMostAnHourAndNeverShorterThanTheSessionRenewal() {
        assertThat(RedisSessionStore.indexRenewalInterval(Duration.ofDays(7))).isEqualTo(Duration.ofHours(1));
        assertThat(RedisSessionStore.indexRenewalInterval(Duration.ofMinutes(10))).isEqualTo(Duration.ofMinutes(1));
        assertThat(RedisSessionStore.indexRenewalInterval(Duration.ofSeconds(5))).isEqualTo(Duration.ofSeconds(1));
    }

    // --- renew ---

    @Test
    void renewWhenSessionLiveThenTrueAndItsTtlIsFullAgainWithoutReadingIt() {
        IssuedSession issued = create(ALICE);
        String sessionKey = NAMESPACE + ":session:" + Tokens.hash(issued.token());
        inspector().pexpire(sessionKey, 5_000);

        StepVerifier.create(store.renew(issued.token(), issued.session())).expectNext(true).verifyComplete();

        assertThat(inspector().pttl(sessionKey)).isGreaterThan(TTL.minusSeconds(30).toMillis());
    }

    @Test
    void renewWhenSessionGoneThenFalseAndNothingIsCreated() {
        IssuedSession issued = create(ALICE);
        String sessionKey = NAMESPACE + ":session:" + Tokens.hash(issued.token());
        inspector().del(sessionKey);

        StepVerifier.create(store.renew(issued.token(), issued.session())).expectNext(false).verifyComplete();

        assertThat(inspector().keys(sessionKey)).isEmpty();
    }

    // --- delete ---

    @Test
    void deleteWhenSessionExistsThenTrueAndTheTokenStopsWorking() {
        IssuedSession issued = create(ALICE);

        StepVerifier.create(store.delete(issued.token())).expectNext(true).verifyComplete();
        StepVerifier.create(store.find(issued.token())).verifyComplete();
        StepVerifier.create(store.delete(issued.token())).expectNext(false).verifyComplete();
        StepVerifier.create(store.sessionIds(APPID, "o_alice")).verifyComplete();
    }

    @Test
    void deleteWhenTokenUnknownThenFalse() {
        StepVerifier.create(store.delete(new Tokens().next().block(Duration.ofSeconds(5))))
                .expectNext(false)
                .verifyComplete();
    }

    @Test
    void deleteWhenUserHasTwoSessionsThenTheOtherStaysValid() {
        IssuedSession phone = create(ALICE);
        IssuedSession tablet = create(ALICE_AGAIN);

        StepVerifier.create(store.delete(phone.token())).expectNext(true).verifyComplete();

        StepVerifier.create(store.find(tablet.token())).expectNextCount(1).verifyComplete();
        StepVerifier.create(store.sessionIds(APPID, "o_alice").collectList())
                .assertNext(ids -> assertThat(ids).containsExactly(Tokens.hash(tablet.token())))
                .verifyComplete();
    }

    // --- the user index ---

    @Test
    void sessionIdsWhenUserLoggedInOnTwoDevicesThenBothListedAndBothValid() {
        IssuedSession phone = create(ALICE);
        IssuedSession tablet = create(ALICE_AGAIN);
        create(BOB);

        StepVerifier.create(store.sessionIds(APPID, "o_alice").collectList())
                .assertNext(ids -> assertThat(ids)
                        .containsExactlyInAnyOrder(Tokens.hash(phone.token()), Tokens.hash(tablet.token())))
                .verifyComplete();
        StepVerifier.create(store.find(phone.token())).expectNextCount(1).verifyComplete();
        StepVerifier.create(store.find(tablet.token())).expectNextCount(1).verifyComplete();
    }

    @Test
    void sessionKeyWhenUserLoggedInAgainThenTheNewestSessionKey() {
        create(ALICE);
        StepVerifier.create(store.sessionKey(APPID, "o_alice")).expectNext(ALICE.sessionKey()).verifyComplete();

        create(ALICE_AGAIN);

        StepVerifier.create(store.sessionKey(APPID, "o_alice")).expectNext(ALICE_AGAIN.sessionKey()).verifyComplete();
    }

    @Test
    void sessionKeyWhenUserUnknownThenEmpty() {
        StepVerifier.create(store.sessionKey(APPID, "o_nobody")).verifyComplete();
    }

    @Test
    void sessionKeyWhenSameOpenidInAnotherAppThenKeptApart() {
        create(ALICE);
        create(new WechatIdentity("wx_app_two", "o_alice", null, "b3RoZXItYXBw"));

        StepVerifier.create(store.sessionKey(APPID, "o_alice")).expectNext(ALICE.sessionKey()).verifyComplete();
        StepVerifier.create(store.sessionKey("wx_app_two", "o_alice")).expectNext("b3RoZXItYXBw").verifyComplete();
        StepVerifier.create(store.sessionIds("wx_app_two", "o_alice")).expectNextCount(1).verifyComplete();
    }

    @Test
    void deleteAllWhenUserHasSessionsThenEndsEveryOneAndOnlyTheirs() {
        IssuedSession phone = create(ALICE);
        IssuedSession tablet = create(ALICE_AGAIN);
        IssuedSession bob = create(BOB);

        StepVerifier.create(store.deleteAll(APPID, "o_alice")).expectNext(2L).verifyComplete();

        StepVerifier.create(store.find(phone.token())).verifyComplete();
        StepVerifier.create(store.find(tablet.token())).verifyComplete();
        StepVerifier.create(store.sessionIds(APPID, "o_alice")).verifyComplete();
        StepVerifier.create(store.find(bob.token())).expectNextCount(1).verifyComplete();
    }

    @Test
    void deleteAllWhenUserUnknownThenZero() {
        StepVerifier.create(store.deleteAll(APPID, "o_nobody")).expectNext(0L).verifyComplete();
    }

    @Test
    void sessionIdsWhenASessionExpiredThenItIsPrunedFromTheIndex() {
        IssuedSession expired = create(ALICE);
        IssuedSession live = create(ALICE_AGAIN);
        String expiredKey = NAMESPACE + ":session:" + Tokens.hash(expired.token());
        inspector().pexpire(expiredKey, 1);
        poll(() -> inspector().exists(expiredKey) == 0, Duration.ofSeconds(2));

        StepVerifier.create(store.sessionIds(APPID, "o_alice").collectList())
                .assertNext(ids -> assertThat(ids).containsExactly(Tokens.hash(live.token())))
                .verifyComplete();

        Map<String, String> index = inspector().hgetall(userKeyOf(ALICE));
        assertThat(index.keySet()).noneMatch(field -> field.contains(Tokens.hash(expired.token())));
        assertThat(index.keySet()).anyMatch(field -> field.contains(Tokens.hash(live.token())));
    }

    // --- Redis unavailable ---

    @Test
    void everyMethodWhenRedisStoppedThenSessionStoreUnavailableAndWhenRestartedThenWorksAgain() {
        IssuedSession issued = create(ALICE);
        redis.stop();
        try {
            expectUnavailable(store.create(BOB));
            expectUnavailable(store.find(issued.token()));
            expectUnavailable(store.delete(issued.token()));
            expectUnavailable(store.sessionIds(APPID, "o_alice"));
            expectUnavailable(store.deleteAll(APPID, "o_alice"));
            expectUnavailable(store.sessionKey(APPID, "o_alice"));
        } finally {
            redis.restart();
        }

        long start = System.nanoTime();
        awaitStoreUsable();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));

        IssuedSession after = create(BOB);
        StepVerifier.create(store.find(after.token())).expectNextCount(1).verifyComplete();
    }

    @Test
    void findAndCreateWhenRedisFrozenThenSessionStoreUnavailableWithinTheCommandTimeout() {
        IssuedSession issued = create(ALICE);
        redis.pause();
        try {
            expectUnavailable(store.find(issued.token()));
            expectUnavailable(store.create(BOB));
        } finally {
            redis.resume();
        }

        awaitStoreUsable();
        StepVerifier.create(store.find(issued.token())).expectNextCount(1).verifyComplete();
    }

    // --- helpers ---

    private static RedisCommands<String, String> inspector() {
        return fixture.inspector();
    }

    private static IssuedSession create(WechatIdentity identity) {
        IssuedSession issued = store.create(identity).block(Duration.ofSeconds(5));
        assertThat(issued).isNotNull();
        return issued;
    }

    private static String userKeyOf(WechatIdentity identity) {
        return NAMESPACE + ":user:" + identity.appid() + ":" + identity.openid();
    }

    /** Every key, string value, hash field and hash value in Redis. */
    private static List<String> everythingInRedis() {
        List<String> all = new ArrayList<>();
        for (String key : inspector().keys("*")) {
            all.add(key);
            switch (inspector().type(key)) {
                case "string" -> all.add(inspector().get(key));
                case "hash" -> inspector().hgetall(key).forEach((field, value) -> {
                    all.add(field);
                    all.add(value);
                });
                case "set" -> all.addAll(inspector().smembers(key));
                case "list" -> all.addAll(inspector().lrange(key, 0, -1));
                case "zset" -> all.addAll(inspector().zrange(key, 0, -1));
                default -> throw new AssertionError("unexpected type of " + key + ": " + inspector().type(key));
            }
        }
        return all;
    }

    private static void expectUnavailable(Publisher<?> call) {
        Duration took = StepVerifier.create(call)
                .expectErrorSatisfies(failure -> assertThat(failure)
                        .isInstanceOfSatisfying(GatewayErrorException.class, expected -> assertThat(expected.error())
                                .isEqualTo(GatewayError.SESSION_STORE_UNAVAILABLE)))
                .verify(Duration.ofSeconds(5));
        assertThat(took).isLessThan(Duration.ofMillis(2_500));
    }

    /** Waits until the store answers again (it reconnects by itself), polling every 50 ms for at most 5 s. */
    private static void awaitStoreUsable() {
        poll(() -> {
            try {
                store.sessionKey(APPID, "o_probe").block(Duration.ofSeconds(2));
                return true;
            } catch (RuntimeException notYet) {
                return false;
            }
        }, Duration.ofSeconds(5));
    }

    private static void poll(Supplier<Boolean> condition, Duration atMost) {
        long deadline = System.nanoTime() + atMost.toNanos();
        while (!condition.get()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within " + atMost);
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted", e);
            }
        }
    }
}
