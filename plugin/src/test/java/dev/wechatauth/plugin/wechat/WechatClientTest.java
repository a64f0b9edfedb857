package dev.wechatauth.plugin.wechat;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import dev.wechatauth.plugin.error.GatewayError;
import dev.wechatauth.plugin.error.GatewayErrorException;
import dev.wechatauth.testkit.FreePort;
import dev.wechatauth.testkit.Reply;
import dev.wechatauth.testkit.WechatStandIn;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

class WechatClientTest {

    private static final Duration TIMEOUT = Duration.ofMillis(700);
    private static final int MAX_REPLY_BYTES = 64 * 1024;
    private static final String APPID = "wx_app_one";
    private static final String SECRET = "s3cret-0ne";
    private static final MiniProgram APP = new MiniProgram(APPID, SECRET);
    private static final String SESSION_KEY = "tiihtNczf5v6AKRyjwEUhQ==";

    private static WechatStandIn wechat;
    private static WechatClient client;

    @BeforeAll
    static void startStandIn() {
        wechat = WechatStandIn.start();
        client = clientFor(URI.create(wechat.baseUrl()));
        // the first call of the JVM (connection pool, codecs, class loading) can take longer than TIMEOUT on a busy
        // machine; warm up, so that whichever test runs first measures WeChat's answer, not the start
        wechat.registerApp(APPID, SECRET);
        client.code2Session(APP, "warm-up").onErrorResume(failure -> Mono.empty()).block(Duration.ofSeconds(10));
    }

    @AfterAll
    static void stopStandIn() {
        wechat.close();
    }

    @BeforeEach
    void freshStandIn() {
        wechat.clearScripts();
        wechat.resetCounters();
        wechat.registerApp(APPID, SECRET);
    }

    private static WechatClient clientFor(URI baseUrl) {
        return new WechatClient(WechatHttpClients.webClient(TIMEOUT, 50), baseUrl, TIMEOUT, MAX_REPLY_BYTES);
    }

    // --- success ---

    @Test
    void code2SessionWhenCodeValidThenIdentityWithoutUnionid() {
        wechat.issueCode(APPID, "code-plain", "o_plain-1", null, SESSION_KEY);

        StepVerifier.create(client.code2Session(APP, "code-plain"))
                .assertNext(identity -> {
                    assertThat(identity.appid()).isEqualTo(APPID);
                    assertThat(identity.openid()).isEqualTo("o_plain-1");
                    assertThat(identity.unionid()).isNull();
                    assertThat(identity.sessionKey()).isEqualTo(SESSION_KEY);
                })
                .verifyComplete();
        assertThat(wechat.calls("code-plain")).isEqualTo(1);
    }

    @Test
    void code2SessionWhenWechatGivesUnionidThenIdentityCarriesIt() {
        wechat.issueCode(APPID, "code-union", "o_union", "u_union-7", SESSION_KEY);

        StepVerifier.create(client.code2Session(APP, "code-union"))
                .assertNext(identity -> {
                    assertThat(identity.openid()).isEqualTo("o_union");
                    assertThat(identity.unionid()).isEqualTo("u_union-7");
                    assertThat(identity.sessionKey()).isEqualTo(SESSION_KEY);
                })
                .verifyComplete();
    }

    @Test
    void code2SessionWhenOpenidIs64CharactersThenAccepted() {
        String openid = "o".repeat(64);
        wechat.issueCode(APPID, "code-64", openid, null, SESSION_KEY);

        StepVerifier.create(client.code2Session(APP, "code-64"))
                .assertNext(identity -> assertThat(identity.openid()).isEqualTo(openid))
                .verifyComplete();
    }

    @Test
    void identityToStringNeverShowsTheSessionKey() {
        wechat.issueCode(APPID, "code-tostring", "o_tostring", null, SESSION_KEY);

        StepVerifier.create(client.code2Session(APP, "code-tostring"))
                .assertNext(identity -> assertThat(identity.toString()).doesNotContain(SESSION_KEY))
                .verifyComplete();
    }

    @Test
    void code2SessionWhenCodeAndSecretNeedEncodingThenTheyArriveIntact() {
        String secret = "se+cr&et=%2F/#?x";
        String code = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~aZ09";
        wechat.registerApp("wx_encoded", secret);
        wechat.issueCode("wx_encoded", code, "o_encoded", null, SESSION_KEY);

        StepVerifier.create(client.code2Session(new MiniProgram("wx_encoded", secret), code))
                .assertNext(identity -> assertThat(identity.openid()).isEqualTo("o_encoded"))
                .verifyComplete();

        Map<String, String> query = decode(wechat.lastQuery());
        assertThat(query).containsEntry("appid", "wx_encoded")
                .containsEntry("secret", secret)
                .containsEntry("js_code", code)
                .containsEntry("grant_type", "authorization_code")
                .hasSize(4);
    }

    // --- errcodes ---

    @Test
    void code2SessionWhenCodeUnknownThenInvalidCode() {
        expectError(client.code2Session(APP, "never-issued"), GatewayError.INVALID_CODE);
    }

    @Test
    void code2SessionWhenCodeUsedTwiceThenSecondIsInvalidCode() {
        wechat.issueCode(APPID, "code-twice", "o_twice", null, SESSION_KEY);
        StepVerifier.create(client.code2Session(APP, "code-twice")).expectNextCount(1).verifyComplete();

        expectError(client.code2Session(APP, "code-twice"), GatewayError.INVALID_CODE);
        assertThat(wechat.calls("code-twice")).isEqualTo(2);
    }

    @Test
    void code2SessionWhenErrcode40029ThenInvalidCode() {
        wechat.script("code-40029", Reply.errcode(40029));
        expectError(client.code2Session(APP, "code-40029"), GatewayError.INVALID_CODE);
    }

    @Test
    void code2SessionWhenErrcode40163ThenInvalidCode() {
        wechat.script("code-40163", Reply.errcode(40163));
        expectError(client.code2Session(APP, "code-40163"), GatewayError.INVALID_CODE);
    }

    @Test
    void code2SessionWhenSystemBusyThenWechatUnavailable() {
        wechat.script("code-busy", Reply.errcode(-1));
        expectError(client.code2Session(APP, "code-busy"), GatewayError.WECHAT_UNAVAILABLE);
    }

    @Test
    void code2SessionWhenFrequencyLimitedThenWechatRateLimited() {
        wechat.script("code-45011", Reply.errcode(45011));
        GatewayErrorException failure = expectError(client.code2Session(APP, "code-45011"), GatewayError.WECHAT_RATE_LIMITED);
        assertThat(failure.error().status().value()).isEqualTo(429);
    }

    @Test
    void code2SessionWhenHighRiskUserThenUserBlocked() {
        wechat.script("code-40226", Reply.errcode(40226));
        expectError(client.code2Session(APP, "code-40226"), GatewayError.USER_BLOCKED);
    }

    @Test
    void code2SessionWhenAppidUnknownToWechatThenWechatError() {
        wechat.issueCode("wx_unregistered", "code-unknown-app", "o_x", null, SESSION_KEY);
        expectError(client.code2Session(new MiniProgram("wx_unregistered", SECRET), "code-unknown-app"), GatewayError.WECHAT_ERROR);
    }

    @Test
    void code2SessionWhenSecretWrongThenWechatError() {
        wechat.issueCode(APPID, "code-wrong-secret", "o_x", null, SESSION_KEY);
        expectError(client.code2Session(new MiniProgram(APPID, "not-the-secret"), "code-wrong-secret"), GatewayError.WECHAT_ERROR);
        assertThat(wechat.calls("code-wrong-secret")).isEqualTo(1);
    }

    @ParameterizedTest
    @ValueSource(ints = {40002, 41008, 40001, 48001, 61024, 99999, 1})
    void code2SessionWhenAnyOtherErrcodeThenWechatError(int errcode) {
        wechat.script("code-other", Reply.errcode(errcode));
        expectError(client.code2Session(APP, "code-other"), GatewayError.WECHAT_ERROR);
    }

    // --- HTTP statuses ---

    @ParameterizedTest
    @ValueSource(ints = {500, 502, 503})
    void code2SessionWhenServerErrorStatusThenWechatUnavailable(int status) {
        wechat.scriptAll(Reply.status(status));
        expectError(client.code2Session(APP, "code-5xx"), GatewayError.WECHAT_UNAVAILABLE);
    }

    @ParameterizedTest
    @ValueSource(ints = {404, 400, 401, 403})
    void code2SessionWhenOtherStatusThenWechatError(int status) {
        wechat.scriptAll(Reply.status(status));
        expectError(client.code2Session(APP, "code-4xx"), GatewayError.WECHAT_ERROR);
    }

    @Test
    void code2SessionWhenRedirectedThenWechatErrorAndRedirectNotFollowed() {
        // were the redirect followed, it would reach a fresh code of the same app and succeed
        wechat.issueCode(APPID, "code-redirect-target", "o_redirected", null, SESSION_KEY);
        wechat.script("code-redirect", Reply.redirect(wechat.baseUrl() + WechatStandIn.CODE2SESSION_PATH + "?appid="
                + APPID + "&secret=" + SECRET + "&js_code=code-redirect-target&grant_type=authorization_code"));

        expectError(client.code2Session(APP, "code-redirect"), GatewayError.WECHAT_ERROR);
        assertThat(wechat.calls()).isEqualTo(1);
        assertThat(wechat.calls("code-redirect-target")).isZero();
    }

    // --- unreadable or ill-formed replies ---

    @ParameterizedTest
    @ValueSource(strings = {
            "<html><body>502 Bad Gateway</body></html>",
            "",
            "   ",
            "{",
            "null",
            "42",
            "\"openid\"",
            "[{\"openid\":\"o_array\",\"session_key\":\"tiihtNczf5v6AKRyjwEUhQ==\"}]",
            "{\"errcode\":\"busy\",\"errmsg\":\"x\"}",
            "{\"errcode\":{},\"errmsg\":\"x\"}",
            "{\"session_key\":\"tiihtNczf5v6AKRyjwEUhQ==\"}",
            "{\"openid\":\"o_no_key\"}",
            "{\"openid\":null,\"session_key\":\"tiihtNczf5v6AKRyjwEUhQ==\"}",
            "{\"openid\":\"\",\"session_key\":\"tiihtNczf5v6AKRyjwEUhQ==\"}",
            "{\"openid\":\"o_x\",\"session_key\":\"\"}",
            "{\"openid\":\"o_x\\r\\nX-Injected: 1\",\"session_key\":\"tiihtNczf5v6AKRyjwEUhQ==\"}",
            "{\"openid\":\"o_x\\n\",\"session_key\":\"tiihtNczf5v6AKRyjwEUhQ==\"}",
            "{\"openid\":\"o x\",\"session_key\":\"tiihtNczf5v6AKRyjwEUhQ==\"}",
            "{\"openid\":\" o_x\",\"session_key\":\"tiihtNczf5v6AKRyjwEUhQ==\"}",
            "{\"openid\":\"o_x\",\"unionid\":\"u<script>\",\"session_key\":\"tiihtNczf5v6AKRyjwEUhQ==\"}",
            "{\"openid\":\"o_x\",\"unionid\":\"u.x\",\"session_key\":\"tiihtNczf5v6AKRyjwEUhQ==\"}",
            "{\"openid\":\"o_x\",\"unionid\":\"u\\r\\nx\",\"session_key\":\"tiihtNczf5v6AKRyjwEUhQ==\"}",
            "{\"openid\":\"o_x\",\"unionid\":\"\",\"session_key\":\"tiihtNczf5v6AKRyjwEUhQ==\"}",
            "{\"openid\":\"o_\u00e9\",\"session_key\":\"tiihtNczf5v6AKRyjwEUhQ==\"}",
            "{\"openid\":[\"o_x\"],\"session_key\":\"tiihtNczf5v6AKRyjwEUhQ==\"}",
    })
    void code2SessionWhenReplyUnreadableOrIllFormedThenWechatError(String body) {
        wechat.script("code-odd", Reply.body(body));
        expectError(client.code2Session(APP, "code-odd"), GatewayError.WECHAT_ERROR);
    }

    /** WeChat's fields have fixed JSON types; a reply that breaks them is not WeChat's format and cannot be read. */
    @ParameterizedTest
    @ValueSource(strings = {
            "{\"errcode\":\"40029\",\"errmsg\":\"invalid code\"}",
            "{\"errcode\":\"-1\",\"errmsg\":\"system error\"}",
            "{\"openid\":42,\"session_key\":\"tiihtNczf5v6AKRyjwEUhQ==\"}",
            "{\"openid\":\"o_x\",\"session_key\":12345678}",
            "{\"openid\":\"o_x\",\"unionid\":true,\"session_key\":\"tiihtNczf5v6AKRyjwEUhQ==\"}",
    })
    void code2SessionWhenFieldHasWrongJsonTypeThenWechatError(String body) {
        wechat.script("code-typed", Reply.body(body));
        expectError(client.code2Session(APP, "code-typed"), GatewayError.WECHAT_ERROR);
    }

    @Test
    void code2SessionWhenOpenidHas65CharactersThenWechatError() {
        wechat.script("code-65", Reply.body("{\"openid\":\"" + "o".repeat(65) + "\",\"session_key\":\"" + SESSION_KEY + "\"}"));
        expectError(client.code2Session(APP, "code-65"), GatewayError.WECHAT_ERROR);
    }

    @Test
    void code2SessionWhenUnionidHas65CharactersThenWechatError() {
        wechat.script("code-u65", Reply.body("{\"openid\":\"o_x\",\"unionid\":\"" + "u".repeat(65)
                + "\",\"session_key\":\"" + SESSION_KEY + "\"}"));
        expectError(client.code2Session(APP, "code-u65"), GatewayError.WECHAT_ERROR);
    }

    @Test
    void code2SessionWhenReplyIs10MegabytesThenWechatErrorQuicklyAndClientStillUsable() {
        wechat.script("code-huge", Reply.largeBody(10 * 1024 * 1024));

        Duration took = StepVerifier.create(client.code2Session(APP, "code-huge"))
                .expectErrorSatisfies(failure -> assertThat(failure)
                        .isInstanceOfSatisfying(GatewayErrorException.class,
                                expected -> assertThat(expected.error()).isEqualTo(GatewayError.WECHAT_ERROR)))
                .verify(Duration.ofSeconds(5));
        assertThat(took).isLessThan(Duration.ofSeconds(2));

        wechat.issueCode(APPID, "code-after-huge", "o_after", null, SESSION_KEY);
        StepVerifier.create(client.code2Session(APP, "code-after-huge"))
                .assertNext(identity -> assertThat(identity.openid()).isEqualTo("o_after"))
                .verifyComplete();
    }

    // --- time and connection failures ---

    @Test
    void code2SessionWhenWechatSlowerThanTimeoutThenWechatTimeout() {
        wechat.issueCode(APPID, "code-slow", "o_slow", null, SESSION_KEY);
        wechat.script("code-slow", Reply.delayed(TIMEOUT.plusSeconds(2),
                Reply.body("{\"openid\":\"o_slow\",\"session_key\":\"" + SESSION_KEY + "\"}")));

        Duration took = expectErrorWithin(client.code2Session(APP, "code-slow"), GatewayError.WECHAT_TIMEOUT);
        assertThat(took).isBetween(TIMEOUT.minusMillis(100), TIMEOUT.plusSeconds(1));
    }

    @Test
    void code2SessionWhenWechatHangsThenWechatTimeout() {
        wechat.script("code-hang", Reply.hang());

        Duration took = expectErrorWithin(client.code2Session(APP, "code-hang"), GatewayError.WECHAT_TIMEOUT);
        assertThat(took).isBetween(TIMEOUT.minusMillis(100), TIMEOUT.plusSeconds(1));
        assertThat(wechat.calls("code-hang")).isEqualTo(1);
    }

    @Test
    void code2SessionWhenConnectionResetThenWechatUnavailableAndNoRetry() {
        wechat.script("code-reset", Reply.reset());

        expectError(client.code2Session(APP, "code-reset"), GatewayError.WECHAT_UNAVAILABLE);
        assertThat(wechat.calls()).isEqualTo(1);
        assertThat(wechat.calls("code-reset")).isEqualTo(1);
    }

    @Test
    void code2SessionWhenNothingListensThenWechatUnavailable() {
        WechatClient nowhere = clientFor(URI.create("http://127.0.0.1:" + FreePort.next()));

        Duration took = expectErrorWithin(nowhere.code2Session(APP, "code-nowhere"), GatewayError.WECHAT_UNAVAILABLE);
        assertThat(took).isLessThan(TIMEOUT.plusSeconds(1));
    }

    @Test
    void code2SessionWhenBaseUrlHasTrailingSlashThenSamePath() {
        WechatClient slashed = clientFor(URI.create(wechat.baseUrl() + "/"));
        wechat.issueCode(APPID, "code-slash", "o_slash", null, SESSION_KEY);

        StepVerifier.create(slashed.code2Session(APP, "code-slash"))
                .assertNext(identity -> assertThat(identity.openid()).isEqualTo("o_slash"))
                .verifyComplete();
    }

    @Test
    void code2SessionWhenFailingThenTheErrorNeverCarriesTheSecret() {
        wechat.scriptAll(Reply.status(500));

        StepVerifier.create(client.code2Session(APP, "code-secret-check"))
                .expectErrorSatisfies(failure -> {
                    for (Throwable t = failure; t != null; t = t.getCause()) {
                        assertThat(String.valueOf(t.getMessage())).doesNotContain(SECRET);
                        assertThat(t.toString()).doesNotContain(SECRET);
                    }
                })
                .verify(Duration.ofSeconds(5));
    }

    @Test
    void code2SessionWhenNotSubscribedThenWechatIsNotCalled() {
        wechat.issueCode(APPID, "code-lazy", "o_lazy", null, SESSION_KEY);

        Mono<WechatIdentity> call = client.code2Session(APP, "code-lazy");

        assertThat(wechat.calls()).isZero();
        StepVerifier.create(call).expectNextCount(1).verifyComplete();
        assertThat(wechat.calls()).isEqualTo(1);
    }

    // --- stable_token ---

    @Test
    void stableTokenWhenAppKnownThenTheTokenAndItsLifetimeAndNoForcedRefresh() {
        AccessToken first = client.stableToken(APP).block(Duration.ofSeconds(5));
        AccessToken second = client.stableToken(APP).block(Duration.ofSeconds(5));

        assertThat(first).isNotNull();
        assertThat(first.value()).isEqualTo(wechat.currentAccessToken(APPID));
        assertThat(first.expiresIn()).isBetween(Duration.ofSeconds(7199), Duration.ofSeconds(7200));
        assertThat(second.value()).as("force_refresh:false hands the same token out again").isEqualTo(first.value());
        assertThat(wechat.stableTokenCalls()).isEqualTo(2);
        assertThat(first.toString()).doesNotContain(first.value());
        wechat.invalidateAccessTokens(APPID);
    }

    @Test
    void stableTokenWhenSecretWrongThenWechatErrorWithoutTheSecret() {
        GatewayErrorException failure = expectError(client.stableToken(new MiniProgram(APPID, "wrong-secret")),
                GatewayError.WECHAT_ERROR);

        assertThat(failure.toString()).doesNotContain("wrong-secret");
    }

    @Test
    void stableTokenWhenSystemBusyThenWechatUnavailable() {
        wechat.scriptStableToken(Reply.errcode(-1));

        expectError(client.stableToken(APP), GatewayError.WECHAT_UNAVAILABLE);
    }

    @ParameterizedTest
    @ValueSource(strings = {"{\"access_token\":\"ok_token\",\"expires_in\":0}",
            "{\"access_token\":\"ok_token\",\"expires_in\":-5}",
            "{\"access_token\":\"ok_token\",\"expires_in\":\"7200\"}",
            "{\"access_token\":\"ok_token\"}",
            "{\"access_token\":\"bad token\",\"expires_in\":7200}",
            "{\"access_token\":\"bad&token=x\",\"expires_in\":7200}",
            "{\"access_token\":\"bad\\r\\ntoken\",\"expires_in\":7200}",
            "{\"access_token\":\"\",\"expires_in\":7200}",
            "{\"expires_in\":7200}", "[]", "<html/>", "{\"errcode\":40013,\"errmsg\":\"invalid appid\"}"})
    void stableTokenWhenTheAnswerIsUnusableThenWechatError(String body) {
        wechat.scriptStableToken(Reply.body(body));

        expectError(client.stableToken(APP), GatewayError.WECHAT_ERROR);
    }

    // --- getuserphonenumber ---

    @Test
    void phoneNumberWhenCodeValidThenTheCheckedNumber() {
        String token = client.stableToken(APP).block(Duration.ofSeconds(5)).value();
        wechat.issuePhoneCode(APPID, "phone-ok", "+8613800138000", "13800138000", "86");

        TokenReply<PhoneNumber> reply = client.phoneNumber(APPID, token, "phone-ok").block(Duration.ofSeconds(5));

        assertThat(reply.tokenRefused()).isFalse();
        assertThat(reply.value()).isEqualTo(new PhoneNumber("+8613800138000", "13800138000", "86"));
        assertThat(reply.value().toString()).doesNotContain("13800138000");
        wechat.invalidateAccessTokens(APPID);
    }

    @Test
    void phoneNumberWhenTheTokenIsRefusedThenARefusalNotAnError() {
        TokenReply<PhoneNumber> reply = client.phoneNumber(APPID, "never_issued_token", "any")
                .block(Duration.ofSeconds(5));

        assertThat(reply.tokenRefused()).isTrue();
        assertThat(wechat.refusedAccessTokens()).isEqualTo(1);
    }

    @Test
    void phoneNumberWhenNothingListensThenWechatUnavailableWithoutTheToken() {
        WechatClient nowhere = clientFor(URI.create("http://127.0.0.1:" + FreePort.next()));

        StepVerifier.create(nowhere.phoneNumber(APPID, "secret_access_token_value", "c"))
                .expectErrorSatisfies(failure -> {
                    assertThat(((GatewayErrorException) failure).error()).isEqualTo(GatewayError.WECHAT_UNAVAILABLE);
                    for (Throwable t = failure; t != null; t = t.getCause()) {
                        assertThat(t.toString()).doesNotContain("secret_access_token_value");
                    }
                })
                .verify(Duration.ofSeconds(5));
    }

    // --- helpers ---

    private static <T> GatewayErrorException expectError(Mono<T> call, GatewayError expected) {
        GatewayErrorException[] seen = new GatewayErrorException[1];
        StepVerifier.create(call)
                .expectErrorSatisfies(failure -> {
                    assertThat(failure).isInstanceOf(GatewayErrorException.class);
                    seen[0] = (GatewayErrorException) failure;
                    assertThat(seen[0].error()).isEqualTo(expected);
                })
                .verify(Duration.ofSeconds(5));
        return seen[0];
    }

    private static Duration expectErrorWithin(Mono<WechatIdentity> call, GatewayError expected) {
        return StepVerifier.create(call)
                .expectErrorSatisfies(failure -> assertThat(failure)
                        .isInstanceOfSatisfying(GatewayErrorException.class,
                                expectedFailure -> assertThat(expectedFailure.error()).isEqualTo(expected)))
                .verify(TIMEOUT.plusSeconds(3));
    }

    /** Decodes a raw query string the strict way: {@code %XX} only ({@code +} stays as sent, decoded by URLDecoder). */
    private static Map<String, String> decode(String rawQuery) {
        assertThat(rawQuery).isNotNull();
        Map<String, String> params = new HashMap<>();
        for (String pair : rawQuery.split("&")) {
            int equals = pair.indexOf('=');
            assertThat(equals).as("query parameter %s has a value", pair).isPositive();
            String name = URLDecoder.decode(pair.substring(0, equals), StandardCharsets.UTF_8);
            String value = URLDecoder.decode(pair.substring(equals + 1), StandardCharsets.UTF_8);
            assertThat(params.put(name, value)).as("parameter %s given once", name).isNull();
        }
        return params;
    }
}
