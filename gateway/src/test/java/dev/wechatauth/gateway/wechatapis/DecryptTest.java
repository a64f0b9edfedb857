package dev.wechatauth.gateway.wechatapis;

import static dev.wechatauth.gateway.rig.IdentityJwt.assertIdentityJwt;
import static dev.wechatauth.gateway.rig.ContractAssertions.assertError;
import static dev.wechatauth.gateway.rig.ContractAssertions.assertForwarded;
import static dev.wechatauth.gateway.rig.ContractAssertions.assertIdentity;
import static dev.wechatauth.gateway.rig.ContractAssertions.assertNoSessionKey;
import static dev.wechatauth.gateway.rig.ContractAssertions.assertNothingForwarded;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

import dev.wechatauth.gateway.rig.Answer;
import dev.wechatauth.gateway.rig.Backends;
import dev.wechatauth.gateway.rig.Gateways;
import dev.wechatauth.gateway.rig.OnTheSharedGateway;
import dev.wechatauth.gateway.rig.WechatUser;
import dev.wechatauth.testkit.EchoDownstream;
import dev.wechatauth.testkit.WechatEncryptedData;
import dev.wechatauth.testkit.WechatEncryptedData.Sealed;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;

/**
 * docs/reference.md, WeChat APIs on the session, Decryption: with a valid session, {@code POST}
 * {@code {"encryptedData","iv"}}; the gateway decrypts it with the user's newest session_key (AES-128-CBC, PKCS#7), a
 * space read as {@code +}, checks the watermark and drops it, and answers the object ({@code no://op}) or forwards it as
 * the JSON body; anything that does not decrypt is 400 {@code decrypt_failed}. Over HTTP against the shared gateway
 * (and its peer, for a login on another instance).
 */
class DecryptTest extends OnTheSharedGateway {

    private static final String JSON = "Content-Type: application/json";
    private static final String WERUN = "{\"stepInfoList\":[{\"timestamp\":1700000000,\"step\":8123}],"
            + WechatEncryptedData.watermark(Backends.FIRST_APPID) + "}";

    @Test
    void theGatewayAnswersTheDecryptedObjectWithoutItsWatermark() {
        Sealed sealed = WechatEncryptedData.seal(user.sessionKey(), WERUN);

        Answer answer = decrypt(Backends.DECRYPT, token, json(sealed));

        assertThat(answer.status()).as("%s", answer).isEqualTo(200);
        assertThat(answer.header("Content-Type")).startsWith("application/json");
        assertThat(answer.header("Cache-Control")).isEqualTo("no-store");
        JsonNode json = answer.json();
        assertThat(json.propertyNames()).containsExactly("stepInfoList");
        assertThat(json.get("stepInfoList").get(0).get("step").asInt()).isEqualTo(8123);
        assertNoSessionKey(answer, user);
        assertNothingForwarded(backends.echo);
    }

    @Test
    void aForwardingRouteSendsTheDecryptedObjectAsTheJsonBodyWithTheIdentity() {
        Sealed sealed = WechatEncryptedData.seal(user.sessionKey(), WERUN);

        Answer answer = decrypt(Backends.DECRYPT_FORWARD, token, json(sealed), "X-OpenId: o_spoofed");

        EchoDownstream.Received received = assertForwarded(answer, backends.echo);
        assertThat(received.header("Content-Type")).isEqualTo("application/json");
        assertThat(received.body()).isEqualTo("{\"stepInfoList\":[{\"timestamp\":1700000000,\"step\":8123}]}");
        assertThat(received.header("Content-Length")).isEqualTo(Integer.toString(received.body().length()));
        assertIdentity(received, user);
        assertIdentityJwt(received, gateway, user, token, "decrypt-forward");
        assertThat(received.headers()).noneMatch(h -> h.getValue().contains(user.sessionKey()));
    }

    @Test
    void aFormBodyWhosePlusSignsArriveAsSpacesStillDecrypts() {
        Sealed sealed = sealedWithPlus(user.sessionKey());

        // not escaped: form decoding turns every + into a space
        Answer answer = gateway.post(Backends.DECRYPT, "encryptedData=" + sealed.encryptedData() + "&iv=" + sealed.iv(),
                "Authorization: Bearer " + token, "Content-Type: application/x-www-form-urlencoded");

        assertThat(answer.status()).as("%s", answer).isEqualTo(200);
        assertThat(answer.json().get("stepInfoList").get(0).get("step").asInt()).isEqualTo(8123);
    }

    @Test
    void aProperlyEscapedFormBodyDecrypts() {
        Sealed sealed = sealedWithPlus(user.sessionKey());

        Answer answer = gateway.post(Backends.DECRYPT, "encryptedData="
                        + URLEncoder.encode(sealed.encryptedData(), StandardCharsets.UTF_8) + "&iv="
                        + URLEncoder.encode(sealed.iv(), StandardCharsets.UTF_8),
                "Authorization: Bearer " + token, "Content-Type: application/x-www-form-urlencoded");

        assertThat(answer.status()).as("%s", answer).isEqualTo(200);
    }

    @Test
    void theUsersNewestSessionKeyDecryptsEvenWhenTheNewLoginWasOnAnotherInstance() {
        WechatUser first = backends.newUser();
        String firstToken = gateway.tokenFor(first);
        Sealed withTheFirstKey = WechatEncryptedData.seal(first.sessionKey(), WERUN);
        WechatUser again = new WechatUser(first.appid(), first.openid(), first.unionid(),
                WechatEncryptedData.randomSessionKey());
        Gateways.sharedPeer().tokenFor(again);

        Answer stale = decrypt(Backends.DECRYPT, firstToken, json(withTheFirstKey));
        Answer newest = decrypt(Backends.DECRYPT, firstToken, json(WechatEncryptedData.seal(again.sessionKey(), WERUN)));

        assertError(stale, 400, "decrypt_failed");
        assertThat(newest.status()).as("%s", newest).isEqualTo(200);
    }

    @ParameterizedTest
    @ValueSource(strings = {"not base64!", "YWJj-_", "####"})
    void brokenBase64IsDecryptFailed(String encryptedData) {
        Sealed sealed = WechatEncryptedData.seal(user.sessionKey(), WERUN);

        assertError(decrypt(Backends.DECRYPT, token, json(new Sealed(encryptedData, sealed.iv()))), 400,
                "decrypt_failed");
    }

    @Test
    void aWrongIvIsDecryptFailedAndNothingIsForwarded() {
        Sealed sealed = WechatEncryptedData.seal(user.sessionKey(), WERUN);
        String otherIv = WechatEncryptedData.seal(user.sessionKey(), WERUN).iv();

        assertError(decrypt(Backends.DECRYPT_FORWARD, token, json(new Sealed(sealed.encryptedData(), otherIv))), 400,
                "decrypt_failed");
        assertNothingForwarded(backends.echo);
    }

    @ParameterizedTest
    @ValueSource(strings = {"not JSON at all", "[1,2]", "{\"stepInfoList\":[]}"})
    void aPlaintextThatIsNotAJsonObjectWithAWatermarkIsDecryptFailed(String plaintext) {
        assertError(decrypt(Backends.DECRYPT, token, json(WechatEncryptedData.seal(user.sessionKey(), plaintext))), 400,
                "decrypt_failed");
    }

    @Test
    void dataWatermarkedForAnotherAppIsDecryptFailed() {
        String plaintext = "{\"a\":1," + WechatEncryptedData.watermark(Backends.SECOND_APPID) + "}";

        assertError(decrypt(Backends.DECRYPT, token, json(WechatEncryptedData.seal(user.sessionKey(), plaintext))), 400,
                "decrypt_failed");
    }

    @Test
    void withoutATokenMissingTokenAndWithAnUnknownOneInvalidToken() {
        Sealed sealed = WechatEncryptedData.seal(user.sessionKey(), WERUN);

        assertError(gateway.post(Backends.DECRYPT, json(sealed), JSON), 401, "missing_token");
        assertError(decrypt(Backends.DECRYPT, Backends.unknownToken(), json(sealed)), 401, "invalid_token");
    }

    @ParameterizedTest
    @ValueSource(strings = {"{}", "{\"encryptedData\":\"AAAA\"}", "{\"iv\":\"AAAA\"}", "{\"encryptedData\":1,\"iv\":\"A\"}"})
    void aBodyWithoutEncryptedDataAndIvIsInvalidRequest(String body) {
        assertError(decrypt(Backends.DECRYPT, token, body), 400, "invalid_request");
    }

    private static Answer decrypt(String path, String bearer, String body, String... more) {
        String[] headers = new String[more.length + 2];
        headers[0] = "Authorization: Bearer " + bearer;
        headers[1] = JSON;
        System.arraycopy(more, 0, headers, 2, more.length);
        return gateway.post(path, body, headers);
    }

    private static String json(Sealed sealed) {
        return "{\"encryptedData\":\"" + sealed.encryptedData() + "\",\"iv\":\"" + sealed.iv() + "\"}";
    }

    /** WeRun data whose encryptedData and iv both contain {@code +}. */
    private static Sealed sealedWithPlus(String sessionKey) {
        for (int attempt = 0; attempt < 10_000; attempt++) {
            Sealed sealed = WechatEncryptedData.seal(sessionKey, WERUN);
            if (sealed.encryptedData().contains("+") && sealed.iv().contains("+")) {
                return sealed;
            }
        }
        throw new AssertionError("no sealing with a + in both values");
    }
}
