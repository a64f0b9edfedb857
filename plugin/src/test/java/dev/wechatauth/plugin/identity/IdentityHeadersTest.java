package dev.wechatauth.plugin.identity;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wechatauth.plugin.session.Session;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.http.HttpHeaders;

class IdentityHeadersTest {

    @ParameterizedTest
    @ValueSource(strings = {"X-OpenId", "x-openid", "X_OpenId", "x_openid", "X-OPENID", "X_OPENID", "x-OpenID",
            "X-UnionId", "x-unionid", "X_UNIONID", "x_UnionId", "X-AppId", "x-appid", "X_APPID", "x_AppId",
            "X-WX-OPENID", "X-WX-APPID", "X-WX-UNIONID", "X-WX-SOURCE", "x-wx-anything", "x_wx_source", "X_Wx-OpenId",
            "X-Wx_Env", "x-wx-x", "X-Phone-Number", "x-phone-number", "X_PHONE_NUMBER", "x_Phone-Number",
            "X-Pure-Phone-Number", "x_pure_phone_number", "X-PURE-PHONE-NUMBER", "X-Phone-Country-Code",
            "x_phone_country_code", "X-Phone-Anything", "x-phone-x"})
    void isIdentityLikeWhenAnIdentityNameOrLookAlikeThenTrue(String name) {
        assertThat(IdentityHeaders.isIdentityLike(name)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"X-OpenIdentity", "X-Open-Id", "X-OpenIds", "XX-OpenId", "OpenId", "X-AppIdentity",
            "X-UnionIdx", "X-Request-Id", "X-Forwarded-For", "Authorization", "X-WX", "X-WXOPENID", "X-Auth-Token",
            "Content-Type", "X-Open_Id", "Y-OpenId", "X-Phone", "X-Phones", "X-PhoneNumber", "X-Pure-Phone",
            "X-Pure-Phone-Numbers", "Phone-Number", "X-Telephone-Number"})
    void isIdentityLikeWhenAnotherNameThenFalse(String name) {
        assertThat(IdentityHeaders.isIdentityLike(name)).isFalse();
    }

    @Test
    void removeFromWhenSpoofedInEveryFormThenRemovesEveryCopyAndKeepsTheRest() {
        HttpHeaders headers = new HttpHeaders();
        headers.add("X-OpenId", "spoof-1");
        headers.add("X-OpenId", "spoof-2");
        headers.add("x-openid", "spoof-3");
        headers.add("X_OpenId", "spoof-4");
        headers.add("x_openid", "spoof-5");
        headers.add("X-UNIONID", "spoof-6");
        headers.add("x_appid", "spoof-7");
        headers.add("X-WX-OPENID", "spoof-8");
        headers.add("x-wx-source", "spoof-9");
        headers.add("X-Phone-Number", "spoof-10");
        headers.add("x_pure_phone_number", "spoof-11");
        headers.add("X-PHONE-COUNTRY-CODE", "spoof-12");
        headers.add("x-phone-number", "spoof-13");
        headers.add("X-Request-Id", "req-1");
        headers.add("X-OpenIdentity", "kept");
        headers.add("X-Open-Id", "kept-too");

        assertThat(IdentityHeaders.anyIn(headers)).isTrue();
        IdentityHeaders.removeFrom(headers);

        assertThat(IdentityHeaders.anyIn(headers)).isFalse();
        assertThat(headers.headerNames()).containsExactlyInAnyOrder("X-Request-Id", "X-OpenIdentity", "X-Open-Id");
        assertThat(headers.get("X-Request-Id")).containsExactly("req-1");
        assertThat(headers.toString()).doesNotContain("spoof");
    }

    @Test
    void anyInWhenNoIdentityLikeHeaderThenFalse() {
        HttpHeaders headers = new HttpHeaders();
        headers.add("X-Request-Id", "1");
        headers.add("Accept", "*/*");

        assertThat(IdentityHeaders.anyIn(headers)).isFalse();
        IdentityHeaders.removeFrom(headers);
        assertThat(headers.size()).isEqualTo(2);
    }

    @Test
    void setWhenSessionHasUnionidThenAllThreeHeadersOnce() {
        HttpHeaders headers = new HttpHeaders();

        IdentityHeaders.set(headers, new Session("o_1", "u_1", "wx_app", "key", 1L, 0L, 0L, null));

        assertThat(headers.get("X-OpenId")).containsExactly("o_1");
        assertThat(headers.get("X-UnionId")).containsExactly("u_1");
        assertThat(headers.get("X-AppId")).containsExactly("wx_app");
        assertThat(headers.size()).isEqualTo(3);
        assertThat(headers.toString()).doesNotContain("key");
    }

    @Test
    void setWhenSessionHasNoUnionidThenNoUnionIdHeader() {
        HttpHeaders headers = new HttpHeaders();

        IdentityHeaders.set(headers, new Session("o_1", null, "wx_app", "key", 1L, 0L, 0L, null));

        assertThat(headers.get("X-OpenId")).containsExactly("o_1");
        assertThat(headers.get("X-AppId")).containsExactly("wx_app");
        assertThat(headers.containsHeader("X-UnionId")).isFalse();
    }

    @Test
    void setWhenAValueWasAlreadyThereThenReplacesIt() {
        HttpHeaders headers = new HttpHeaders();
        headers.add("x-openid", "spoof");
        headers.add("X-OpenId", "spoof-2");

        IdentityHeaders.set(headers, new Session("o_1", null, "wx_app", "key", 1L, 0L, 0L, null));

        assertThat(headers.get("X-OpenId")).containsExactly("o_1");
    }

    @Test
    void removeFromConnectionWhenItNamesIdentityHeadersThenOnlyThoseNamesGo() {
        HttpHeaders headers = new HttpHeaders();
        headers.add(HttpHeaders.CONNECTION, "keep-alive, X-OpenId");
        headers.add(HttpHeaders.CONNECTION, "x_appid,X-WX-OPENID , X-Trace, X-Phone-Number,x_pure_phone_number");

        IdentityHeaders.removeFromConnection(headers);

        assertThat(headers.get(HttpHeaders.CONNECTION)).containsExactly("keep-alive, X-Trace");
    }

    @Test
    void removeFromConnectionWhenItNamesOnlyIdentityHeadersThenTheHeaderGoes() {
        HttpHeaders headers = new HttpHeaders();
        headers.add(HttpHeaders.CONNECTION, "X-OpenId, X-UnionId, X-AppId");

        IdentityHeaders.removeFromConnection(headers);

        assertThat(headers.containsHeader(HttpHeaders.CONNECTION)).isFalse();
    }

    @Test
    void removeFromConnectionWhenItNamesNoIdentityHeaderThenItIsLeftAsSent() {
        HttpHeaders headers = new HttpHeaders();
        headers.add(HttpHeaders.CONNECTION, "keep-alive,Upgrade");

        IdentityHeaders.removeFromConnection(headers);

        assertThat(headers.get(HttpHeaders.CONNECTION)).containsExactly("keep-alive,Upgrade");
    }
}
