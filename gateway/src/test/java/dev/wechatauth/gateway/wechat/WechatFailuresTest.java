package dev.wechatauth.gateway.wechat;

import static dev.wechatauth.gateway.rig.Backends.FIRST_APPID;
import static dev.wechatauth.gateway.rig.Backends.FIRST_SECRET;
import static dev.wechatauth.gateway.rig.Backends.SECOND_APPID;
import static dev.wechatauth.gateway.rig.ContractAssertions.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.stream.Stream;

import dev.wechatauth.gateway.rig.Answer;
import dev.wechatauth.gateway.rig.Backends;
import dev.wechatauth.gateway.rig.Gateway;
import dev.wechatauth.gateway.rig.GatewayLauncher;
import dev.wechatauth.gateway.rig.Http;
import dev.wechatauth.gateway.rig.Timing;
import dev.wechatauth.gateway.rig.WechatUser;
import dev.wechatauth.testkit.FreePort;
import dev.wechatauth.testkit.Reply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * docs/reference.md, Errors, the rows about WeChat's answers, and how WeChat's errcodes map to them (40029 and 40163:
 * the code is invalid or used; 45011: frequency limit; 40226: high-risk user; -1: busy). Its own gateway and stand-in,
 * with {@code wechat.auth.timeout=1s} and the duplicate window off, so that a code sent twice reaches WeChat twice.
 * Each test starts with two successful logins so that the failures a test provokes never make up half of the recent
 * calls: the contract's fail-fast rule must not turn these answers into {@code wechat_unavailable}.
 */
class WechatFailuresTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(1);

    private static Backends backends;
    private static Gateway gateway;

    @BeforeAll
    static void startGateway() {
        backends = Backends.start();
        // the second mini-program's secret, as the gateway has it, is not the one WeChat knows: 40125
        backends.wechat.registerApp(SECOND_APPID, "a-secret-the-gateway-does-not-have");
        gateway = GatewayLauncher.on(backends).with("wechat.auth.login.duplicate-window=0s").start();
    }

    @AfterAll
    static void stopGateway() {
        gateway.close();
        backends.close();
    }

    @BeforeEach
    void keepTheRecentCallsMostlySuccessful() {
        gateway.newToken();
        gateway.newToken();
        backends.wechat.resetCounters();
    }

    @AfterEach
    void clearScripts() {
        backends.wechat.clearScripts();
    }

    @Test
    void aCodeWechatCallsInvalidIsInvalidCode() {
        assertError(gateway.login(Backends.unknownCode()), 401, "invalid_code");
    }

    @Test
    void aCodeUsedTwiceIsInvalidCodeTheSecondTime() {
        String code = backends.newCode();

        assertThat(gateway.login(code).status()).isEqualTo(200);
        Answer second = gateway.login(code);

        assertError(second, 401, "invalid_code");
        assertThat(backends.wechat.calls(code)).as("calls to WeChat").isEqualTo(2);
    }

    @Test
    void aCodeAlreadyUsedElsewhereIsInvalidCode() {
        String code = backends.newCode();
        Answer elsewhere = Http.to(backends.wechat.baseUrl()).get("/sns/jscode2session?appid=" + FIRST_APPID
                + "&secret=" + FIRST_SECRET + "&js_code=" + code + "&grant_type=authorization_code");
        assertThat(elsewhere.body()).contains("openid");

        assertError(gateway.login(code), 401, "invalid_code");
    }

    @ParameterizedTest(name = "WeChat errcode {0} is 401 invalid_code")
    @ValueSource(ints = {40029, 40163})
    void wechatsInvalidCodeErrcodesAreInvalidCode(int errcode) {
        assertError(loginAnswered(Reply.errcode(errcode)), 401, "invalid_code");
    }

    @Test
    void wechatsFrequencyLimitIs429WithRetryAfterSixtySeconds() {
        Answer answer = loginAnswered(Reply.errcode(45011));

        assertError(answer, 429, "rate_limited");
        assertThat(answer.header("Retry-After")).isEqualTo("60");
    }

    @Test
    void aHighRiskUserIs403UserBlocked() {
        assertError(loginAnswered(Reply.errcode(40226)), 403, "user_blocked");
    }

    @Test
    void wechatBusyIs503WechatUnavailable() {
        assertError(loginAnswered(Reply.errcode(-1)), 503, "wechat_unavailable");
    }

    @ParameterizedTest(name = "WeChat answering HTTP {0} is 503 wechat_unavailable")
    @ValueSource(ints = {500, 502, 503, 504})
    void wechatAnsweringAServerErrorIsWechatUnavailable(int status) {
        assertError(loginAnswered(Reply.status(status)), 503, "wechat_unavailable");
    }

    @Test
    void wechatUnreachableIsWechatUnavailable() {
        try (Gateway cutOff = GatewayLauncher.on(backends).named("cut off")
                .with("wechat.auth.api-base-url=http://127.0.0.1:" + FreePort.next()).start()) {
            assertError(cutOff.login(backends.newCode()), 503, "wechat_unavailable");
        }
    }

    /**
     * WeChat would answer after 10 s: the 504 comes at the timeout (1 s), not sooner, and, even with
     * {@linkplain Timing#CI_MARGIN a margin} for a busy machine, well before WeChat's answer would have.
     */
    @Test
    void wechatSlowerThanItsTimeoutIs504WechatTimeoutAtTheTimeout() {
        long start = System.nanoTime();
        Answer answer = loginAnswered(Reply.delayed(Duration.ofSeconds(10), Reply.errcode(40029)));
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertError(answer, 504, "wechat_timeout");
        assertThat(took).as("time to answer with wechat.auth.timeout=1s")
                .isGreaterThanOrEqualTo(TIMEOUT.minusMillis(100)).isLessThan(Timing.generous(TIMEOUT));
    }

    @Test
    void wechatNeverAnsweringIs504WechatTimeout() {
        assertError(loginAnswered(Reply.hang()), 504, "wechat_timeout");
    }

    @Test
    void aWrongSecretIsAWechatError() {
        WechatUser user = backends.newUser(SECOND_APPID, false);

        Answer answer = gateway.loginTo(SECOND_APPID, backends.issueCode(user));

        assertError(answer, 502, "wechat_error");
        assertThat(backends.wechat.calls()).as("calls to WeChat").isEqualTo(1);
    }

    @ParameterizedTest(name = "WeChat errcode {0} is 502 wechat_error")
    @ValueSource(ints = {40013, 40125, 40002, 41008, 99999})
    void anyOtherErrcodeIsAWechatError(int errcode) {
        assertError(loginAnswered(Reply.errcode(errcode)), 502, "wechat_error");
    }

    @ParameterizedTest(name = "WeChat answering HTTP {0} is 502 wechat_error")
    @ValueSource(ints = {404, 400, 403, 301})
    void anotherHttpStatusIsAWechatError(int status) {
        assertError(loginAnswered(Reply.status(status)), 502, "wechat_error");
    }

    @Test
    void aRedirectIsAWechatErrorAndIsNotFollowed() {
        String code = backends.newCode();
        backends.wechat.script(code, Reply.redirect(backends.wechat.baseUrl() + "/sns/jscode2session?js_code=other"));

        assertError(gateway.login(code), 502, "wechat_error");
        assertThat(backends.wechat.calls()).as("calls to WeChat: the redirect was not followed").isEqualTo(1);
    }

    static Stream<Arguments> unreadableReplies() {
        return Stream.of(
                Arguments.of("an HTML page", "<html><body>502 Bad Gateway</body></html>"),
                Arguments.of("an empty body", ""),
                Arguments.of("a JSON array", "[1,2,3]"),
                Arguments.of("truncated JSON", "{\"openid\":\"o123\",\"session_key\":\"a2V5"),
                Arguments.of("a non-numeric errcode", "{\"errcode\":\"busy\",\"errmsg\":\"x\"}"),
                Arguments.of("neither errcode nor openid", "{\"errmsg\":\"ok\"}"));
    }

    @ParameterizedTest(name = "a reply that cannot be read ({0}) is 502 wechat_error")
    @MethodSource("unreadableReplies")
    void aReplyThatCannotBeReadIsAWechatError(String what, String body) {
        assertError(loginAnswered(Reply.body(body)), 502, "wechat_error");
    }

    @Test
    void aHugeReplyIsAWechatError() {
        assertError(loginAnswered(Reply.largeBody(2 * 1024 * 1024)), 502, "wechat_error");
    }

    static Stream<Arguments> malformedIdentities() {
        return Stream.of(
                Arguments.of("an openid with markup", "{\"openid\":\"o<script>\",\"session_key\":\"a2V5a2V5a2V5a2V5\"}"),
                Arguments.of("an openid with a space", "{\"openid\":\"o 123\",\"session_key\":\"a2V5a2V5a2V5a2V5\"}"),
                Arguments.of("an openid with a header break",
                        "{\"openid\":\"o123\\r\\nX-Admin: 1\",\"session_key\":\"a2V5a2V5a2V5a2V5\"}"),
                Arguments.of("an openid of 65 characters",
                        "{\"openid\":\"" + "o".repeat(65) + "\",\"session_key\":\"a2V5a2V5a2V5a2V5\"}"),
                Arguments.of("an empty openid", "{\"openid\":\"\",\"session_key\":\"a2V5a2V5a2V5a2V5\"}"),
                Arguments.of("a unionid with a slash",
                        "{\"openid\":\"o123\",\"unionid\":\"u/../1\",\"session_key\":\"a2V5a2V5a2V5a2V5\"}"),
                Arguments.of("a unionid with non-ASCII letters",
                        "{\"openid\":\"o123\",\"unionid\":\"u\u00e9\u00e9\",\"session_key\":\"a2V5a2V5a2V5a2V5\"}"));
    }

    @ParameterizedTest(name = "WeChat returning {0} is 502 wechat_error")
    @MethodSource("malformedIdentities")
    void anIdentityOfOtherThanLettersDigitsDashAndUnderscoreIsAWechatError(String what, String body) {
        assertError(loginAnswered(Reply.body(body)), 502, "wechat_error");
    }

    /** A login whose code WeChat answers with {@code reply}. */
    private static Answer loginAnswered(Reply reply) {
        String code = backends.newCode();
        backends.wechat.script(code, reply);
        return gateway.login(code);
    }
}
