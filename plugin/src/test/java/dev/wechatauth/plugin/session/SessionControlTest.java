package dev.wechatauth.plugin.session;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import dev.wechatauth.plugin.error.GatewayError;
import dev.wechatauth.plugin.error.GatewayErrorException;
import dev.wechatauth.plugin.support.Json;
import dev.wechatauth.plugin.support.MovableClock;
import dev.wechatauth.plugin.support.RedisFixture;
import dev.wechatauth.plugin.wechat.WechatIdentity;
import dev.wechatauth.testkit.RedisProcess;
import io.lettuce.core.api.sync.RedisCommands;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.test.StepVerifier;
import tools.jackson.databind.JsonNode;

/**
 * {@link RedisSessionStore} on a real Redis: the richer session record and records of the previous format, the
 * absolute lifetime, the limit of sessions per user (also under concurrent logins on two stores), a user's sessions
 * listed and ended, and blocks.
 */
class SessionControlTest {

    private static final String NAMESPACE = "control";
    private static final Duration TTL = Duration.ofHours(1);
    private static final Duration MAX_LIFETIME = Duration.ofHours(2);
    private static final String APPID = "wx_app";
    private static final String UA = "Mozilla/5.0 (iPhone) MicroMessenger/8.0.50";

    private static RedisProcess redis;
    private static RedisFixture fixture;
    private final MovableClock clock = new MovableClock();
    private int users;

    @BeforeAll
    static void startRedis() {
        redis = RedisProcess.start();
        fixture = new RedisFixture(redis.port());
    }

    @AfterAll
    static void stopRedis() {
        fixture.close();
        redis.close();
    }

    @BeforeEach
    void emptyRedis() {
        inspector().flushall();
    }

    // --- the record ---

    @Test
    void createWhenDoneThenTheRecordHoldsLoginTimeAbsoluteEndLastUseAndUserAgent() {
        RedisSessionStore store = store(0);
        long before = Instant.now().getEpochSecond();

        IssuedSession issued = create(store, newUser(), UA);

        JsonNode record = Json.parse(inspector().get(sessionKey(issued.token())));
        assertThat(record.get("createdAt").asLong()).isBetween(before, before + 2);
        assertThat(record.get("endsAt").asLong()).isEqualTo(record.get("createdAt").asLong() + MAX_LIFETIME.toSeconds());
        assertThat(record.get("lastUsedAt").asLong()).isEqualTo(record.get("createdAt").asLong());
        assertThat(record.get("userAgent").asString()).isEqualTo(UA);
        assertThat(issued.expiresIn()).isEqualTo(TTL);
    }

    @Test
    void userAgentOfKeepsAtMost256PrintableCharactersAndNothingForNone() {
        assertThat(Session.userAgentOf("a".repeat(300))).hasSize(256);
        assertThat(Session.userAgentOf("bad\r\nX-Injected: 1\u0000")).isEqualTo("bad  X-Injected: 1");
        assertThat(Session.userAgentOf(null)).isNull();
        assertThat(Session.userAgentOf("  ")).isNull();
    }

    @Test
    void aRecordOfThePreviousFormatStaysValidGetsAnAbsoluteEndFromNowAndShowsSensibleValues() {
        RedisSessionStore store = store(3);
        WechatIdentity user = newUser();
        String token = new Tokens().next().block();
        String hash = Tokens.hash(token);
        long createdAt = Instant.now().getEpochSecond() - Duration.ofDays(40).toSeconds();
        // exactly what the previous release wrote: a 40-day-old session last used 10 minutes ago
        inspector().psetex(sessionKey(token), TTL.minusMinutes(10).toMillis(), "{\"openid\":\"" + user.openid()
                + "\",\"unionid\":null,\"appid\":\"" + APPID + "\",\"sessionKey\":\"a2V5\",\"createdAt\":" + createdAt + "}");
        inspector().hset(userKey(user), "session_key", "a2V5");
        inspector().hset(userKey(user), "s:" + hash, Long.toString(createdAt));
        inspector().pexpire(userKey(user), TTL.multipliedBy(2).toMillis());

        List<UserSession> listed = store.sessionsOf(APPID, user.openid()).block();
        assertThat(listed).hasSize(1);
        UserSession before = listed.get(0);
        assertThat(before.id()).isEqualTo(Tokens.publicId(hash));
        assertThat(before.createdAt()).isEqualTo(createdAt);
        assertThat(before.lastUsedAt()).as("derived from its idle time left")
                .isBetween(Instant.now().getEpochSecond() - 600 - 5, Instant.now().getEpochSecond() - 600 + 5);
        assertThat(before.expiresIn()).isBetween(TTL.minusMinutes(11).toSeconds(), TTL.minusMinutes(10).toSeconds());
        assertThat(before.userAgent()).isNull();

        Session session = store.find(token).block();
        assertThat(session).as("the upgrade logs nobody out, however old the session").isNotNull();
        assertThat(session.openid()).isEqualTo(user.openid());
        assertThat(session.createdAt()).isEqualTo(createdAt);
        assertThat(session.endsAt()).as("max-lifetime counted from the upgrade")
                .isBetween(Instant.now().getEpochSecond() + MAX_LIFETIME.toSeconds() - 5,
                        Instant.now().getEpochSecond() + MAX_LIFETIME.toSeconds());
        assertThat(store.expiresIn(session)).isEqualTo(TTL);
        assertThat(inspector().pttl(sessionKey(token))).isGreaterThan(TTL.minusMinutes(1).toMillis());
        assertThat(store.sessionsOf(APPID, user.openid()).block().get(0).lastUsedAt())
                .isGreaterThanOrEqualTo(Instant.now().getEpochSecond() - 5);

        // an index value of the previous format counts as older than any login after the upgrade
        IssuedSession second = create(store, user, UA);
        IssuedSession third = create(store, user, UA);
        create(store, user, UA);
        assertThat(store.find(token).block()).as("the oldest ended past the limit of 3").isNull();
        assertThat(store.find(second.token()).block()).isNotNull();
        assertThat(store.find(third.token()).block()).isNotNull();
    }

    @Test
    void aRenewalThatRewritesLastUsedAtKeepsEveryOtherFieldIntact() {
        RedisSessionStore store = store(0);
        WechatIdentity user = new WechatIdentity(APPID, "o_rewrite", "u_rewrite", "a+b/c==");
        String userAgent = "Mozilla/5.0 (\"quoted\") \u5fae\u4fe1/8.0 \\ back";
        IssuedSession issued = create(store, user, userAgent);
        clock.advance(Duration.ofMinutes(5));

        Session renewed = store.find(issued.token()).block();

        assertThat(renewed).isNotNull();
        assertThat(renewed.lastUsedAt()).isGreaterThanOrEqualTo(issued.session().createdAt() + 299);
        assertThat(renewed.userAgent()).isEqualTo(userAgent);
        assertThat(renewed.sessionKey()).isEqualTo("a+b/c==");
        assertThat(renewed.unionid()).isEqualTo("u_rewrite");
        assertThat(renewed.createdAt()).isEqualTo(issued.session().createdAt());
        assertThat(renewed.endsAt()).isEqualTo(issued.session().endsAt());

        IssuedSession plain = create(store, new WechatIdentity(APPID, "o_plain", null, "a2V5"), null);
        clock.advance(Duration.ofMinutes(5));
        Session plainRenewed = store.find(plain.token()).block();
        assertThat(plainRenewed).isNotNull();
        assertThat(plainRenewed.lastUsedAt()).isGreaterThan(plain.session().createdAt());
        assertThat(plainRenewed.unionid()).isNull();
        assertThat(plainRenewed.userAgent()).isNull();
    }

    // --- max-lifetime ---

    @Test
    void aRenewalNeverExtendsASessionPastItsAbsoluteEnd() {
        RedisSessionStore store = store(0);
        IssuedSession issued = create(store, newUser(), null);
        clock.advance(Duration.ofMinutes(90));

        Session session = store.find(issued.token()).block();

        assertThat(session).isNotNull();
        // on this store's clock 30 minutes are left, not the full idle timeout
        assertThat(store.expiresIn(session)).isBetween(Duration.ofMinutes(29), Duration.ofMinutes(30));
        // Redis expires it at its absolute end: two hours after the login (wall clock), not now + one hour
        assertThat(inspector().pttl(sessionKey(issued.token())))
                .isBetween(MAX_LIFETIME.minusMinutes(1).toMillis(), MAX_LIFETIME.toMillis());
        assertThat(store.renew(issued.token(), session).block()).isTrue();
        assertThat(inspector().pttl(sessionKey(issued.token()))).isLessThanOrEqualTo(MAX_LIFETIME.toMillis());
    }

    @Test
    void aSessionPastItsAbsoluteEndIsGoneHoweverRecentlyUsed() {
        RedisSessionStore store = store(0);
        IssuedSession issued = create(store, newUser(), null);
        clock.advance(Duration.ofMinutes(59));
        assertThat(store.find(issued.token()).block()).isNotNull();
        clock.advance(Duration.ofMinutes(59));
        assertThat(store.find(issued.token()).block()).isNotNull();
        clock.advance(Duration.ofMinutes(3));

        StepVerifier.create(store.find(issued.token())).verifyComplete();
        StepVerifier.create(store.renew(issued.token(), issued.session())).expectNext(false).verifyComplete();
        assertThat(inspector().exists(sessionKey(issued.token()))).isZero();
    }

    @Test
    void aMaxLifetimeShorterThanTheIdleTimeoutIsTheFirstExpiry() {
        RedisSessionStore store = new RedisSessionStore(fixture.template(), new Tokens(),
                SessionWriter.of(fixture.template()), NAMESPACE, new SessionPolicy(TTL, Duration.ofMinutes(5), 0), clock);

        IssuedSession issued = create(store, newUser(), null);

        assertThat(issued.expiresIn()).isEqualTo(Duration.ofMinutes(5));
        assertThat(inspector().pttl(sessionKey(issued.token()))).isLessThanOrEqualTo(Duration.ofMinutes(5).toMillis());
    }

    // --- max-per-user ---

    @Test
    void aLoginPastTheLimitEndsTheUsersOldestSessionsOnly() {
        RedisSessionStore store = store(3);
        WechatIdentity user = newUser();
        IssuedSession other = create(store, newUser(), null);
        List<IssuedSession> issued = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            issued.add(create(store, user, null)); // within one second: the login order decides
        }

        assertThat(store.find(issued.get(0).token()).block()).isNull();
        assertThat(store.find(issued.get(1).token()).block()).isNull();
        for (IssuedSession kept : issued.subList(2, 5)) {
            assertThat(store.find(kept.token()).block()).isNotNull();
        }
        assertThat(store.find(other.token()).block()).as("another user's session").isNotNull();
        assertThat(store.sessionsOf(APPID, user.openid()).block()).extracting(UserSession::id)
                .containsExactly(id(issued.get(4)), id(issued.get(3)), id(issued.get(2)));
    }

    @Test
    void concurrentLoginsOfOneUserOnTwoStoresNeverLeaveMoreThanTheLimit() {
        RedisSessionStore a = store(3);
        RedisSessionStore b = store(3);
        WechatIdentity user = newUser();

        List<CompletableFuture<IssuedSession>> logins = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            logins.add((i % 2 == 0 ? a : b).create(user, null).toFuture());
        }
        List<IssuedSession> issued = logins.stream().map(CompletableFuture::join).toList();

        long live = issued.stream().filter(session -> a.find(session.token()).block() != null).count();
        assertThat(live).isEqualTo(3);
        assertThat(inspector().hkeys(userKey(user)).stream().filter(field -> field.startsWith("s:"))).hasSize(3);
        assertThat(inspector().keys(NAMESPACE + ":session:*")).hasSize(3);
    }

    @Test
    void noLimitKeepsEverySession() {
        RedisSessionStore store = store(0);
        WechatIdentity user = newUser();
        List<IssuedSession> issued = Flux.range(0, 15).concatMap(i -> store.create(user, null)).collectList().block();

        assertThat(issued).allSatisfy(session -> assertThat(store.find(session.token()).block()).isNotNull());
    }

    // --- a user's sessions ---

    @Test
    void sessionsOfListsTheUsersLiveSessionsNewestFirstAndForgetsGoneOnes() {
        RedisSessionStore store = store(0);
        WechatIdentity user = newUser();
        IssuedSession first = create(store, user, "phone");
        IssuedSession second = create(store, user, null);
        IssuedSession third = create(store, user, "tablet");
        create(store, newUser(), null);
        inspector().del(sessionKey(second.token())); // expired

        List<UserSession> listed = store.sessionsOf(APPID, user.openid()).block();

        assertThat(listed).extracting(UserSession::id).containsExactly(id(third), id(first));
        assertThat(listed).extracting(UserSession::userAgent).containsExactly("tablet", "phone");
        assertThat(listed.get(0).expiresIn()).isBetween(TTL.toSeconds() - 5, TTL.toSeconds());
        assertThat(inspector().hexists(userKey(user), "s:" + Tokens.hash(second.token()))).isFalse();
        assertThat(store.sessionsOf(APPID, "o_nobody").block()).isEmpty();
    }

    @Test
    void endEndsOneSessionOfTheUserByItsIdAndNoOtherUsersSession() {
        RedisSessionStore store = store(0);
        WechatIdentity user = newUser();
        WechatIdentity other = newUser();
        IssuedSession phone = create(store, user, null);
        IssuedSession tablet = create(store, user, null);
        IssuedSession others = create(store, other, null);

        assertThat(store.end(APPID, user.openid(), id(others)).block()).as("another user's id").isFalse();
        assertThat(store.end("wx_other_app", user.openid(), id(phone)).block()).as("another app").isFalse();
        assertThat(store.end(APPID, user.openid(), id(phone)).block()).isTrue();
        assertThat(store.end(APPID, user.openid(), id(phone)).block()).as("ended already").isFalse();

        assertThat(store.find(phone.token()).block()).isNull();
        assertThat(store.find(tablet.token()).block()).isNotNull();
        assertThat(store.find(others.token()).block()).isNotNull();
    }

    @Test
    void endAllEndsEverySessionOfTheUserInThatAppOnly() {
        RedisSessionStore store = store(0);
        WechatIdentity user = newUser();
        WechatIdentity sameOpenidOtherApp = new WechatIdentity("wx_app_two", user.openid(), null, "a2V5");
        IssuedSession phone = create(store, user, null);
        IssuedSession tablet = create(store, user, null);
        IssuedSession elsewhere = create(store, sameOpenidOtherApp, null);

        assertThat(store.endAll(APPID, user.openid()).block()).isEqualTo(2);

        assertThat(store.find(phone.token()).block()).isNull();
        assertThat(store.find(tablet.token()).block()).isNull();
        assertThat(store.find(elsewhere.token()).block()).isNotNull();
        assertThat(store.newestSessionKey(APPID, user.openid()).block()).as("decryption keeps working after a new login")
                .isEqualTo(user.sessionKey());
        assertThat(store.endAll(APPID, user.openid()).block()).isZero();
    }

    // --- blocks ---

    @Test
    void aBlockEndsEverySessionRefusesLoginsUntilItRunsOutAndLivesInRedisWithATtl() {
        RedisSessionStore store = store(0);
        WechatIdentity user = newUser();
        IssuedSession issued = create(store, user, null);

        store.block(APPID, user.openid(), Duration.ofDays(30)).block();

        assertThat(store.find(issued.token()).block()).isNull();
        StepVerifier.create(store.create(user, null))
                .expectErrorSatisfies(failure -> assertThat(((GatewayErrorException) failure).error())
                        .isEqualTo(GatewayError.BLOCKED_USER))
                .verify(Duration.ofSeconds(5));
        assertThat(inspector().keys(NAMESPACE + ":session:*")).as("the refused login left no session").isEmpty();
        assertThat(store.blockedFor(APPID, user.openid()).block())
                .isBetween(Duration.ofDays(30).minusSeconds(5), Duration.ofDays(30));
        assertThat(inspector().pttl(userKey(user))).as("the block's TTL").isGreaterThanOrEqualTo(
                Duration.ofDays(30).minusMinutes(1).toMillis());
        assertThat(store.find(create(store, newUser(), null).token()).block()).as("another user").isNotNull();

        clock.advance(Duration.ofDays(30).plusSeconds(1));
        assertThat(store.blockedFor(APPID, user.openid()).block()).as("run out").isNull();
        assertThat(create(store, user, null)).isNotNull();
    }

    @Test
    void unblockLetsTheUserLogInAgain() {
        RedisSessionStore store = store(0);
        WechatIdentity user = newUser();
        store.block(APPID, user.openid(), Duration.ofHours(1)).block();

        assertThat(store.unblock(APPID, user.openid()).block()).isTrue();
        assertThat(store.unblock(APPID, user.openid()).block()).isFalse();

        assertThat(store.blockedFor(APPID, user.openid()).block()).isNull();
        assertThat(store.find(create(store, user, null).token()).block()).isNotNull();
    }

    @Test
    void anIndexRenewalNeverShortensABlock() {
        RedisSessionStore store = store(0);
        WechatIdentity user = newUser();
        IssuedSession issued = create(store, user, null);
        Session session = store.find(issued.token()).block();
        store.block(APPID, user.openid(), Duration.ofDays(60)).block();

        store(0).renew(issued.token(), session).block(); // a renewal that raced the block

        assertThat(inspector().pttl(userKey(user))).isGreaterThan(Duration.ofDays(59).toMillis());
    }

    // --- helpers ---

    private RedisSessionStore store(int maxPerUser) {
        return new RedisSessionStore(fixture.template(), new Tokens(), SessionWriter.of(fixture.template()), NAMESPACE,
                new SessionPolicy(TTL, MAX_LIFETIME, maxPerUser), clock);
    }

    private WechatIdentity newUser() {
        users++;
        return new WechatIdentity(APPID, "o_user_" + users, null, "a2V5LXVzZXI=");
    }

    private static IssuedSession create(RedisSessionStore store, WechatIdentity user, String userAgent) {
        IssuedSession issued = store.create(user, userAgent).block(Duration.ofSeconds(5));
        assertThat(issued).isNotNull();
        return issued;
    }

    private static String id(IssuedSession issued) {
        return Tokens.publicId(Tokens.hash(issued.token()));
    }

    private static String sessionKey(String token) {
        return NAMESPACE + ":session:" + Tokens.hash(token);
    }

    private static String userKey(WechatIdentity user) {
        return NAMESPACE + ":user:" + user.appid() + ":" + user.openid();
    }

    private static RedisCommands<String, String> inspector() {
        return fixture.inspector();
    }

}
