package dev.wechatauth.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The stand-in's stable_token and getuserphonenumber, over real HTTP, and the encryptedData maker. */
class WechatStandInApisTest {

    private static final String APP = "wx-apis-a";
    private static final String SECRET = "secret-apis-a";
    private static final HttpClient HTTP = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2))
            .build();
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private static WechatStandIn wechat;

    @BeforeAll
    static void startStandIn() {
        wechat = WechatStandIn.start();
    }

    @AfterAll
    static void stopStandIn() {
        wechat.close();
    }

    @BeforeEach
    void reset() {
        wechat.clearScripts();
        wechat.registerApp(APP, SECRET);
        wechat.invalidateAccessTokens(APP);
        wechat.accessTokenLifetime(Duration.ofSeconds(7200));
        wechat.accessTokenRenewWithin(Duration.ofMinutes(5));
        wechat.resetCounters();
    }

    // --- stable_token ---

    @Test
    void stableTokenAnswersATokenAsTextPlainJsonAndTheSameOneWhileItIsValid() throws Exception {
        HttpResponse<String> first = stableToken(APP, SECRET, false);
        HttpResponse<String> second = stableToken(APP, SECRET, false);

        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(first.headers().firstValue("Content-Type")).hasValue("text/plain");
        JsonNode body = JSON.readTree(first.body());
        String token = body.get("access_token").asString();
        assertThat(token).matches("[A-Za-z0-9_-]{20,512}");
        assertThat(body.get("expires_in").asLong()).isBetween(7199L, 7200L);
        assertThat(JSON.readTree(second.body()).get("access_token").asString()).isEqualTo(token);
        assertThat(wechat.currentAccessToken(APP)).isEqualTo(token);
        assertThat(wechat.stableTokenCalls()).isEqualTo(2);
    }

    @Test
    void forceRefreshInvalidatesTheTokenAndMakesANewOne() throws Exception {
        String old = token(stableToken(APP, SECRET, false));
        String code = issuePhone("force-1");

        String fresh = token(stableToken(APP, SECRET, true));

        assertThat(fresh).isNotEqualTo(old);
        assertThat(errcode(phone(old, code))).isEqualTo(40001);
        assertThat(JSON.readTree(phone(fresh, code).body()).get("errcode").asInt()).isZero();
    }

    @Test
    void aNewTokenIsMadeWithinTheRenewalWindowAndTheOldOneStaysValid() throws Exception {
        wechat.accessTokenLifetime(Duration.ofSeconds(10));
        wechat.accessTokenRenewWithin(Duration.ofSeconds(10));
        String old = token(stableToken(APP, SECRET, false));

        String renewed = token(stableToken(APP, SECRET, false));

        assertThat(renewed).isNotEqualTo(old);
        assertThat(JSON.readTree(phone(old, issuePhone("renew-1")).body()).get("errcode").asInt()).isZero();
    }

    @Test
    void invalidatedTokensAnswer40001AndExpiredOnes42001() throws Exception {
        String token = token(stableToken(APP, SECRET, false));
        String code = issuePhone("refused-1");

        wechat.expireAccessTokens(APP);
        assertThat(errcode(phone(token, code))).isEqualTo(42001);
        wechat.invalidateAccessTokens(APP);
        assertThat(errcode(phone(token, code))).isEqualTo(40001);
        assertThat(errcode(phone("never-issued", code))).isEqualTo(40001);
        assertThat(wechat.refusedAccessTokens()).isEqualTo(3);
        assertThat(wechat.currentAccessToken(APP)).isNull();
        // the code was not consumed by any refused call
        String fresh = token(stableToken(APP, SECRET, false));
        assertThat(JSON.readTree(phone(fresh, code).body()).get("errcode").asInt()).isZero();
    }

    @Test
    void stableTokenConfigurationErrors() throws Exception {
        assertThat(errcode(stableToken("wx-unknown", SECRET, false))).isEqualTo(40013);
        assertThat(errcode(stableToken(APP, "wrong", false))).isEqualTo(40125);
        assertThat(errcode(post("/cgi-bin/stable_token", "{\"grant_type\":\"authorization_code\",\"appid\":\"" + APP
                + "\",\"secret\":\"" + SECRET + "\"}"))).isEqualTo(40002);
        assertThat(errcode(post("/cgi-bin/stable_token", "not json"))).isEqualTo(47001);
        assertThat(wechat.currentAccessToken(APP)).isNull();
    }

    @Test
    void aScriptedStableTokenReplyIsCountedAndMakesNoToken() throws Exception {
        wechat.scriptStableToken(Reply.errcode(-1));

        assertThat(errcode(stableToken(APP, SECRET, false))).isEqualTo(-1);
        assertThat(wechat.stableTokenCalls()).isEqualTo(1);
        assertThat(wechat.currentAccessToken(APP)).isNull();
    }

    // --- getuserphonenumber ---

    @Test
    void aPhoneCodeWorksOnceWithAWatermarkNamingTheApp() throws Exception {
        String token = token(stableToken(APP, SECRET, false));
        wechat.issuePhoneCode(APP, "phone-once", "+8613800138000", "13800138000", "86");

        HttpResponse<String> first = phone(token, "phone-once");

        assertThat(first.headers().firstValue("Content-Type")).hasValue("text/plain");
        JsonNode body = JSON.readTree(first.body());
        assertThat(body.get("errcode").asInt()).isZero();
        JsonNode info = body.get("phone_info");
        assertThat(info.get("phoneNumber").asString()).isEqualTo("+8613800138000");
        assertThat(info.get("purePhoneNumber").asString()).isEqualTo("13800138000");
        assertThat(info.get("countryCode").asString()).isEqualTo("86");
        assertThat(info.get("watermark").get("appid").asString()).isEqualTo(APP);
        assertThat(info.get("watermark").get("timestamp").isIntegralNumber()).isTrue();
        assertThat(errcode(phone(token, "phone-once"))).isEqualTo(40029);
        assertThat(errcode(phone(token, "never-issued"))).isEqualTo(40029);
        assertThat(wechat.phoneCalls()).isEqualTo(3);
    }

    @Test
    void aPhoneCodeCanCarryAnotherAppsWatermarkAndIsRefusedWithAnotherAppsToken() throws Exception {
        wechat.registerApp("wx-apis-b", "secret-b");
        String tokenB = token(stableToken("wx-apis-b", "secret-b", false));
        String token = token(stableToken(APP, SECRET, false));
        wechat.issuePhoneCode(APP, "phone-marked", "1", "1", "1", "wx-someone-else");

        assertThat(errcode(phone(tokenB, "phone-marked"))).isEqualTo(40029);
        assertThat(JSON.readTree(phone(token, "phone-marked").body()).get("phone_info").get("watermark").get("appid")
                .asString()).isEqualTo("wx-someone-else");
    }

    @Test
    void aScriptedPhoneReplyTakesPrecedenceAndDoesNotConsumeTheCode() throws Exception {
        wechat.issuePhoneCode(APP, "phone-scripted", "1", "1", "1");
        wechat.scriptPhone("phone-scripted", Reply.errcode(45011));

        assertThat(errcode(phone("no-token-needed", "phone-scripted"))).isEqualTo(45011);
        wechat.clearScripts();
        String token = token(stableToken(APP, SECRET, false));
        assertThat(JSON.readTree(phone(token, "phone-scripted").body()).get("errcode").asInt()).isZero();
    }

    // --- encryptedData ---

    @Test
    void sealedDataDecryptsWithTheSessionKeyAndIv() throws Exception {
        String sessionKey = WechatEncryptedData.randomSessionKey();
        String plaintext = "{\"a\":\"\u5f20\"," + WechatEncryptedData.watermark(APP) + "}";

        WechatEncryptedData.Sealed sealed = WechatEncryptedData.seal(sessionKey, plaintext);

        Cipher cipher = Cipher.getInstance("AES/CBC/PKCS5Padding");
        cipher.init(Cipher.DECRYPT_MODE, new SecretKeySpec(Base64.getDecoder().decode(sessionKey), "AES"),
                new IvParameterSpec(Base64.getDecoder().decode(sealed.iv())));
        assertThat(new String(cipher.doFinal(Base64.getDecoder().decode(sealed.encryptedData())),
                StandardCharsets.UTF_8)).isEqualTo(plaintext);
        assertThat(Base64.getDecoder().decode(sessionKey)).hasSize(16);
    }

    // --- helpers ---

    private String issuePhone(String code) {
        wechat.issuePhoneCode(APP, code, "+8613800138000", "13800138000", "86");
        return code;
    }

    private static String token(HttpResponse<String> response) {
        return JSON.readTree(response.body()).get("access_token").asString();
    }

    private static int errcode(HttpResponse<String> response) {
        assertThat(response.statusCode()).isEqualTo(200);
        return JSON.readTree(response.body()).get("errcode").asInt();
    }

    private static HttpResponse<String> stableToken(String appid, String secret, boolean forceRefresh) throws Exception {
        return post("/cgi-bin/stable_token", "{\"grant_type\":\"client_credential\",\"appid\":\"" + appid
                + "\",\"secret\":\"" + secret + "\",\"force_refresh\":" + forceRefresh + "}");
    }

    private static HttpResponse<String> phone(String accessToken, String code) throws Exception {
        return post("/wxa/business/getuserphonenumber?access_token=" + URLEncoder.encode(accessToken,
                StandardCharsets.UTF_8), "{\"code\":\"" + code + "\"}");
    }

    private static HttpResponse<String> post(String pathAndQuery, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(wechat.baseUrl() + pathAndQuery))
                .timeout(Duration.ofSeconds(5))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build(), BodyHandlers.ofString());
    }
}
