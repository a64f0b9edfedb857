package dev.wechatauth.plugin.accesstoken;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import dev.wechatauth.plugin.error.GatewayError;
import dev.wechatauth.plugin.error.GatewayErrorException;
import dev.wechatauth.plugin.phone.PhoneNumbers;
import dev.wechatauth.plugin.support.RedisFixture;
import dev.wechatauth.plugin.wechat.MiniProgram;
import dev.wechatauth.plugin.wechat.PhoneNumber;
import dev.wechatauth.plugin.wechat.WechatCallGuard;
import dev.wechatauth.plugin.wechat.WechatClient;
import dev.wechatauth.plugin.wechat.WechatHttpClients;
import dev.wechatauth.testkit.FreePort;
import dev.wechatauth.testkit.RedisProcess;
import dev.wechatauth.testkit.Reply;
import dev.wechatauth.testkit.WechatStandIn;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

/**
 * The access_token shared through one real Redis by several managers (as several gateway instances would hold them),
 * against the WeChat stand-in over real HTTP.
 */
class AccessTokensTest {

    private static final String APPID = "wx_tokens_app";
    private static final String SECRET = "secret-of-the-tokens-app";
    private static final MiniProgram APP = new MiniProgram(APPID, SECRET);
    private static final String NAMESPACE = "access-tokens-test";
    private static final String TOKEN_KEY = NAMESPACE + ":access-token:" + APPID;
    private static final String LOCK_KEY = NAMESPACE + ":access-token-lock:" + APPID;
    private static final Duration TIMEOUT = Duration.ofSeconds(2);
    private static final Duration GENEROUS = Duration.ofSeconds(30);

    private static RedisProcess redis;
    private static RedisFixture fixture;
    private static WechatStandIn wechat;
    private static WechatClient client;

    private int codes;

    @BeforeAll
    static void start() {
        redis = RedisProcess.start();
        fixture = new RedisFixture(redis.port());
        wechat = WechatStandIn.start();
        wechat.registerApp(APPID, SECRET);
        client = new WechatClient(WechatHttpClients.webClient(TIMEOUT, 200), URI.create(wechat.baseUrl()), TIMEOUT,
                64 * 1024);
    }

    @AfterAll
    static void stop() {
        wechat.close();
        fixture.close();
        redis.close();
    }

    @BeforeEach
    void fresh() {
        wechat.clearScripts();
        wechat.invalidateAccessTokens(APPID);
        wechat.accessTokenLifetime(Duration.ofSeconds(7200));
        wechat.accessTokenRenewWithin(Duration.ofMinutes(5));
        wechat.resetCounters();
        fixture.inspector().del(TOKEN_KEY, LOCK_KEY);
    }

    // --- sharing ---

    @Test
    void fiftyConcurrentPhoneCallsOnTwoInstancesFetchTheAccessTokenOncePerExpiry() {
        // as WeChat does in a token's last minutes, the stand-in hands out a new token in its last second: a manager
        // that asks once the token left Redis gets a new one, not the old one with a second left
        wechat.accessTokenLifetime(Duration.ofSeconds(3));
        wechat.accessTokenRenewWithin(Duration.ofSeconds(1));
        PhoneNumbers instanceA = phoneNumbers(manager(Duration.ofMillis(1)));
        PhoneNumbers instanceB = phoneNumbers(manager(Duration.ofMillis(1)));

        List<PhoneNumber> firstWave = concurrentPhoneCalls(instanceA, instanceB, 50);

        assertThat(firstWave).hasSize(50);
        assertThat(wechat.stableTokenCalls()).isEqualTo(1);
        assertThat(wechat.refusedAccessTokens()).isZero();

        // the token expires (3 s); the next wave needs exactly one new one, whichever instance gets it
        await().atMost(GENEROUS).until(() -> fixture.inspector().exists(TOKEN_KEY) == 0);
        List<PhoneNumber> secondWave = concurrentPhoneCalls(instanceA, instanceB, 50);

        assertThat(secondWave).hasSize(50);
        assertThat(wechat.stableTokenCalls()).isEqualTo(2);
        assertThat(wechat.phoneCalls()).isEqualTo(100 + wechat.refusedAccessTokens());
    }

    @Test
    void aSecondInstanceTakesTheTokenFromRedisWithoutCallingWechat() {
        AccessTokens instanceA = manager(Duration.ofMinutes(4));
        AccessTokens instanceB = manager(Duration.ofMinutes(4));

        String a = instanceA.token(APP).block(GENEROUS);
        String b = instanceB.token(APP).block(GENEROUS);

        assertThat(b).isEqualTo(a).isEqualTo(wechat.currentAccessToken(APPID));
        assertThat(wechat.stableTokenCalls()).isEqualTo(1);
        assertThat(fixture.inspector().pttl(TOKEN_KEY)).isBetween(7_000_000L, 7_200_000L);
    }

    @Test
    void redisKeepsTheTokenOnlyEncryptedUnderTheAppSecret() {
        String token = manager(Duration.ofMinutes(4)).token(APP).block(GENEROUS);

        String stored = fixture.inspector().get(TOKEN_KEY);

        assertThat(stored).isNotNull().doesNotContain(token);
        assertThat(token).isNotNull();
        // a manager that knows another secret for the app cannot read it: it fetches its own
        AccessTokens otherSecret = new AccessTokens(fixture.template(), client, guard(), NAMESPACE,
                Duration.ofMinutes(4), TIMEOUT);
        wechat.registerApp(APPID, "another-secret");
        try {
            StepVerifier.create(otherSecret.token(new MiniProgram(APPID, "another-secret")))
                    .expectNext(token)
                    .verifyComplete();
            assertThat(wechat.stableTokenCalls()).isEqualTo(2);
        } finally {
            wechat.registerApp(APPID, SECRET);
        }
    }

    @Test
    void whenWechatInvalidatedTheTokenBothInstancesMoveToTheNewOneWithOneCall() {
        AccessTokens instanceA = manager(Duration.ofMinutes(4));
        AccessTokens instanceB = manager(Duration.ofMinutes(4));
        PhoneNumbers phonesA = phoneNumbers(instanceA);
        PhoneNumbers phonesB = phoneNumbers(instanceB);
        assertThat(phonesA.of(APP, phoneCode()).block(GENEROUS)).isNotNull();
        assertThat(phonesB.of(APP, phoneCode()).block(GENEROUS)).isNotNull();
        assertThat(wechat.stableTokenCalls()).isEqualTo(1);
        wechat.invalidateAccessTokens(APPID);

        assertThat(phonesA.of(APP, phoneCode()).block(GENEROUS)).isNotNull();
        assertThat(phonesB.of(APP, phoneCode()).block(GENEROUS)).isNotNull();

        assertThat(wechat.refusedAccessTokens()).as("each instance met the old token once").isEqualTo(2);
        assertThat(wechat.stableTokenCalls()).as("the second instance found the new token in Redis").isEqualTo(2);
    }

    // --- refreshing ahead of expiry ---

    @Test
    void aTokenDueForRefreshIsStillUsedWhileOneInstanceRefreshesItInTheBackground() {
        wechat.accessTokenLifetime(Duration.ofSeconds(12));
        AccessTokens instanceA = manager(Duration.ofSeconds(10));
        AccessTokens instanceB = manager(Duration.ofSeconds(10));
        String first = instanceA.token(APP).block(GENEROUS);
        assertThat(instanceB.token(APP).block(GENEROUS)).isEqualTo(first);
        // the refresh takes a while, so that both instances notice the due token before it is replaced
        wechat.scriptStableToken(Reply.delayed(Duration.ofMillis(1500), Reply.body(
                "{\"access_token\":\"the_refreshed_token\",\"expires_in\":12}")));

        // after two seconds, less than 10 s are left: due, not expired
        await().pollDelay(Duration.ofMillis(2200)).atMost(GENEROUS).until(() -> true);
        Set<String> seen = ConcurrentHashMap.newKeySet();
        seen.add(instanceA.token(APP).block(GENEROUS));
        seen.add(instanceB.token(APP).block(GENEROUS));

        assertThat(seen).as("the requests that noticed still used the current token").containsExactly(first);
        await().atMost(GENEROUS).untilAsserted(() -> {
            assertThat(instanceA.token(APP).block(GENEROUS)).isEqualTo("the_refreshed_token");
            assertThat(instanceB.token(APP).block(GENEROUS)).isEqualTo("the_refreshed_token");
        });
        assertThat(wechat.stableTokenCalls()).as("one background refresh for both instances").isEqualTo(2);
        assertThat(fixture.inspector().exists(LOCK_KEY)).isZero();
    }

    @Test
    void whenWechatHandsTheSameTokenBackTheNextRefreshWaitsHalfOfWhatIsLeft() {
        wechat.accessTokenLifetime(Duration.ofSeconds(20));
        wechat.accessTokenRenewWithin(Duration.ZERO);
        AccessTokens tokens = manager(Duration.ofSeconds(18));
        String first = tokens.token(APP).block(GENEROUS);

        // due after 2 s (18 s ahead of a 20 s life): one background refresh gets the same token back, with about 18 s
        // left, so the next refresh is due about 9 s later
        await().pollDelay(Duration.ofMillis(2200)).atMost(GENEROUS).until(() -> true);
        assertThat(tokens.token(APP).block(GENEROUS)).isEqualTo(first);
        await().atMost(GENEROUS).until(() -> wechat.stableTokenCalls() == 2);
        for (int i = 0; i < 20; i++) {
            assertThat(tokens.token(APP).block(GENEROUS)).isEqualTo(first);
        }

        assertThat(wechat.stableTokenCalls()).as("not one call per request").isLessThanOrEqualTo(3);
    }

    // --- failures ---

    @Test
    void aFailingStableTokenCallReleasesTheLockAndIsNotCached() {
        AccessTokens tokens = manager(Duration.ofMinutes(4));
        wechat.scriptStableToken(Reply.errcode(-1));

        StepVerifier.create(tokens.token(APP))
                .expectErrorSatisfies(failure -> assertThat(((GatewayErrorException) failure).error())
                        .isEqualTo(GatewayError.WECHAT_UNAVAILABLE))
                .verify(GENEROUS);
        assertThat(fixture.inspector().exists(LOCK_KEY)).isZero();
        assertThat(fixture.inspector().exists(TOKEN_KEY)).isZero();

        wechat.clearScripts();
        String token = tokens.token(APP).block(GENEROUS);
        assertThat(token).isNotNull().isEqualTo(wechat.currentAccessToken(APPID));
        assertThat(wechat.stableTokenCalls()).isEqualTo(2);
    }

    @Test
    void aLockLeftByAnInstanceThatDiedIsWaitedOutThenTaken() {
        fixture.inspector().psetex(LOCK_KEY, 1500, "an-instance-that-died");
        AccessTokens tokens = manager(Duration.ofMinutes(4));

        String token = tokens.token(APP).block(GENEROUS);

        assertThat(token).isEqualTo(wechat.currentAccessToken(APPID));
        assertThat(wechat.stableTokenCalls()).isEqualTo(1);
    }

    @Test
    void whileAnotherInstanceHoldsTheLockTheOthersWaitForItsResult() {
        wechat.scriptStableToken(Reply.delayed(Duration.ofMillis(800), Reply.body(
                "{\"access_token\":\"slow_but_fine_token\",\"expires_in\":7200}")));
        AccessTokens slowHolder = manager(Duration.ofMinutes(4));
        AccessTokens waiter = manager(Duration.ofMinutes(4));

        Mono<String> first = slowHolder.token(APP).subscribeOn(Schedulers.parallel()).cache();
        first.subscribe();
        await().atMost(GENEROUS).until(() -> fixture.inspector().exists(LOCK_KEY) == 1);
        String waited = waiter.token(APP).block(GENEROUS);

        assertThat(waited).isEqualTo("slow_but_fine_token").isEqualTo(first.block(GENEROUS));
        assertThat(wechat.stableTokenCalls()).isEqualTo(1);
    }

    @Test
    void whenRedisIsDownThenSessionStoreUnavailable() {
        try (RedisFixture nowhere = new RedisFixture(FreePort.next())) {
            AccessTokens tokens = new AccessTokens(nowhere.template(), client, guard(), NAMESPACE,
                    Duration.ofMinutes(4), TIMEOUT);

            StepVerifier.create(tokens.token(APP))
                    .expectErrorSatisfies(failure -> assertThat(((GatewayErrorException) failure).error())
                            .isEqualTo(GatewayError.SESSION_STORE_UNAVAILABLE))
                    .verify(GENEROUS);
            assertThat(wechat.stableTokenCalls()).isZero();
        }
    }

    @Test
    void knownTokensHoldsTheCurrentTokenForTheLogGuard() {
        AccessTokens tokens = manager(Duration.ofMinutes(4));
        assertThat(tokens.knownTokens()).isEmpty();

        String token = tokens.token(APP).block(GENEROUS);

        assertThat(tokens.knownTokens()).containsExactly(token);
    }

    // --- helpers ---

    private static WechatCallGuard guard() {
        return new WechatCallGuard(50, 20, 10, Duration.ofSeconds(10), 3, 256);
    }

    private static AccessTokens manager(Duration refreshAhead) {
        return new AccessTokens(fixture.template(), client, guard(), NAMESPACE, refreshAhead, TIMEOUT);
    }

    private static PhoneNumbers phoneNumbers(AccessTokens tokens) {
        return new PhoneNumbers(client, guard(), tokens);
    }

    private String phoneCode() {
        String code = "tokens-phone-" + (++codes) + "-" + System.nanoTime();
        wechat.issuePhoneCode(APPID, code, "+8613800000000", "13800000000", "86");
        return code;
    }

    /** Fires {@code count} phone calls at once, alternating between the two instances; every one must succeed. */
    private List<PhoneNumber> concurrentPhoneCalls(PhoneNumbers a, PhoneNumbers b, int count) {
        List<Mono<PhoneNumber>> calls = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String code = phoneCode();
            PhoneNumbers instance = i % 2 == 0 ? a : b;
            calls.add(Mono.defer(() -> instance.of(APP, code)).subscribeOn(Schedulers.parallel()));
        }
        return Flux.merge(calls).collectList().block(GENEROUS);
    }
}
