package dev.wechatauth.gateway.wechatapis;

import static dev.wechatauth.gateway.rig.IdentityJwt.assertIdentityJwt;
import static dev.wechatauth.gateway.rig.ContractAssertions.assertError;
import static dev.wechatauth.gateway.rig.ContractAssertions.assertForwarded;
import static dev.wechatauth.gateway.rig.ContractAssertions.assertIdentity;
import static dev.wechatauth.gateway.rig.ContractAssertions.assertNothingForwarded;
import static dev.wechatauth.gateway.rig.ContractAssertions.valuesNamedLike;
import static org.assertj.core.api.Assertions.assertThat;

import dev.wechatauth.gateway.rig.Answer;
import dev.wechatauth.gateway.rig.Backends;
import dev.wechatauth.gateway.rig.OnTheSharedGateway;
import dev.wechatauth.testkit.EchoDownstream;
import dev.wechatauth.testkit.Reply;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;

/**
 * docs/reference.md, WeChat APIs on the session, Phone number: with a valid session, {@code POST} the code of the
 * {@code getPhoneNumber} button; the gateway calls getuserphonenumber with the mini-program's access_token, checks every
 * value and the watermark, and answers {@code {"phoneNumber","purePhoneNumber","countryCode"}} ({@code no://op}) or
 * forwards the request with {@code X-Phone-*} headers. Over HTTP against the shared gateway.
 */
class PhoneNumberTest extends OnTheSharedGateway {

    private static final String JSON = "Content-Type: application/json";

    @AfterEach
    void noScriptLeftForTheNextTest() {
        backends.wechat.clearScripts();
    }

    @Test
    void theGatewayAnswersThePhoneNumberOfAValidCode() {
        String code = backends.issuePhoneCode(Backends.FIRST_APPID, "+8613800138000", "13800138000", "86");

        Answer answer = phone(Backends.PHONE, "{\"code\":\"" + code + "\"}");

        assertThat(answer.status()).as("%s", answer).isEqualTo(200);
        assertThat(answer.header("Content-Type")).startsWith("application/json");
        assertThat(answer.header("Cache-Control")).isEqualTo("no-store");
        JsonNode json = answer.json();
        assertThat(json.propertyNames()).containsExactlyInAnyOrder("phoneNumber", "purePhoneNumber", "countryCode");
        assertThat(json.get("phoneNumber").asString()).isEqualTo("+8613800138000");
        assertThat(json.get("purePhoneNumber").asString()).isEqualTo("13800138000");
        assertThat(json.get("countryCode").asString()).isEqualTo("86");
        assertNoAccessToken(answer);
        assertNothingForwarded(backends.echo);
    }

    @Test
    void aFormBodyWorksToo() {
        String code = backends.issuePhoneCode(Backends.FIRST_APPID, "13900139000", "13900139000", "86");

        Answer answer = gateway.post(Backends.PHONE, "code=" + code, "Authorization: Bearer " + token,
                "Content-Type: application/x-www-form-urlencoded");

        assertThat(answer.status()).as("%s", answer).isEqualTo(200);
        assertThat(answer.json().get("phoneNumber").asString()).isEqualTo("13900139000");
    }

    @Test
    void aForwardingRouteSendsTheBodyIntactWithTheIdentityAndThePhoneHeaders() {
        String code = backends.issuePhoneCode(Backends.FIRST_APPID, "+8613700137000", "13700137000", "86");
        String body = "{\"code\":\"" + code + "\",\"purpose\":\"sign-up\"}";

        Answer answer = gateway.post(Backends.PHONE_FORWARD, body, "Authorization: Bearer " + token, JSON,
                "X-Phone-Number: +10000000000", "x_phone_number: +10000000001", "X-Pure-Phone-Number: 0",
                "X_PHONE_COUNTRY_CODE: 99", "X-OpenId: o_spoofed", "X-Trace: kept");

        EchoDownstream.Received received = assertForwarded(answer, backends.echo);
        assertThat(received.body()).isEqualTo(body);
        assertIdentity(received, user);
        assertThat(valuesNamedLike(received, "X-Phone-Number")).containsExactly("+8613700137000");
        assertThat(valuesNamedLike(received, "X-Pure-Phone-Number")).containsExactly("13700137000");
        assertThat(valuesNamedLike(received, "X-Phone-Country-Code")).containsExactly("86");
        assertThat(received.headerValues("X-Trace")).containsExactly("kept");
        assertIdentityJwt(received, gateway, user, token, "phone-forward");
        assertNoAccessToken(answer);
        String accessToken = backends.wechat.currentAccessToken(Backends.FIRST_APPID);
        assertThat(received.headers()).noneMatch(h -> h.getValue().contains(accessToken));
    }

    @Test
    void withoutATokenMissingTokenAndWechatIsNotCalled() {
        Answer answer = gateway.post(Backends.PHONE, "{\"code\":\"c\"}", JSON);

        assertError(answer, 401, "missing_token");
        assertThat(backends.wechat.calls()).isZero();
    }

    @Test
    void withAnUnknownTokenInvalidTokenAndWechatIsNotCalled() {
        Answer answer = gateway.post(Backends.PHONE, "{\"code\":\"c\"}", JSON,
                "Authorization: Bearer " + Backends.unknownToken());

        assertError(answer, 401, "invalid_token");
        assertThat(backends.wechat.calls()).isZero();
    }

    @Test
    void anotherMethodIs405AndAnotherContentType415() {
        Answer get = gateway.get(Backends.PHONE, "Authorization: Bearer " + token);
        Answer text = gateway.post(Backends.PHONE, "code=c", "Authorization: Bearer " + token,
                "Content-Type: text/plain");

        assertError(get, 405, "invalid_request");
        assertThat(get.header("Allow")).isEqualTo("POST");
        assertError(text, 415, "invalid_request");
        assertThat(backends.wechat.calls()).isZero();
    }

    @ParameterizedTest
    @ValueSource(strings = {"{}", "{\"code\":\"\"}", "{\"code\":1}", "{\"code\":\"two words\"}", "[]", "{"})
    void aBodyWithoutAUsableCodeIsInvalidRequest(String body) {
        assertError(phone(Backends.PHONE, body), 400, "invalid_request");
        assertThat(backends.wechat.calls()).isZero();
    }

    @Test
    void anInvalidPhoneCodeIs400InvalidCode() {
        Answer answer = phone(Backends.PHONE, "{\"code\":\"" + Backends.unknownCode() + "\"}");

        assertError(answer, 400, "invalid_code");
        assertThat(answer.header("WWW-Authenticate")).isNull();
    }

    @Test
    void aUsedPhoneCodeIs400InvalidCodeAndNothingIsForwarded() {
        String code = backends.issuePhoneCode(Backends.FIRST_APPID, "+8613600136000", "13600136000", "86");
        assertThat(phone(Backends.PHONE, "{\"code\":\"" + code + "\"}").status()).isEqualTo(200);

        Answer again = phone(Backends.PHONE_FORWARD, "{\"code\":\"" + code + "\"}");

        assertError(again, 400, "invalid_code");
        assertNothingForwarded(backends.echo);
    }

    @Test
    void whenWechatRefusesTheAccessTokenANewOneIsTakenAndTheCallMadeOnceMore() {
        phone(Backends.PHONE, "{\"code\":\"" + backends.issuePhoneCode(Backends.FIRST_APPID, "1", "1", "1") + "\"}");
        backends.wechat.invalidateAccessTokens(Backends.FIRST_APPID);
        backends.forgetRequests();
        String code = backends.issuePhoneCode(Backends.FIRST_APPID, "+8613500135000", "13500135000", "86");

        Answer answer = phone(Backends.PHONE, "{\"code\":\"" + code + "\"}");

        assertThat(answer.status()).as("%s", answer).isEqualTo(200);
        assertThat(answer.json().get("phoneNumber").asString()).isEqualTo("+8613500135000");
        assertThat(backends.wechat.refusedAccessTokens()).as("40001 once").isEqualTo(1);
        assertThat(backends.wechat.stableTokenCalls()).as("one new token").isEqualTo(1);
        assertThat(backends.wechat.phoneCalls()).as("the call, and once more").isEqualTo(2);
    }

    @Test
    void whenTheStableTokenCallFailsTheRequestGets503AndTheNextOneSucceeds() {
        phone(Backends.PHONE, "{\"code\":\"" + backends.issuePhoneCode(Backends.FIRST_APPID, "1", "1", "1") + "\"}");
        backends.wechat.invalidateAccessTokens(Backends.FIRST_APPID);
        backends.wechat.scriptStableToken(Reply.errcode(-1));

        Answer failed = phone(Backends.PHONE_FORWARD, "{\"code\":\"c\"}");

        assertError(failed, 503, "wechat_unavailable");
        assertNothingForwarded(backends.echo);
        backends.wechat.clearScripts();
        String code = backends.issuePhoneCode(Backends.FIRST_APPID, "+8613400134000", "13400134000", "86");
        assertThat(phone(Backends.PHONE, "{\"code\":\"" + code + "\"}").status()).isEqualTo(200);
    }

    @ParameterizedTest
    @ValueSource(strings = {"+8613800138000\\r\\nX-Admin: yes", "+86138abc38000", "+123456789012345678901",
            "+86 13800138000", "8613800138000\\n"})
    void aMalformedPhoneNumberFromWechatIsWechatErrorAndNothingIsForwarded(String phoneNumber) {
        String code = "scripted-" + Backends.random(8);
        backends.wechat.scriptPhone(code, Reply.body("{\"errcode\":0,\"errmsg\":\"ok\",\"phone_info\":{\"phoneNumber\":\""
                + phoneNumber + "\",\"purePhoneNumber\":\"13800138000\",\"countryCode\":\"86\",\"watermark\":"
                + "{\"timestamp\":1700000000,\"appid\":\"" + Backends.FIRST_APPID + "\"}}}"));

        Answer answer = phone(Backends.PHONE_FORWARD, "{\"code\":\"" + code + "\"}");

        assertError(answer, 502, "wechat_error");
        assertNothingForwarded(backends.echo);
    }

    @Test
    void aPhoneNumberWatermarkedForAnotherAppIsWechatError() {
        String code = "watermarked-" + Backends.random(8);
        backends.wechat.issuePhoneCode(Backends.FIRST_APPID, code, "+8613300133000", "13300133000", "86",
                Backends.SECOND_APPID);

        assertError(phone(Backends.PHONE_FORWARD, "{\"code\":\"" + code + "\"}"), 502, "wechat_error");
        assertNothingForwarded(backends.echo);
    }

    @Test
    void clientSentPhoneHeadersNeverReachAServiceOnOtherRoutes() {
        Answer answer = gateway.get(Backends.REQUIRED, "Authorization: Bearer " + token,
                "X-Phone-Number: +10000000000", "x_pure_phone_number: 0", "X-PHONE-COUNTRY-CODE: 1");

        EchoDownstream.Received received = assertForwarded(answer, backends.echo);
        assertThat(received.hasHeaderNamedLike("X-Phone-Number")).isFalse();
        assertThat(received.hasHeaderNamedLike("X-Pure-Phone-Number")).isFalse();
        assertThat(received.hasHeaderNamedLike("X-Phone-Country-Code")).isFalse();
    }

    private static Answer phone(String path, String body) {
        return gateway.post(path, body, "Authorization: Bearer " + token, JSON);
    }

    private static void assertNoAccessToken(Answer answer) {
        String accessToken = backends.wechat.currentAccessToken(Backends.FIRST_APPID);
        assertThat(accessToken).as("the access_token the stand-in handed out").isNotNull();
        assertThat(answer.body()).doesNotContain(accessToken).doesNotContain("access_token");
        answer.headers().forEach(h -> assertThat(h.getKey() + ": " + h.getValue()).doesNotContain(accessToken));
    }
}
