package dev.wechatauth.plugin.login;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

import dev.wechatauth.plugin.error.GatewayError;
import dev.wechatauth.plugin.error.GatewayErrorException;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LoginRequestTest {

    private static final String VISIBLE_ASCII = "!\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`"
            + "abcdefghijklmnopqrstuvwxyz{|}~";

    // --- JSON ---

    @Test
    void fromJsonWhenCodeGivenThenCodeAndNoAppid() {
        LoginRequest request = LoginRequest.fromJson(utf8("{\"code\":\"081xYz0w3abc\"}"));

        assertThat(request.code()).isEqualTo("081xYz0w3abc");
        assertThat(request.appid()).isNull();
    }

    @Test
    void fromJsonWhenAppidGivenThenBoth() {
        LoginRequest request = LoginRequest.fromJson(utf8("{ \"appid\" : \"wx_app_two\", \"code\" : \"c1\", \"extra\": [1, {}] }"));

        assertThat(request.code()).isEqualTo("c1");
        assertThat(request.appid()).isEqualTo("wx_app_two");
    }

    @Test
    void fromJsonWhenAppidEmptyOrNullThenNoAppid() {
        assertThat(LoginRequest.fromJson(utf8("{\"code\":\"c1\",\"appid\":\"\"}")).appid()).isNull();
        assertThat(LoginRequest.fromJson(utf8("{\"code\":\"c1\",\"appid\":null}")).appid()).isNull();
    }

    @Test
    void fromJsonWhenCodeIsEveryVisibleAsciiCharacterThenAccepted() {
        String json = "{\"code\":\"" + VISIBLE_ASCII.replace("\\", "\\\\").replace("\"", "\\\"") + "\"}";

        assertThat(LoginRequest.fromJson(utf8(json)).code()).isEqualTo(VISIBLE_ASCII);
    }

    @Test
    void fromJsonWhenCodeHas128CharactersThenAccepted() {
        String code = "c".repeat(128);

        assertThat(LoginRequest.fromJson(utf8("{\"code\":\"" + code + "\"}")).code()).isEqualTo(code);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "",
            " ",
            "{}",
            "[]",
            "null",
            "\"c1\"",
            "42",
            "{\"code\":\"\"}",
            "{\"code\":null}",
            "{\"appid\":\"wx_app_one\"}",
            "{\"Code\":\"c1\"}",
            "{\"code\":123}",
            "{\"code\":1.5}",
            "{\"code\":true}",
            "{\"code\":[\"c1\"]}",
            "{\"code\":{\"value\":\"c1\"}}",
            "{\"code\":\"c1\",\"appid\":5}",
            "{\"code\":\"c1\",\"appid\":[\"wx\"]}",
            "{\"code\":\"c 1\"}",
            "{\"code\":\" c1\"}",
            "{\"code\":\"c1\\t\"}",
            "{\"code\":\"c\\u0000\"}",
            "{\"code\":\"c\\u0001\"}",
            "{\"code\":\"c\\r\\n\"}",
            "{\"code\":\"c\\u007f\"}",
            "{\"code\":\"c\\u00e9\"}",
            "{\"code\":\"c\u00e9\"}",
            "{\"code\":\"\u4e2d\u6587\"}",
            "{\"code\":\"c\\ud83d\\ude00\"}",
            "{\"code\":\"c1\"",
            "{\"code\":'c1'}",
            "{code:\"c1\"}",
            "code=c1",
    })
    void fromJsonWhenBodyMalformedOrCodeInvalidThenInvalidRequest(String body) {
        assertInvalid(() -> LoginRequest.fromJson(utf8(body)));
    }

    @Test
    void fromJsonWhenCodeHas129CharactersThenInvalidRequest() {
        assertInvalid(() -> LoginRequest.fromJson(utf8("{\"code\":\"" + "c".repeat(129) + "\"}")));
    }

    @Test
    void fromJsonWhenNested10000DeepThenInvalidRequest() {
        String deepArray = "[".repeat(10_000) + "]".repeat(10_000);
        String deepObject = "{\"a\":".repeat(10_000) + "1" + "}".repeat(10_000);

        assertInvalid(() -> LoginRequest.fromJson(utf8(deepArray)));
        assertInvalid(() -> LoginRequest.fromJson(utf8("{\"code\":\"c1\",\"x\":" + deepArray + "}")));
        assertInvalid(() -> LoginRequest.fromJson(utf8(deepObject)));
    }

    @Test
    void fromJsonWhenBytesAreNotUtf8ThenInvalidRequest() {
        assertInvalid(() -> LoginRequest.fromJson(bytes("{\"code\":\"c", 0xFF, 0xFE, "1\"}")));
        assertInvalid(() -> LoginRequest.fromJson(bytes("{\"code\":\"c", 0xC3, "\"}")));
        assertInvalid(() -> LoginRequest.fromJson(bytes("{\"code\":\"c", 0xED, 0xA0, 0x80, "\"}")));
        assertInvalid(() -> LoginRequest.fromJson(bytes("{\"code\":\"c1\",\"x\":\"", 0xFF, "\"}")));
    }

    // --- form ---

    @Test
    void fromFormWhenCodeGivenThenCode() {
        LoginRequest request = LoginRequest.fromForm(utf8("code=081xYz0w3abc"));

        assertThat(request.code()).isEqualTo("081xYz0w3abc");
        assertThat(request.appid()).isNull();
    }

    @Test
    void fromFormWhenAppidAndOtherFieldsGivenThenCodeAndAppid() {
        LoginRequest request = LoginRequest.fromForm(utf8("nickname=x&appid=wx_app_two&code=c1&&"));

        assertThat(request.code()).isEqualTo("c1");
        assertThat(request.appid()).isEqualTo("wx_app_two");
    }

    @Test
    void fromFormWhenCodePercentEncodedThenDecoded() {
        assertThat(LoginRequest.fromForm(utf8("code=a%2Bb%26c%3Dd%25e")).code()).isEqualTo("a+b&c=d%e");
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "",
            "appid=wx_app_one",
            "code=",
            "code",
            "code=c1&code=c2",
            "code=c1&code=c1",
            "code=c1&appid=wx_a&appid=wx_b",
            "code=a+b",
            "code=a%20b",
            "code=c%00",
            "code=c%0d%0a",
            "code=c%7F",
            "code=c%C3%A9",
            "code=c%FF",
            "code=%zz",
            "code=c%",
            "code=c%2",
            "Code=c1",
    })
    void fromFormWhenCodeMissingRepeatedOrInvalidThenInvalidRequest(String body) {
        assertInvalid(() -> LoginRequest.fromForm(utf8(body)));
    }

    @Test
    void fromFormWhenCodeHas129CharactersThenInvalidRequest() {
        assertThat(LoginRequest.fromForm(utf8("code=" + "c".repeat(128))).code()).hasSize(128);
        assertInvalid(() -> LoginRequest.fromForm(utf8("code=" + "c".repeat(129))));
    }

    @Test
    void fromFormWhenRawBytesAreNotAsciiThenInvalidRequest() {
        assertInvalid(() -> LoginRequest.fromForm(bytes("code=c", 0xFF)));
        assertInvalid(() -> LoginRequest.fromForm(bytes("code=c", 0xC3, 0xA9)));
    }

    @Test
    void toStringWhenCodeKnownThenMasksIt() {
        assertThat(LoginRequest.fromJson(utf8("{\"code\":\"secret-code-1\",\"appid\":\"wx_a\"}")).toString())
                .doesNotContain("secret-code-1")
                .contains("wx_a");
    }

    // --- helpers ---

    private static void assertInvalid(ThrowingCallable parse) {
        assertThatThrownBy(parse).isInstanceOfSatisfying(GatewayErrorException.class,
                failure -> assertThat(failure.error()).isEqualTo(GatewayError.INVALID_LOGIN_BODY));
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** Concatenates strings (as UTF-8) and single bytes (as ints). */
    private static byte[] bytes(Object... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Object part : parts) {
            if (part instanceof String text) {
                out.writeBytes(utf8(text));
            } else {
                out.write((Integer) part);
            }
        }
        return out.toByteArray();
    }
}
