package dev.wechatauth.plugin.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import dev.wechatauth.plugin.error.GatewayError;
import dev.wechatauth.plugin.error.GatewayErrorException;
import dev.wechatauth.plugin.support.Json;
import dev.wechatauth.plugin.support.RedisFixture;
import dev.wechatauth.plugin.wechat.WechatIdentity;
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
        store = new RedisSessionStore(fixture.template(), new Tokens(), SessionWriter.of(fixture.template()), NAMESPACE, new SessionPolicy(TTL, Duration.ofDays(30), 0), Clock.systemUTC());
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
        StepVerifier.create(store.create(ALICE, null))
                .assertNext(issued -> {
                    assertThat(issued.token()).matches("^[A-Za-z0-9_-]{43}$");
                    assertThat(issued.expiresIn()).isEqualTo(TTL);
                    assertThat(issued.session().openid()).isEqualTo("o_alice");
                    assertThat(issued.session().unionid()).isEqualTo("u_alice");
                    assertThat(issued.session().appid()).isEqualTo(APPID);
                    assertThat(issued.toString()).doesNotContain(issued.token());
                })
                .verifyComplete();
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
                new SessionPolicy(TTL, Duration.ofDays(30), 0), Clock.systemUTC());
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
        await().atMost(Duration.ofSeconds(5)).until(() -> inspector().exists(sessionKey) == 0);

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
        assertThat(indexedSessions(ALICE)).isEmpty();
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
        assertThat(indexedSessions(ALICE)).containsExactly(Tokens.hash(tablet.token()));
    }

    // --- the user index ---

    @Test
    void createWhenUserLogsInOnTwoDevicesThenTheIndexListsBothAndBothAreValid() {
        IssuedSession phone = create(ALICE);
        IssuedSession tablet = create(ALICE_AGAIN);
        create(BOB);

        assertThat(indexedSessions(ALICE))
                .containsExactlyInAnyOrder(Tokens.hash(phone.token()), Tokens.hash(tablet.token()));
        StepVerifier.create(store.find(phone.token())).expectNextCount(1).verifyComplete();
        StepVerifier.create(store.find(tablet.token())).expectNextCount(1).verifyComplete();
    }

    @Test
    void createWhenUserLogsInAgainThenTheIndexHoldsTheNewestSessionKey() {
        create(ALICE);
        assertThat(inspector().hget(userKeyOf(ALICE), "session_key")).isEqualTo(ALICE.sessionKey());

        create(ALICE_AGAIN);

        assertThat(inspector().hget(userKeyOf(ALICE), "session_key")).isEqualTo(ALICE_AGAIN.sessionKey());
    }

    @Test
    void createWhenSameOpenidInAnotherAppThenKeptApart() {
        WechatIdentity aliceInAppTwo = new WechatIdentity("wx_app_two", "o_alice", null, "b3RoZXItYXBw");
        create(ALICE);
        create(aliceInAppTwo);

        assertThat(inspector().hget(userKeyOf(ALICE), "session_key")).isEqualTo(ALICE.sessionKey());
        assertThat(inspector().hget(userKeyOf(aliceInAppTwo), "session_key")).isEqualTo("b3RoZXItYXBw");
        assertThat(indexedSessions(aliceInAppTwo)).hasSize(1);
    }

    // --- Redis unavailable ---

    @Test
    void everyMethodWhenRedisStoppedThenSessionStoreUnavailableAndWhenRestartedThenWorksAgain() {
        IssuedSession issued = create(ALICE);
        redis.stop();
        try {
            expectUnavailable(store.create(BOB, null));
            expectUnavailable(store.find(issued.token()));
            expectUnavailable(store.delete(issued.token()));
            expectUnavailable(store.renew(issued.token(), store.find(issued.token()).onErrorComplete().block()));
        } finally {
            redis.restart();
        }

        awaitStoreUsable();

        IssuedSession after = create(BOB);
        StepVerifier.create(store.find(after.token())).expectNextCount(1).verifyComplete();
    }

    @Test
    void findAndCreateWhenRedisFrozenThenSessionStoreUnavailableWithinTheCommandTimeout() {
        IssuedSession issued = create(ALICE);
        redis.pause();
        try {
            expectUnavailable(store.find(issued.token()));
            expectUnavailable(store.create(BOB, null));
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
        IssuedSession issued = store.create(identity, null).block(Duration.ofSeconds(5));
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

    /** {@code call} fails with session_store_unavailable instead of hanging (the command timeout is 1 s). */
    private static void expectUnavailable(Publisher<?> call) {
        StepVerifier.create(call)
                .expectErrorSatisfies(failure -> assertThat(failure)
                        .isInstanceOfSatisfying(GatewayErrorException.class, expected -> assertThat(expected.error())
                                .isEqualTo(GatewayError.SESSION_STORE_UNAVAILABLE)))
                .verify(Duration.ofSeconds(10));
    }

    /** The token hashes the user's index lists. */
    private static List<String> indexedSessions(WechatIdentity identity) {
        return inspector().hkeys(userKeyOf(identity)).stream()
                .filter(field -> field.startsWith("s:")).map(field -> field.substring(2)).toList();
    }

    /** Waits until the store answers again (it reconnects by itself). */
    private static void awaitStoreUsable() {
        String probe = new Tokens().next().block(Duration.ofSeconds(5));
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50)).ignoreExceptions()
                .until(() -> !store.find(probe).hasElement().block(Duration.ofSeconds(2)));
    }
}
