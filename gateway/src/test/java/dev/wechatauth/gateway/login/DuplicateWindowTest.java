package dev.wechatauth.gateway.login;

import static dev.wechatauth.gateway.rig.Backends.FIRST_APPID;
import static dev.wechatauth.gateway.rig.Backends.SECOND_APPID;
import static dev.wechatauth.gateway.rig.ContractAssertions.assertError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

import dev.wechatauth.gateway.rig.Answer;
import dev.wechatauth.gateway.rig.Backends;
import dev.wechatauth.gateway.rig.Gateway;
import dev.wechatauth.gateway.rig.GatewayLauncher;
import dev.wechatauth.gateway.rig.Gateways;
import dev.wechatauth.gateway.rig.OnTheSharedGateway;
import dev.wechatauth.gateway.rig.RedisView;
import dev.wechatauth.gateway.rig.Timing;
import dev.wechatauth.gateway.rig.WechatUser;
import dev.wechatauth.testkit.EchoDownstream;
import dev.wechatauth.testkit.Reply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * docs/reference.md, Duplicate window: a code sent again within the window gets the same session, on any instance,
 * with one call to WeChat, also when the copies arrive at the same moment; a duplicate of a failed exchange gets the
 * same error; of a login since logged out, 401 {@code invalid_code}; another appid is not a duplicate; after the
 * window WeChat's own answer stands. Redis never holds the code or the token.
 * <p>
 * Gateways {@code a} and {@code b} (the shared gateway and its peer) share one Redis with the default window (10 s);
 * {@code shortWindow}, on the same backends, uses {@value #SHORT_WINDOW_SECONDS} s.
 */
class DuplicateWindowTest extends OnTheSharedGateway {

    private static final int SHORT_WINDOW_SECONDS = 3;

    /** How long the stand-in keeps a scripted first copy waiting, so that its copies arrive while it is pending. */
    private static final Duration SLOW_WECHAT = Duration.ofMillis(600);

    private static Gateway a;
    private static Gateway b;
    private static Gateway shortWindow;
    private static ExecutorService clients;

    @BeforeAll
    static void startTheShortWindow() {
        a = gateway;
        b = Gateways.sharedPeer();
        shortWindow = GatewayLauncher.on(backends).named("short window")
                .with("wechat.auth.login.duplicate-window=" + SHORT_WINDOW_SECONDS + "s").start();
        clients = Executors.newFixedThreadPool(8);
    }

    @AfterAll
    static void stopTheShortWindow() {
        clients.shutdownNow();
        shortWindow.close();
    }

    @AfterEach
    void clearScripts() {
        backends.wechat.clearScripts();
    }

    @Test
    void theSameCodeSentTwiceGetsTheSameTokenAndWechatSeesOneCall() {
        WechatUser user = backends.newUser();
        String code = backends.issueCode(user);

        Answer first = a.login(code);
        Answer second = a.login(code);

        assertThat(first.status()).as("%s", first).isEqualTo(200);
        assertThat(second.status()).as("the duplicate: %s", second).isEqualTo(200);
        assertThat(token(second)).isEqualTo(token(first));
        assertThat(second.json().get("openid").asString()).isEqualTo(user.openid());
        assertThat(backends.wechat.calls(code)).as("calls to WeChat").isEqualTo(1);
    }

    @Test
    void fiveCopiesSentAtTheSameMomentGetOneTokenAndWechatSeesOneCall() throws Exception {
        WechatUser user = backends.newUser();
        String code = slowSuccessfulCode(user);

        List<Answer> answers = concurrently(5, i -> a.login(code));

        assertOneSession(answers, user);
        assertThat(backends.wechat.calls(code)).as("calls to WeChat").isEqualTo(1);
    }

    @Test
    void copiesSplitBetweenTwoInstancesGetOneTokenAndWechatSeesOneCall() throws Exception {
        WechatUser user = backends.newUser();
        String code = slowSuccessfulCode(user);

        List<Answer> answers = concurrently(6, i -> (i % 2 == 0 ? a : b).login(code));

        assertOneSession(answers, user);
        assertThat(backends.wechat.calls(code)).as("calls to WeChat").isEqualTo(1);
        String token = token(answers.get(0));
        assertThat(a.get("/wx/session", "Authorization: Bearer " + token).status()).isEqualTo(200);
        assertThat(b.get("/wx/session", "Authorization: Bearer " + token).status()).isEqualTo(200);
    }

    @Test
    void aDuplicateOfAFailedExchangeGetsTheSameErrorWithoutASecondWechatCall() {
        String code = backends.issueCode(backends.newUser());
        backends.wechat.script(code, Reply.errcode(40226));

        Answer first = a.login(code);
        Answer onA = a.login(code);
        Answer onB = b.login(code);

        assertError(first, 403, "user_blocked");
        assertError(onA, 403, "user_blocked");
        assertError(onB, 403, "user_blocked");
        assertThat(backends.wechat.calls(code)).as("calls to WeChat").isEqualTo(1);
    }

    @Test
    void aDuplicateOfAFrequencyLimitedExchangeGetsTheSameRetryAfter() {
        String code = backends.issueCode(backends.newUser());
        backends.wechat.script(code, Reply.errcode(45011));

        Answer first = a.login(code);
        Answer second = b.login(code);

        assertError(first, 429, "rate_limited");
        assertError(second, 429, "rate_limited");
        assertThat(second.header("Retry-After")).isEqualTo("60");
        assertThat(backends.wechat.calls(code)).as("calls to WeChat").isEqualTo(1);
    }

    @Test
    void concurrentDuplicatesOfAFailingExchangeAllGetItsError() throws Exception {
        String code = backends.issueCode(backends.newUser());
        backends.wechat.script(code, Reply.delayed(SLOW_WECHAT, Reply.errcode(40029)));

        List<Answer> answers = concurrently(4, i -> (i % 2 == 0 ? a : b).login(code));

        answers.forEach(answer -> assertError(answer, 401, "invalid_code"));
        assertThat(backends.wechat.calls(code)).as("calls to WeChat").isEqualTo(1);
    }

    @Test
    void aDuplicateOfALoginSinceLoggedOutIsInvalidCode() {
        String code = backends.issueCode(backends.newUser());
        Answer first = a.login(code);
        assertThat(first.status()).as("%s", first).isEqualTo(200);
        assertThat(a.post("/wx/logout", null, "Authorization: Bearer " + token(first)).status()).isEqualTo(204);

        Answer onA = a.login(code);
        Answer onB = b.login(code);

        assertError(onA, 401, "invalid_code");
        assertError(onB, 401, "invalid_code");
        assertThat(backends.wechat.calls(code)).as("calls to WeChat").isEqualTo(1);
    }

    @Test
    void theSameCodeWithAnotherAppidIsNotADuplicate() {
        String code = "shared-" + Backends.random(12);
        WechatUser inFirst = backends.newUser(FIRST_APPID, true);
        WechatUser inSecond = backends.newUser(SECOND_APPID, false);
        backends.wechat.issueCode(FIRST_APPID, code, inFirst.openid(), inFirst.unionid(), inFirst.sessionKey());
        backends.wechat.issueCode(SECOND_APPID, code, inSecond.openid(), null, inSecond.sessionKey());

        Answer first = a.login(code);
        Answer second = a.loginWithBody("{\"code\":\"" + code + "\",\"appid\":\"" + SECOND_APPID + "\"}");
        Answer firstAgain = b.loginWithBody("{\"code\":\"" + code + "\",\"appid\":\"" + FIRST_APPID + "\"}");

        assertThat(first.status()).as("%s", first).isEqualTo(200);
        assertThat(second.status()).as("%s", second).isEqualTo(200);
        assertThat(second.json().get("openid").asString()).isEqualTo(inSecond.openid());
        assertThat(token(second)).isNotEqualTo(token(first));
        assertThat(backends.wechat.calls(code)).as("calls to WeChat, one per appid").isEqualTo(2);
        assertThat(token(firstAgain)).as("the first app's copy is still a duplicate").isEqualTo(token(first));
    }

    /**
     * Copies sent within the window get the first answer, the first copy after it gets WeChat's own (the code is used
     * up: 401). The copies are sent every 50 ms until one is refused, for at most the window and
     * {@linkplain Timing#CI_MARGIN a margin}; the window is {@value #SHORT_WINDOW_SECONDS} s, so that the first copy
     * falls within it even on a busy machine.
     */
    @Test
    void afterTheWindowWechatsOwnAnswerStands() {
        String code = backends.issueCode(backends.newUser());
        long start = System.nanoTime();
        Answer first = shortWindow.login(code);
        assertThat(first.status()).as("%s", first).isEqualTo(200);

        List<Answer> withinWindow = new ArrayList<>();
        Answer answer = await("the first copy after the duplicate window")
                .atMost(Timing.generous(Duration.ofSeconds(SHORT_WINDOW_SECONDS)))
                .pollInSameThread().pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(50))
                .until(() -> shortWindow.login(code), copy -> {
                    if (copy.status() == 200) {
                        withinWindow.add(copy);
                    }
                    return copy.status() != 200;
                });
        Duration elapsed = Duration.ofNanos(System.nanoTime() - start);

        assertError(answer, 401, "invalid_code");
        assertThat(elapsed).as("time until the duplicate window (%d s) ended", SHORT_WINDOW_SECONDS)
                .isGreaterThan(Duration.ofMillis(SHORT_WINDOW_SECONDS * 1000L - 100));
        assertThat(withinWindow).as("copies within the window").isNotEmpty()
                .allSatisfy(copy -> assertThat(token(copy)).isEqualTo(token(first)));
        assertThat(backends.wechat.calls(code)).as("calls to WeChat: the first, then the one after the window")
                .isEqualTo(2);
    }

    @Test
    void onAForwardingLoginRouteADuplicateIsForwardedAgainWithTheSameIdentityAndToken() {
        WechatUser user = backends.newUser();
        String code = backends.issueCode(user);
        String body = "{\"code\":\"" + code + "\"}";

        Answer first = a.post("/wx/login-forward", body, "Content-Type: application/json");
        Answer second = b.post("/wx/login-forward", body, "Content-Type: application/json");

        assertThat(first.status()).as("%s", first).isEqualTo(200);
        assertThat(second.status()).as("%s", second).isEqualTo(200);
        assertThat(first.header("X-Auth-Token")).isNotBlank();
        assertThat(second.header("X-Auth-Token")).isEqualTo(first.header("X-Auth-Token"));
        assertThat(backends.echo.count()).as("requests that reached the service").isEqualTo(2);
        for (EchoDownstream.Received received : backends.echo.received()) {
            assertThat(received.headerValues("X-OpenId")).containsExactly(user.openid());
            assertThat(received.headerValues("X-AppId")).containsExactly(user.appid());
            assertThat(received.body()).isEqualTo(body);
        }
        assertThat(backends.wechat.calls(code)).as("calls to WeChat").isEqualTo(1);
    }

    @Test
    void redisNeverHoldsTheCodeOrTheToken() throws Exception {
        List<String> secrets = new ArrayList<>();
        for (Gateway instance : List.of(a, b, shortWindow)) {
            String code = backends.issueCode(backends.newUser());
            Answer answer = instance.login(code);
            Answer duplicate = instance.login(code);
            secrets.add(code);
            secrets.add(token(answer));
            secrets.add(token(duplicate));
        }
        String forwardedCode = backends.issueCode(backends.newUser());
        Answer forwarded = a.post("/wx/login-forward", "{\"code\":\"" + forwardedCode + "\"}",
                "Content-Type: application/json");
        secrets.add(forwardedCode);
        secrets.add(forwarded.header("X-Auth-Token"));
        WechatUser slow = backends.newUser();
        String concurrentCode = slowSuccessfulCode(slow);
        concurrently(3, i -> b.login(concurrentCode)).forEach(answer -> secrets.add(token(answer)));
        secrets.add(concurrentCode);
        String failedCode = backends.issueCode(backends.newUser());
        backends.wechat.script(failedCode, Reply.errcode(40226));
        a.login(failedCode);
        secrets.add(failedCode);

        List<String> dump = RedisView.dumpAll(backends.redis.port());

        assertThat(dump).as("Redis keys").isNotEmpty();
        assertThat(String.join("\n", dump)).as("login-code entries are in Redis").contains(":login-code:");
        for (String secret : secrets) {
            assertThat(secret).isNotBlank();
            assertThat(dump).as("Redis keys and values").noneMatch(entry -> entry.contains(secret));
        }
    }

    // ---- helpers ----

    /** A code whose exchange WeChat answers with {@code user}'s identity after {@link #SLOW_WECHAT}, every time. */
    private static String slowSuccessfulCode(WechatUser user) {
        String code = backends.issueCode(user);
        backends.wechat.script(code, Reply.delayed(SLOW_WECHAT, Reply.body(user.code2SessionReply())));
        return code;
    }

    /** {@code copies} requests released together from as many threads. */
    private static List<Answer> concurrently(int copies, IntFunction<Answer> request) throws Exception {
        CountDownLatch ready = new CountDownLatch(copies);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Answer>> futures = new ArrayList<>();
        for (int i = 0; i < copies; i++) {
            int index = i;
            futures.add(clients.submit(() -> {
                ready.countDown();
                go.await();
                return request.apply(index);
            }));
        }
        assertThat(ready.await(10, TimeUnit.SECONDS)).as("client threads ready").isTrue();
        go.countDown();
        List<Answer> answers = new ArrayList<>();
        for (Future<Answer> future : futures) {
            answers.add(future.get(20, TimeUnit.SECONDS));
        }
        return answers;
    }

    private static void assertOneSession(List<Answer> answers, WechatUser user) {
        assertThat(answers).allSatisfy(answer -> {
            assertThat(answer.status()).as("%s", answer).isEqualTo(200);
            assertThat(answer.json().get("openid").asString()).isEqualTo(user.openid());
        });
        assertThat(answers.stream().map(DuplicateWindowTest::token).distinct().toList())
                .as("distinct tokens").hasSize(1);
    }

    private static String token(Answer answer) {
        assertThat(answer.status()).as("a login that gives a token: %s", answer).isEqualTo(200);
        return answer.json().get("token").asString();
    }
}
