package dev.wechatauth.plugin.identity;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;

import dev.wechatauth.plugin.identitytoken.IdentityKeys;
import dev.wechatauth.plugin.identitytoken.IdentityTokens;
import dev.wechatauth.plugin.identitytoken.PublishedKeys;
import dev.wechatauth.plugin.identitytoken.SigningKey;
import dev.wechatauth.plugin.identitytoken.SigningKeys;
import dev.wechatauth.plugin.routing.RoutePolicy;
import dev.wechatauth.plugin.routing.RouteTarget;
import dev.wechatauth.plugin.session.Session;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpHeaders;

class DownstreamIdentityTest {

    private static final Session SESSION = new Session("o_user", "u_user", "wx_app", "c2Vzc2lvbktleQ==", 1L, 0L, 0L, null);
    private static final Session WITHOUT_UNIONID = new Session("o_user", null, "wx_app", "c2Vzc2lvbktleQ==", 1L, 0L, 0L, null);
    private static final String TOKEN = "T".repeat(43);
    private static final RouteTarget ORDERS = new RouteTarget("orders", RoutePolicy.REQUIRED, false);

    private final IdentityTokens tokens = tokens();

    @Test
    void identifyWhenTheJwtGoesInAuthorizationThenItReplacesTheClientsBearerToken() {
        HttpHeaders headers = new HttpHeaders();
        headers.set("authorization", "Bearer " + TOKEN);

        new DownstreamIdentity(tokens, "Authorization", false).identify(headers, SESSION, TOKEN, ORDERS);

        assertThat(headers.get("Authorization")).singleElement()
                .satisfies(value -> assertThat(value).startsWith("Bearer eyJ").doesNotContain(TOKEN));
        assertThat(headers.getFirst(IdentityHeaders.OPEN_ID)).isEqualTo("o_user");
        assertThat(headers.headerNames()).noneMatch(name -> name.toLowerCase().startsWith("x-wx-"));
    }

    @Test
    void identifyWhenTheJwtHasAHeaderOfItsOwnThenTheBareJwtAndNoClientCopyOrConnectionTrick() {
        HttpHeaders headers = new HttpHeaders();
        headers.set("Authorization", "Bearer " + TOKEN);
        headers.add("x-identity-token", "forged");
        headers.add("X_Identity_Token", "forged");
        headers.set("Connection", "keep-alive, X-Identity-Token");

        new DownstreamIdentity(tokens, "X-Identity-Token", false).identify(headers, SESSION, TOKEN, ORDERS);

        assertThat(headers.get("X-Identity-Token")).singleElement()
                .satisfies(value -> assertThat(value).startsWith("eyJ"));
        assertThat(headers.containsHeader("X_Identity_Token")).isFalse();
        assertThat(headers.containsHeader("Authorization")).isFalse();
        assertThat(headers.getFirst("Connection")).isEqualTo("keep-alive");
    }

    @Test
    void identifyWhenCloudRunNamesAreAskedForThenTheSameValuesUnderThemAndNothingElseOfCloudRun() {
        HttpHeaders headers = new HttpHeaders();
        headers.set("X-WX-OPENID", "forged");
        headers.set("X-WX-SOURCE", "forged");

        new DownstreamIdentity(null, "Authorization", true).identify(headers, WITHOUT_UNIONID, TOKEN, ORDERS);

        assertThat(headers.get("X-WX-OPENID")).containsExactly("o_user");
        assertThat(headers.get("X-WX-APPID")).containsExactly("wx_app");
        assertThat(headers.containsHeader("X-WX-UNIONID")).isFalse();
        assertThat(headers.containsHeader("X-WX-SOURCE")).isFalse();
        assertThat(headers.containsHeader("Authorization")).isFalse();
    }

    @Test
    void removeLookAlikesWhenAPublicRouteThenTheClientsAuthorizationStaysAndAnotherJwtHeaderGoes() {
        HttpHeaders headers = new HttpHeaders();
        headers.set("Authorization", "Bearer " + TOKEN);
        headers.set("x_identity_token", "forged");
        DownstreamIdentity identity = new DownstreamIdentity(tokens, "X-Identity-Token", false);

        assertThat(identity.anyToRemove(headers)).isTrue();
        identity.removeLookAlikes(headers);

        assertThat(headers.getFirst("Authorization")).isEqualTo("Bearer " + TOKEN);
        assertThat(headers.containsHeader("x_identity_token")).isFalse();
        assertThat(identity.anyToRemove(headers)).isFalse();
    }

    private static IdentityTokens tokens() {
        Clock clock = Clock.systemUTC();
        IdentityKeys keys = new IdentityKeys(SigningKeys.configured(SigningKey.generate(), clock.instant(),
                Duration.ofMinutes(5), Duration.ofMinutes(1)), new PublishedKeys(null, "unused", Duration.ofSeconds(1)),
                null, clock, Duration.ofSeconds(30), Duration.ofSeconds(2));
        return new IdentityTokens(keys, "iss", Duration.ofMinutes(5), 100, clock);
    }
}
