package dev.wechatauth.gateway.wechat;

import static dev.wechatauth.gateway.rig.ContractAssertions.assertError;
import static dev.wechatauth.gateway.rig.ContractAssertions.assertNothingForwarded;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

import dev.wechatauth.gateway.rig.Answer;
import dev.wechatauth.gateway.rig.OnTheSharedGateway;
import dev.wechatauth.gateway.rig.Timing;
import dev.wechatauth.testkit.Reply;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Threats arriving from WeChat's side (a compromised network path, a faulty proxy in front of WeChat): a reply the
 * gateway must not swallow whole or trust. Each is a 502 {@code wechat_error}; on the forwarding login route nothing
 * reaches the service, and nothing in the reply becomes a header of the answer or of a forwarded request.
 */
class UntrustedWechatRepliesTest extends OnTheSharedGateway {

    private static final String SESSION_KEY = "a2V5a2V5a2V5a2V5a2V5aw==";
    /** The shared gateway's {@code wechat.auth.timeout}. */
    private static final Duration WECHAT_TIMEOUT = Duration.ofSeconds(1);

    @AfterEach
    void clearScripts() {
        backends.wechat.clearScripts();
    }

    @Test
    void wechatAnsweringTenMegabytesIsAWechatError() {
        long start = System.nanoTime();
        Answer answer = loginForwardedAnswered(Reply.largeBody(10 * 1024 * 1024));
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertWechatErrorAndNothingForwarded(answer);
        assertThat(took).as("time to answer a 10 MB reply").isLessThan(Timing.generous(WECHAT_TIMEOUT));
        System.out.println("[measured] WeChat answering 10 MB: 502 after " + took.toMillis() + " ms");
    }

    @Test
    void wechatAnsweringBinaryGarbageIsAWechatError() {
        String garbage = new String(new byte[] {0, (byte) 0xff, (byte) 0xfe, '{', '"', 0x1b, '[', '2', 'J', '\r', '\n'},
                StandardCharsets.ISO_8859_1) + "<html><body>502</body></html>";

        assertWechatErrorAndNothingForwarded(loginForwardedAnswered(Reply.body(garbage)));
    }

    @Test
    void wechatOpenidWithCrLfCannotInjectAHeader() {
        String body = "{\"openid\":\"o123\\r\\nX-Injected: yes\",\"session_key\":\"" + SESSION_KEY + "\"}";

        Answer forwarded = loginForwardedAnswered(Reply.body(body));
        Answer selfAnswered = loginAnswered(Reply.body(body));

        assertWechatErrorAndNothingForwarded(forwarded);
        assertError(selfAnswered, 502, "wechat_error");
        assertThat(selfAnswered.headerValues("X-Injected")).isEmpty();
    }

    @Test
    void wechatUnionidWithCrLfCannotInjectAHeader() {
        String body = "{\"openid\":\"o123\",\"unionid\":\"u1\\r\\nX-Injected: yes\",\"session_key\":\"" + SESSION_KEY
                + "\"}";

        assertWechatErrorAndNothingForwarded(loginForwardedAnswered(Reply.body(body)));
    }

    @Test
    void wechatSessionKeyWithCrLfIsAWechatError() {
        String body = "{\"openid\":\"o123\",\"session_key\":\"a2V5\\r\\nX-Injected: yes\"}";

        assertWechatErrorAndNothingForwarded(loginForwardedAnswered(Reply.body(body)));
    }

    @Test
    void wechatOpenidOfSixtyFiveCharactersIsAWechatError() {
        String body = "{\"openid\":\"" + "o".repeat(65) + "\",\"session_key\":\"" + SESSION_KEY + "\"}";

        assertWechatErrorAndNothingForwarded(loginForwardedAnswered(Reply.body(body)));
    }

    @Test
    void wechatOpenidBreakingOutOfTheJsonAnswerIsAWechatError() {
        String body = "{\"openid\":\"o1\\\",\\\"token\\\":\\\"forged\",\"session_key\":\"" + SESSION_KEY + "\"}";

        Answer answer = loginAnswered(Reply.body(body));

        assertError(answer, 502, "wechat_error");
        assertThat(answer.body()).doesNotContain("forged");
    }

    @Test
    void wechatOpenidOfAnotherJsonTypeIsAWechatError() {
        assertWechatErrorAndNothingForwarded(loginForwardedAnswered(
                Reply.body("{\"openid\":12345,\"session_key\":\"" + SESSION_KEY + "\"}")));
        assertWechatErrorAndNothingForwarded(loginForwardedAnswered(
                Reply.body("{\"openid\":{\"id\":\"o1\"},\"session_key\":\"" + SESSION_KEY + "\"}")));
        assertWechatErrorAndNothingForwarded(loginForwardedAnswered(
                Reply.body("{\"openid\":[\"o1\"],\"session_key\":\"" + SESSION_KEY + "\"}")));
    }

    @Test
    void wechatIdentityWithAnErrcodeIsNotTrusted() {
        String body = "{\"errcode\":40029,\"errmsg\":\"invalid code\",\"openid\":\"o123\",\"session_key\":\""
                + SESSION_KEY + "\"}";

        Answer answer = loginForwardedAnswered(Reply.body(body));

        assertError(answer, 401, "invalid_code");
        assertNothingForwarded(backends.echo);
    }

    private static void assertWechatErrorAndNothingForwarded(Answer answer) {
        assertError(answer, 502, "wechat_error");
        assertNothingForwarded(backends.echo);
        assertThat(answer.headerValues("X-Injected")).as("an injected answer header").isEmpty();
        assertThat(answer.headerValues("X-Auth-Token")).as("a token on a failed login").isEmpty();
        assertThat(answer.body()).doesNotContain(SESSION_KEY);
    }

    /** A login on the forwarding route whose code WeChat answers with {@code reply}. */
    private static Answer loginForwardedAnswered(Reply reply) {
        String code = backends.newCode();
        backends.wechat.script(code, reply);
        return gateway.raw("POST /wx/login-forward HTTP/1.1",
                ("{\"code\":\"" + code + "\"}").getBytes(StandardCharsets.UTF_8), "Content-Type: application/json");
    }

    /** A login on the self-answering route whose code WeChat answers with {@code reply}. */
    private static Answer loginAnswered(Reply reply) {
        String code = backends.newCode();
        backends.wechat.script(code, reply);
        return gateway.raw("POST /wx/login HTTP/1.1",
                ("{\"code\":\"" + code + "\"}").getBytes(StandardCharsets.UTF_8), "Content-Type: application/json");
    }
}
