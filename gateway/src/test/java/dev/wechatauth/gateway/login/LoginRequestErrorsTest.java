package dev.wechatauth.gateway.login;

import static dev.wechatauth.gateway.rig.Backends.FIRST_APPID;
import static dev.wechatauth.gateway.rig.Backends.UNCONFIGURED_APPID;
import static dev.wechatauth.gateway.rig.ContractAssertions.assertError;
import static dev.wechatauth.gateway.rig.ContractAssertions.assertRefusedAsBadRequest;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import dev.wechatauth.gateway.rig.Answer;
import dev.wechatauth.gateway.rig.Http;
import dev.wechatauth.gateway.rig.OnTheSharedGateway;
import dev.wechatauth.gateway.rig.WechatUser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.http.HttpMethod;
import org.springframework.http.client.reactive.ReactorClientHttpConnector;
import org.springframework.test.web.reactive.server.EntityExchangeResult;
import org.springframework.test.web.reactive.server.WebTestClient;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;

/**
 * docs/reference.md, Errors, the rows about the login request itself: answered before WeChat is asked. Also what
 * an attacker may try in the body: bytes that are not UTF-8 must not become a code WeChat is asked about (400
 * {@code invalid_request}); a body the gateway does not read as JSON or a form is 415, whatever it looks like.
 */
class LoginRequestErrorsTest extends OnTheSharedGateway {

    private static final int SIXTEEN_KIB = 16 * 1024;

    @ParameterizedTest(name = "malformed JSON {0} is 400 invalid_request")
    @ValueSource(strings = {"{\"code\":", "{code: abc}", "not json at all", "[\"abc\"]", "\"abc\"", "{\"code\":\"abc\"}}x"})
    void malformedJsonIsAnInvalidRequest(String body) {
        assertError(gateway.loginWithBody(body), 400, "invalid_request");
        assertWechatNotAsked();
    }

    @ParameterizedTest(name = "a JSON body without a code, {0}, is 400 invalid_request")
    @ValueSource(strings = {"{}", "{\"appid\":\"" + FIRST_APPID + "\"}", "{\"code\":\"\"}", "{\"code\":null}",
            "{\"js_code\":\"abc\"}"})
    void aJsonBodyWithoutACodeIsAnInvalidRequest(String body) {
        assertError(gateway.loginWithBody(body), 400, "invalid_request");
        assertWechatNotAsked();
    }

    @ParameterizedTest(name = "a form body without a code, \"{0}\", is 400 invalid_request")
    @ValueSource(strings = {"", "appid=" + FIRST_APPID, "code=", "codes=abc"})
    void aFormBodyWithoutACodeIsAnInvalidRequest(String body) {
        Answer answer = gateway.post("/wx/login", body, "Content-Type: application/x-www-form-urlencoded");

        assertError(answer, 400, "invalid_request");
        assertWechatNotAsked();
    }

    @Test
    void aCodeOf129CharactersIsAnInvalidRequest() {
        assertError(gateway.login("a".repeat(129)), 400, "invalid_request");
        assertWechatNotAsked();
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
        assertWechatNotAsked();
    }

    // ---- the body's size ----

    @Test
    void aBodyOverSixteenKibWithItsLengthDeclaredIs413() {
        byte[] body = jsonLoginOfExactly(SIXTEEN_KIB + 1);

        Answer answer = gateway.raw("POST /wx/login HTTP/1.1", body, "Content-Type: application/json");

        assertError(answer, 413, "invalid_request");
        assertWechatNotAsked();
    }

    /** As a client library sends it (Reactor Netty's, through Spring's WebTestClient), not written by hand. */
    @Test
    void aBodyOverSixteenKibSentThroughTheClientLibraryIs413() {
        WebTestClient library = WebTestClient.bindToServer(
                        new ReactorClientHttpConnector(HttpClient.create(ConnectionProvider.newConnection())))
                .baseUrl("http://127.0.0.1:" + gateway.port())
                .responseTimeout(Http.DEFAULT_TIMEOUT)
                .build();

        EntityExchangeResult<byte[]> result = library.method(HttpMethod.POST).uri("/wx/login")
                .header("Content-Type", "application/json").bodyValue(jsonLoginOfExactly(64 * 1024))
                .exchange().expectBody().returnResult();
        List<Map.Entry<String, String>> headers = new ArrayList<>();
        result.getResponseHeaders().forEach((name, values) -> values.forEach(v -> headers.add(Map.entry(name, v))));
        byte[] body = result.getResponseBody();
        Answer answer = new Answer(result.getStatus().value(), headers,
                body == null ? "" : new String(body, StandardCharsets.UTF_8));

        assertError(answer, 413, "invalid_request");
        assertWechatNotAsked();
    }

    @Test
    void aChunkedBodyOverSixteenKibWithoutContentLengthIs413() {
        byte[] body = Http.chunked(jsonLoginOfExactly(SIXTEEN_KIB + 1024), 1000);

        Answer answer = gateway.raw("POST /wx/login HTTP/1.1", body,
                "Content-Type: application/json", "Transfer-Encoding: chunked");

        assertError(answer, 413, "invalid_request");
        assertWechatNotAsked();
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
        byte[] body = Http.chunked(jsonLoginOfExactly(8 * 1024, backends.issueCode(user)), 1000);

        Answer answer = gateway.raw("POST /wx/login HTTP/1.1", body,
                "Content-Type: application/json", "Transfer-Encoding: chunked");

        assertThat(answer.status()).as("%s", answer).isEqualTo(200);
        assertThat(answer.json().get("openid").asString()).isEqualTo(user.openid());
    }

    // ---- the method and the media type ----

    @ParameterizedTest(name = "{0} on the login route is 405 with Allow: POST")
    @ValueSource(strings = {"GET", "PUT", "DELETE", "PATCH"})
    void anotherMethodThanPostOnTheLoginRouteIs405AllowingPost(String method) {
        byte[] body = method.equals("GET") || method.equals("DELETE") ? null
                : "{\"code\":\"abc\"}".getBytes(StandardCharsets.UTF_8);

        Answer answer = gateway.send(method, "/wx/login", body, "Content-Type: application/json");

        assertError(answer, 405, "invalid_request");
        assertThat(answer.header("Allow")).isEqualTo("POST");
        assertWechatNotAsked();
    }

    @Test
    void aLoginWithoutContentTypeIs415EvenWhenTheBodyIsJson() {
        Answer answer = gateway.raw("POST /wx/login HTTP/1.1", "{\"code\":\"abc\"}".getBytes(StandardCharsets.UTF_8));

        assertError(answer, 415, "invalid_request");
        assertWechatNotAsked();
    }

    @ParameterizedTest(name = "a login sent as \"{0}\" is 415")
    @ValueSource(strings = {"text/plain", "text/json", "application/xml", "application/jsonp", "application/json-seq",
            "application/x-json", "multipart/form-data; boundary=x", "application/octet-stream", "*/*",
            "application/*", "json", "not a media type", "application/", "application/json\u0000",
            "text/html; charset=utf-8"})
    void aLoginOfAnotherContentTypeIs415(String type) {
        Answer answer = gateway.raw("POST /wx/login HTTP/1.1", "{\"code\":\"abc\"}".getBytes(StandardCharsets.UTF_8),
                "Content-Type: " + type);

        if (answer.status() == 400 && type.indexOf('\u0000') >= 0) {
            assertRefusedAsBadRequest(answer); // the HTTP server refused the NUL itself
        } else {
            assertError(answer, 415, "invalid_request");
        }
        assertWechatNotAsked();
    }

    @Test
    void twoContentTypeHeadersDoNotPassAnotherTypeAsJson() {
        Answer answer = gateway.raw("POST /wx/login HTTP/1.1", "{\"code\":\"abc\"}".getBytes(StandardCharsets.UTF_8),
                "Content-Type: text/plain", "Content-Type: application/json");

        assertThat(answer.status()).as("%s", answer).isIn(400, 415);
        assertError(answer, answer.status(), "invalid_request");
        assertWechatNotAsked();
    }

    // ---- the body's bytes ----

    @ParameterizedTest(name = "invalid UTF-8 ({0}) in a JSON login is 400 invalid_request")
    @ValueSource(strings = {
            "c328",         // a lead byte followed by an ASCII byte
            "ff",           // a byte that never occurs in UTF-8
            "80",           // a lone continuation byte
            "e282",         // a sequence cut short
            "c0af",         // an overlong encoding of '/'
            "e080ae",       // an overlong encoding of '.'
            "eda080",       // a UTF-16 surrogate encoded as UTF-8
            "f4908080"})    // past U+10FFFF
    void invalidUtf8InAJsonLoginIsInvalidRequest(String hex) {
        byte[] body = json("{\"code\":\"ab", HexFormat.of().parseHex(hex), "cd\"}");

        Answer answer = gateway.raw("POST /wx/login HTTP/1.1", body, "Content-Type: application/json");

        assertError(answer, 400, "invalid_request");
        assertWechatNotAsked();
    }

    @Test
    void invalidUtf8InAJsonFieldNameIsInvalidRequest() {
        byte[] body = json("{\"co", HexFormat.of().parseHex("ff"), "de\":\"abc\",\"code\":\"abc\"}");

        Answer answer = gateway.raw("POST /wx/login HTTP/1.1", body, "Content-Type: application/json");

        assertError(answer, 400, "invalid_request");
        assertWechatNotAsked();
    }

    @ParameterizedTest(name = "the form body {0} is 400 invalid_request")
    @ValueSource(strings = {"code=ab%C3%28cd", "code=ab%FFcd", "code=ab%C0%AFcd", "code=ab%", "code=ab%zzcd"})
    void invalidPercentEncodedUtf8InAFormLoginIsInvalidRequest(String body) {
        Answer answer = gateway.raw("POST /wx/login HTTP/1.1", body.getBytes(StandardCharsets.US_ASCII),
                "Content-Type: application/x-www-form-urlencoded");

        assertError(answer, 400, "invalid_request");
        assertWechatNotAsked();
    }

    @Test
    void aUtf16BodyCannotSmuggleAnotherCode() {
        byte[] utf16 = "{\"code\":\"abc\"}".getBytes(StandardCharsets.UTF_16LE);

        Answer answer = gateway.raw("POST /wx/login HTTP/1.1", utf16, "Content-Type: application/json");

        assertThat(answer.status()).as("%s", answer).isIn(400, 401);
        if (answer.status() == 400) {
            assertError(answer, 400, "invalid_request");
            assertWechatNotAsked();
        } else {
            assertError(answer, 401, "invalid_code");
            assertThat(backends.wechat.calls("abc")).as("WeChat asked about the decoded code only").isEqualTo(1);
        }
    }

    // ---- the mini-program ----

    @Test
    void anAppidThatIsNotConfiguredIsUnknownApp() {
        Answer answer = gateway.loginWithBody("{\"code\":\"abc\",\"appid\":\"" + UNCONFIGURED_APPID + "\"}");

        assertError(answer, 400, "unknown_app");
        assertWechatNotAsked();
    }

    @Test
    void anAppidThatIsNotConfiguredInAFormIsUnknownApp() {
        Answer answer = gateway.post("/wx/login", "code=abc&appid=" + UNCONFIGURED_APPID,
                "Content-Type: application/x-www-form-urlencoded");

        assertError(answer, 400, "unknown_app");
        assertWechatNotAsked();
    }

    // ---- helpers ----

    private static void assertWechatNotAsked() {
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

    /** A JSON body with {@code raw} bytes between two ASCII parts. */
    private static byte[] json(String before, byte[] raw, String after) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(before.getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(raw);
        out.writeBytes(after.getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }
}
