package dev.wechatauth.plugin.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

import dev.wechatauth.plugin.wechat.MiniProgram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.util.unit.DataSize;

class WechatAuthSettingsTest {

    private static final String SECRET = "0123456789abcdef0123456789abcdef";

    @Test
    void newWhenNoAppConfiguredThenInvalidSettingsNamingTheProperty() {
        assertInvalid(properties(List.of()), "wechat.auth.apps", null);
        assertInvalid(properties(null), "wechat.auth.apps", null);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "wx app", "wx.app", "wx/app", "wx:app", "wx\u00e9", "wx\napp", " wx", "wx ",
            "wx_app_with_65_characters_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"})
    void newWhenAppidMalformedThenInvalidSettingsNamingTheAppidProperty(String appid) {
        assertInvalid(properties(List.of(new MiniProgram(appid, SECRET))), "wechat.auth.apps[0].appid", SECRET);
    }

    @Test
    void newWhenAppidMissingThenInvalidSettingsNamingTheAppidProperty() {
        assertInvalid(properties(List.of(new MiniProgram(null, SECRET))), "wechat.auth.apps[0].appid", SECRET);
    }

    @Test
    void newWhenSecondAppMalformedThenTheMessageNamesItsIndex() {
        assertInvalid(properties(List.of(new MiniProgram("wx_one", SECRET), new MiniProgram("wx two", "other-secret"))),
                "wechat.auth.apps[1].appid", "other-secret");
    }

    @Test
    void newWhenSecretMissingOrEmptyThenInvalidSettingsNamingTheSecretProperty() {
        assertInvalid(properties(List.of(new MiniProgram("wx_one", null))), "wechat.auth.apps[0].secret", null);
        assertInvalid(properties(List.of(new MiniProgram("wx_one", ""))), "wechat.auth.apps[0].secret", null);
    }

    @ParameterizedTest
    @ValueSource(strings = {"s3cret with-space", "s3cret\twith-tab", "s3cret\nwith-newline", "s3cret\rwith-cr",
            " s3cret-leading-space", "s3cret-trailing-space ", "s3cret\u00a0with-nbsp", "s3cret\u3000with-ideographic",
            "s3cret\u0000with-nul", "   "})
    void newWhenSecretHasWhiteSpaceThenInvalidSettingsThatNeverShowsTheSecret(String secret) {
        assertInvalid(properties(List.of(new MiniProgram("wx_one", secret))), "wechat.auth.apps[0].secret", secret);
    }

    @Test
    void newWhenAppidRepeatedThenInvalidSettingsNamingTheRepeat() {
        String message = assertInvalid(properties(List.of(new MiniProgram("wx_one", SECRET), new MiniProgram("wx_two", "second-secret"),
                new MiniProgram("wx_one", "third-secret"))), "wechat.auth.apps[2].appid", SECRET);
        assertThat(message).doesNotContain("second-secret").doesNotContain("third-secret");
    }

    @Test
    void newWhenAppsValidThenFirstIsDefaultAndEachFoundByAppid() {
        MiniProgram one = new MiniProgram("wx_one", SECRET);
        MiniProgram two = new MiniProgram("WX-Two_2", "second-secret");
        MiniProgram longest = new MiniProgram("a".repeat(64), "third-secret");

        WechatAuthSettings settings = new WechatAuthSettings(properties(List.of(one, two, longest)));

        assertThat(settings.miniPrograms().defaultApp()).isEqualTo(one);
        assertThat(settings.miniPrograms().app("wx_one")).contains(one);
        assertThat(settings.miniPrograms().app("WX-Two_2")).contains(two);
        assertThat(settings.miniPrograms().app("a".repeat(64))).contains(longest);
        assertThat(settings.miniPrograms().app("wx_three")).isEmpty();
        assertThat(settings.miniPrograms().app("WX_ONE")).isEmpty();
        assertThat(settings.properties().apps()).containsExactly(one, two, longest);
    }

    @ParameterizedTest
    @ValueSource(strings = {"10.0.0.0/33", "10.0.0.0/x", "example.com/8", "", "fd00::/129"})
    void newWhenATrustedProxyIsNotAnAddressBlockThenInvalidSettingsNamingTheProperty(String block) {
        WechatAuthProperties valid = properties(List.of(new MiniProgram("wx_one", SECRET)));
        WechatAuthProperties withProxy = new WechatAuthProperties(true, valid.apps(), valid.apiBaseUrl(), valid.timeout(),
                valid.loginLimit(), valid.login(), List.of("10.0.0.0/8", block), valid.session(), valid.endpoints(),
                valid.circuitBreaker(), valid.phone(), valid.accessToken(), valid.identityToken(),
                valid.identityHeaders(), valid.admin());

        assertInvalid(withProxy, "wechat.auth.trusted-proxies", SECRET);
    }

    @Test
    void appToStringWhenPrintedThenMasksTheSecret() {
        MiniProgram app = new MiniProgram("wx_one", SECRET);

        assertThat(app.toString()).contains("wx_one").doesNotContain(SECRET);
        assertThat(properties(List.of(app)).toString()).doesNotContain(SECRET);
    }

    @ParameterizedTest
    @ValueSource(strings = {"short", "0123456789012345678901234567890", "0123456789012345 78901234567890123",
            "01234567890123456789012345678901\u00e9"})
    void newWhenTheAdminTokenIsShorterThan32VisibleCharactersThenInvalidSettingsWithoutTheToken(String token) {
        assertInvalid(withAdminToken(token), "wechat.auth.admin.token", token);
    }

    @Test
    void anAdminTokenOf32VisibleCharactersIsTheAdminTokenAndNoneOrEmptyTurnsTheAdminApiOff() {
        String token = "0123456789abcdefghijklmnopqrstu!";

        assertThat(new WechatAuthSettings(withAdminToken(token)).adminToken()).isEqualTo(token);
        assertThat(new WechatAuthSettings(withAdminToken(null)).adminToken()).isNull();
        assertThat(new WechatAuthSettings(withAdminToken("")).adminToken()).isNull();
        assertThat(withAdminToken(token).toString()).doesNotContain(token);
    }

    @Test
    void newWhenASessionLimitIsOutOfRangeThenInvalidSettingsNamingIt() {
        assertInvalid(withSession(Duration.ofDays(7), Duration.ZERO, 10), "wechat.auth.session.max-lifetime", null);
        assertInvalid(withSession(Duration.ofDays(7), Duration.ofDays(-1), 10), "wechat.auth.session.max-lifetime", null);
        assertInvalid(withSession(Duration.ZERO, Duration.ofDays(30), 10), "wechat.auth.session.ttl", null);
        assertInvalid(withSession(Duration.ofDays(7), Duration.ofDays(30), -1), "wechat.auth.session.max-per-user", null);
        assertThat(new WechatAuthSettings(withSession(Duration.ofDays(7), Duration.ofHours(1), 0))).isNotNull();
    }

    private static WechatAuthProperties withAdminToken(String token) {
        WechatAuthProperties valid = properties(List.of(new MiniProgram("wx_one", SECRET)));
        return new WechatAuthProperties(true, valid.apps(), valid.apiBaseUrl(), valid.timeout(), valid.loginLimit(),
                valid.login(), valid.trustedProxies(), valid.session(), valid.endpoints(), valid.circuitBreaker(),
                valid.phone(), valid.accessToken(), valid.identityToken(), valid.identityHeaders(),
                new WechatAuthProperties.Admin(token));
    }

    private static WechatAuthProperties withSession(Duration ttl, Duration maxLifetime, int maxPerUser) {
        WechatAuthProperties valid = properties(List.of(new MiniProgram("wx_one", SECRET)));
        WechatAuthProperties.Session session = new WechatAuthProperties.Session(ttl, "wechat-auth",
                Duration.ofSeconds(1), null, Duration.ofMillis(100), 0, maxLifetime, maxPerUser);
        return new WechatAuthProperties(true, valid.apps(), valid.apiBaseUrl(), valid.timeout(), valid.loginLimit(),
                valid.login(), valid.trustedProxies(), session, valid.endpoints(), valid.circuitBreaker(),
                valid.phone(), valid.accessToken(), valid.identityToken(), valid.identityHeaders(), valid.admin());
    }

    @ValueSource(strings = {"", "X Identity", "X-OpenId", "x_openid", "X-WX-Jwt", "X-Phone-Jwt", "Host", "Connection",
            "transfer-encoding", "Content-Length", "Cookie", "X-Auth-Token", "Proxy-Authorization"})
    void newWhenTheIdentityTokenHeaderCannotCarryItThenInvalidSettingsNamingTheProperty(String header) {
        assertInvalid(withIdentityToken(new WechatAuthProperties.IdentityToken(true, header, "iss",
                Duration.ofMinutes(5), Duration.ofHours(24), null)), "wechat.auth.identity-token.header", null);
    }

    @Test
    void newWhenTheIdentityTokenLivesUnder2sOrRotatesUnder1sThenInvalidSettings() {
        assertInvalid(withIdentityToken(new WechatAuthProperties.IdentityToken(true, "Authorization", "iss",
                Duration.ofMillis(1999), Duration.ofHours(24), null)), "wechat.auth.identity-token.ttl", null);
        assertInvalid(withIdentityToken(new WechatAuthProperties.IdentityToken(true, "Authorization", "iss",
                Duration.ofMinutes(5), Duration.ofMillis(999), null)), "wechat.auth.identity-token.rotation", null);
    }

    @Test
    void newWhenTheSigningKeyIsNotAP256Pkcs8KeyThenInvalidSettingsThatNeverQuoteIt() {
        String notAKey = "-----BEGIN PRIVATE KEY-----\nTUFERS1VUC1CVVQtU0VDUkVULUxPT0tJTkc=\n-----END PRIVATE KEY-----";

        assertInvalid(withIdentityToken(new WechatAuthProperties.IdentityToken(true, "Authorization", "iss",
                Duration.ofMinutes(5), Duration.ofHours(24), notAKey)), "wechat.auth.identity-token.signing-key",
                "TUFERS1VUC1CVVQtU0VDUkVULUxPT0tJTkc=");
    }

    @Test
    void identityTokenToStringWhenPrintedThenMasksTheSigningKey() {
        String pem = "-----BEGIN PRIVATE KEY-----\nSECRETSECRET\n-----END PRIVATE KEY-----";

        assertThat(new WechatAuthProperties.IdentityToken(true, "Authorization", "iss", Duration.ofMinutes(5),
                Duration.ofHours(24), pem).toString()).doesNotContain("SECRETSECRET");
    }

    @Test
    void newWhenTheIdentityTokenHasItsOwnHeaderThenAccepted() {
        WechatAuthSettings settings = new WechatAuthSettings(withIdentityToken(new WechatAuthProperties.IdentityToken(
                true, "X-Identity-Token", "iss", Duration.ofSeconds(2), Duration.ofSeconds(1), null)));

        assertThat(settings.identityTokenSigningKey()).isNull();
    }

    private static WechatAuthProperties withIdentityToken(WechatAuthProperties.IdentityToken token) {
        WechatAuthProperties valid = properties(List.of(new MiniProgram("wx_one", SECRET)));
        return new WechatAuthProperties(true, valid.apps(), valid.apiBaseUrl(), valid.timeout(), valid.loginLimit(),
                valid.login(), valid.trustedProxies(), valid.session(), valid.endpoints(), valid.circuitBreaker(),
                valid.phone(), valid.accessToken(), token, valid.identityHeaders(), valid.admin());
    }

    // --- helpers ---

    /** Asserts that building settings fails with a one-line message naming {@code property} and never {@code secret}. */
    private static String assertInvalid(WechatAuthProperties properties, String property, String secret) {
        String[] message = new String[1];
        assertThatThrownBy(() -> new WechatAuthSettings(properties))
                .isInstanceOfSatisfying(InvalidSettingsException.class, failure -> {
                    message[0] = failure.getMessage();
                    assertThat(message[0]).contains(property).doesNotContain("\n").doesNotContain("\r");
                    if (secret != null) {
                        assertThat(message[0]).doesNotContain(secret);
                        Arrays.stream(secret.split("\\s+")).filter(part -> part.length() >= 4)
                                .forEach(part -> assertThat(message[0]).doesNotContain(part));
                    }
                });
        return message[0];
    }

    static WechatAuthProperties properties(List<MiniProgram> apps) {
        return new WechatAuthProperties(true, apps, URI.create("https://api.weixin.qq.com"), Duration.ofSeconds(5),
                new WechatAuthProperties.LoginLimit(30, Duration.ofMinutes(1)),
                new WechatAuthProperties.Login(Duration.ofSeconds(10), DataSize.ofKilobytes(16), 256),
                null,
                new WechatAuthProperties.Session(Duration.ofDays(7), "wechat-auth", Duration.ofSeconds(1), null, Duration.ofMillis(100), 0,
                        Duration.ofDays(30), 0),
                new WechatAuthProperties.Endpoints("/wx/logout", "/wx/session", "/wx/sessions"),
                new WechatAuthProperties.CircuitBreaker(50, 20, 10, Duration.ofSeconds(10), 3),
                new WechatAuthProperties.Phone(256), new WechatAuthProperties.AccessToken(Duration.ofMinutes(4)),
                identityToken(), new WechatAuthProperties.IdentityHeaders(false), new WechatAuthProperties.Admin(null));
    }

    /** The identity JWT's defaults. */
    static WechatAuthProperties.IdentityToken identityToken() {
        return new WechatAuthProperties.IdentityToken(true, "Authorization", "wechat-auth-gateway",
                Duration.ofMinutes(5), Duration.ofHours(24), null);
    }
}
