package dev.wechatauth.contract;

import static dev.wechatauth.contract.Backends.FIRST_APPID;
import static dev.wechatauth.contract.Backends.UNCONFIGURED_APPID;
import static dev.wechatauth.contract.ContractAssertions.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.http.HttpMethod;

/**
 * CONTRACT.md, "Errors", the rows about the login request itself: answered before WeChat is asked.
 */
class LoginRequestErrorsContractTest {

    private static final int SIXTEEN_KIB = 16 * 1024;

    private static GatewayInstance gateway;
    private static Backends backends;

    @BeforeAll
    static void startGateway() {
        gateway = SharedGateway.get();
        backends = gateway.backends();
    }

    @BeforeEach
    void forgetEarlierCalls() {
        backends.wechat.resetCounters();
    }

    @ParameterizedTest(name = "malformed JSON {0} is 400 invalid_request")
    @ValueSource(strings = {"{\"code\":", "{code: abc}", "not json at all", "[\"abc\"]", "\"abc\"", "{\"code\":\"abc\"}}x"})
    void malformedJsonIsAnInvalidRequest(String body) {
        assertError(gateway.loginWithBody(body), 400, "invalid_request");
        assertThat(backends.wechat.calls()).as("calls to WeChat").isZero();
    }

    @ParameterizedTest(name = "a JSON body without a code, {0}, is 400 invalid_request")
    @ValueSource(strings = {"{}", "{\"appid\":\"" + FIRST_APPID + "\"}", "{\"code\":\"\"}", "{\"code\":null}",
            "{\"js_code\":\"abc\"}"})
    void aJsonBodyWithoutACodeIsAnInvalidRequest(String body) {
        assertError(gateway.loginWithBody(body), 400, "invalid_request");
        assertThat(backends.wechat.calls()).as("calls to WeChat").isZero();
    }

    @ParameterizedTest(name = "a form body without a code, \"{0}\", is 400 invalid_request")
    @ValueSource(strings = {"", "appid=" + FIRST_APPID, "code=", "codes=abc"})
    void aFormBodyWithoutACodeIsAnInvalidRequest(String body) {
        Answer answer = gateway.post("/wx/login", body, "Content-Type: application/x-www-form-urlencoded");

        assertError(answer, 400, "invalid_request");
        assertThat(backends.wechat.calls()).as("calls to WeChat").isZero();
    }

    @Test
    void aCodeOf129CharactersIsAnInvalidRequest() {
        assertError(gateway.login("a".repeat(129)), 400, "invalid_request");
        assertThat(backends.wechat.calls()).as("calls to WeChat").isZero();
    }

    @Test
    void aCodeOf128CharactersIsAskedOfWechat() {
        Answer answer = gateway.login("b".repeat(128));

        assertError(answer, 401, "invalid_code");
        assertThat(backends.wechat.calls("b".repeat(128))).as("calls to WeChat").isEqualTo(1);
    }

    @ParameterizedTest(name = "a code with a character that is not visible ASCII ({0}) is 400 invalid_request")
    @ValueSource(strings = {"abc def", "caf\u00e9", "tab\\there", "nul\\u0000"})
    void aCodeOfOtherThanVisibleAsciiIsAnInvalidRequest(String code) {
        assertError(gateway.login(code), 400, "invalid_request");
        assertThat(backends.wechat.calls()).as("calls to WeChat").isZero();
    }

    @Test
    void aBodyOverSixteenKibWithItsLengthDeclaredIs413() {
        byte[] body = jsonLoginOfExactly(SIXTEEN_KIB + 1);

        Answer answer = gateway.raw("POST /wx/login HTTP/1.1", body, "Content-Type: application/json");

        assertError(answer, 413, "invalid_request");
        assertThat(backends.wechat.calls()).as("calls to WeChat").isZero();
    }

    @Test
    void aBodyOverSixteenKibSentThroughTheClientLibraryIs413() {
        Answer answer = gateway.send(HttpMethod.POST, "/wx/login", jsonLoginOfExactly(64 * 1024),
                "Content-Type: application/json");

        assertError(answer, 413, "invalid_request");
        assertThat(backends.wechat.calls()).as("calls to WeChat").isZero();
    }

    @Test
    void aChunkedBodyOverSixteenKibWithoutContentLengthIs413() {
        byte[] body = RawHttp.chunked(jsonLoginOfExactly(SIXTEEN_KIB + 1024), 1000);

        Answer answer = gateway.raw("POST /wx/login HTTP/1.1", body,
                "Content-Type: application/json", "Transfer-Encoding: chunked");

        assertError(answer, 413, "invalid_request");
        assertThat(backends.wechat.calls()).as("calls to WeChat").isZero();
    }

    @Test
    void aBodyOfExactlySixteenKibIsAccepted() {
        WechatUser user = backends.newUser();
        byte[] body = jsonLoginOfExactly(SIXTEEN_KIB, backends.issueCode(user));

        Answer answer = gateway.raw("POST /wx/login HTTP/1.1", body, "Content-Type: application/json");

        assertThat(answer.status()).as("%s", answer).isEqualTo(200);
        assertThat(answer.json().get("openid").asString()).isEqualTo(user.openid());
    }

    @Test
    void aChunkedBodyUnderSixteenKibIsAccepted() {
        WechatUser user = backends.newUser();
        byte[] body = RawHttp.chunked(jsonLoginOfExactly(8 * 1024, backends.issueCode(user)), 1000);

        Answer answer = gateway.raw("POST /wx/login HTTP/1.1", body,
                "Content-Type: application/json", "Transfer-Encoding: chunked");

        assertThat(answer.status()).as("%s", answer).isEqualTo(200);
        assertThat(answer.json().get("openid").asString()).isEqualTo(user.openid());
    }

    @ParameterizedTest(name = "{0} on the login route is 405 with Allow: POST")
    @ValueSource(strings = {"GET", "PUT", "DELETE", "PATCH"})
    void anotherMethodThanPostOnTheLoginRouteIs405AllowingPost(String method) {
        byte[] body = method.equals("GET") || method.equals("DELETE") ? null
                : "{\"code\":\"abc\"}".getBytes(StandardCharsets.UTF_8);

        Answer answer = gateway.send(HttpMethod.valueOf(method), "/wx/login", body, "Content-Type: application/json");

        assertError(answer, 405, "invalid_request");
        assertThat(answer.header("Allow")).isEqualTo("POST");
        assertThat(backends.wechat.calls()).as("calls to WeChat").isZero();
    }

    @Test
    void aLoginWithoutContentTypeIs415() {
        Answer answer = gateway.raw("POST /wx/login HTTP/1.1", "{\"code\":\"abc\"}".getBytes(StandardCharsets.UTF_8));

        assertError(answer, 415, "invalid_request");
        assertThat(backends.wechat.calls()).as("calls to WeChat").isZero();
    }

    @ParameterizedTest(name = "a login sent as {0} is 415")
    @ValueSource(strings = {"text/plain", "application/xml", "multipart/form-data; boundary=x", "application/octet-stream",
            "not a media type", "application/"})
    void aLoginOfAnotherContentTypeIs415(String type) {
        Answer answer = gateway.raw("POST /wx/login HTTP/1.1", "{\"code\":\"abc\"}".getBytes(StandardCharsets.UTF_8),
                "Content-Type: " + type);

        assertError(answer, 415, "invalid_request");
        assertThat(backends.wechat.calls()).as("calls to WeChat").isZero();
    }

    @Test
    void anAppidThatIsNotConfiguredIsUnknownApp() {
        Answer answer = gateway.loginWithBody("{\"code\":\"abc\",\"appid\":\"" + UNCONFIGURED_APPID + "\"}");

        assertError(answer, 400, "unknown_app");
        assertThat(backends.wechat.calls()).as("calls to WeChat").isZero();
    }

    @Test
    void anAppidThatIsNotConfiguredInAFormIsUnknownApp() {
        Answer answer = gateway.post("/wx/login", "code=abc&appid=" + UNCONFIGURED_APPID,
                "Content-Type: application/x-www-form-urlencoded");

        assertError(answer, 400, "unknown_app");
        assertThat(backends.wechat.calls()).as("calls to WeChat").isZero();
    }

    /** {@code {"code":"abc","pad":"xxx…"}} of exactly {@code size} bytes. */
    private static byte[] jsonLoginOfExactly(int size) {
        return jsonLoginOfExactly(size, "abc");
    }

    private static byte[] jsonLoginOfExactly(int size, String code) {
        String start = "{\"code\":\"" + code + "\",\"pad\":\"";
        String end = "\"}";
        String json = start + "x".repeat(size - start.length() - end.length()) + end;
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        assertThat(bytes).hasSize(size);
        return bytes;
    }
}
