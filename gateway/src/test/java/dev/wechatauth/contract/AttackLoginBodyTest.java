package dev.wechatauth.contract;

import static dev.wechatauth.contract.ContractAssertions.assertError;
import static dev.wechatauth.contract.ContractAssertions.assertRefusedAsBadRequest;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Threats in the login body itself (CONTRACT.md, "Login" and "Errors"): bytes that are not UTF-8 must not become a
 * code WeChat is asked about (400 {@code invalid_request}); a body the gateway does not read as JSON or a form is 415,
 * whatever it looks like. Nothing here reaches WeChat.
 */
class AttackLoginBodyTest {

    private static GatewayInstance gateway;
    private static Backends backends;

    @BeforeAll
    static void startGateway() {
        gateway = AttackGateway.get();
        backends = gateway.backends();
    }

    @BeforeEach
    void forgetEarlierCalls() {
        backends.wechat.resetCounters();
    }

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
        assertThat(backends.wechat.calls()).as("calls to WeChat").isZero();
    }

    @Test
    void invalidUtf8InAJsonFieldNameIsInvalidRequest() {
        byte[] body = json("{\"co", HexFormat.of().parseHex("ff"), "de\":\"abc\",\"code\":\"abc\"}");

        Answer answer = gateway.raw("POST /wx/login HTTP/1.1", body, "Content-Type: application/json");

        assertError(answer, 400, "invalid_request");
        assertThat(backends.wechat.calls()).as("calls to WeChat").isZero();
    }

    @ParameterizedTest(name = "the form body {0} is 400 invalid_request")
    @ValueSource(strings = {"code=ab%C3%28cd", "code=ab%FFcd", "code=ab%C0%AFcd", "code=ab%", "code=ab%zzcd"})
    void invalidPercentEncodedUtf8InAFormLoginIsInvalidRequest(String body) {
        Answer answer = gateway.raw("POST /wx/login HTTP/1.1", body.getBytes(StandardCharsets.US_ASCII),
                "Content-Type: application/x-www-form-urlencoded");

        assertError(answer, 400, "invalid_request");
        assertThat(backends.wechat.calls()).as("calls to WeChat").isZero();
    }

    @Test
    void aUtf16BodyCannotSmuggleAnotherCode() {
        byte[] utf16 = "{\"code\":\"abc\"}".getBytes(StandardCharsets.UTF_16LE);

        Answer answer = gateway.raw("POST /wx/login HTTP/1.1", utf16, "Content-Type: application/json");

        assertThat(answer.status()).as("%s", answer).isIn(400, 401);
        if (answer.status() == 400) {
            assertError(answer, 400, "invalid_request");
            assertThat(backends.wechat.calls()).as("calls to WeChat").isZero();
        } else {
            assertError(answer, 401, "invalid_code");
            assertThat(backends.wechat.calls("abc")).as("WeChat asked about the decoded code only").isEqualTo(1);
        }
    }

    @ParameterizedTest(name = "a login sent as \"{0}\" is 415")
    @ValueSource(strings = {"text/plain", "text/json", "application/xml", "application/jsonp", "application/json-seq",
            "application/x-json", "multipart/form-data; boundary=x", "application/octet-stream", "*/*",
            "application/*", "json", "application/json\u0000", "text/html; charset=utf-8"})
    void aLoginOfAnotherContentTypeIs415(String type) {
        Answer answer = gateway.raw("POST /wx/login HTTP/1.1", "{\"code\":\"abc\"}".getBytes(StandardCharsets.UTF_8),
                "Content-Type: " + type);

        if (answer.status() == 400 && type.indexOf('\u0000') >= 0) {
            assertRefusedAsBadRequest(answer); // the HTTP server refused the NUL itself
        } else {
            assertError(answer, 415, "invalid_request");
        }
        assertThat(backends.wechat.calls()).as("calls to WeChat").isZero();
    }

    @Test
    void aLoginWithoutContentTypeIs415EvenWhenTheBodyIsJson() {
        Answer answer = gateway.raw("POST /wx/login HTTP/1.1", "{\"code\":\"abc\"}".getBytes(StandardCharsets.UTF_8));

        assertError(answer, 415, "invalid_request");
        assertThat(backends.wechat.calls()).as("calls to WeChat").isZero();
    }

    @Test
    void twoContentTypeHeadersDoNotPassAnotherTypeAsJson() {
        Answer answer = gateway.raw("POST /wx/login HTTP/1.1", "{\"code\":\"abc\"}".getBytes(StandardCharsets.UTF_8),
                "Content-Type: text/plain", "Content-Type: application/json");

        assertThat(answer.status()).as("%s", answer).isIn(400, 415);
        assertError(answer, answer.status(), "invalid_request");
        assertThat(backends.wechat.calls()).as("calls to WeChat").isZero();
    }

    private static byte[] json(String before, byte[] raw, String after) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(before.getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(raw);
        out.writeBytes(after.getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }
}
