package dev.wechatauth.gateway.identity;

import static dev.wechatauth.gateway.rig.ContractAssertions.valuesNamedLike;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

import dev.wechatauth.gateway.rig.Answer;
import dev.wechatauth.gateway.rig.Backends;
import dev.wechatauth.gateway.rig.OnTheSharedGateway;
import dev.wechatauth.testkit.EchoDownstream;
import dev.wechatauth.testkit.WechatEncryptedData;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * docs/reference.md, Identity headers sent downstream: on every route, whatever its policy, identity headers the client
 * sent are removed (any letter case, any count, {@code _} for {@code -}, every {@code X-WX-*}, every {@code X-Phone-*}
 * and {@code X-Pure-Phone-Number}); only then are the gateway's own values set (on a {@code phone} route, the phone
 * number's too). The requests are written by hand so that the header names reach the gateway exactly as
 * an attacker would send them.
 */
class SpoofedIdentityHeadersTest extends OnTheSharedGateway {

    private static final String SPOOFED = "spoofed-by-client";
    private static final String PHONE_NUMBER = "+8613800138000";
    private static final String PURE_PHONE_NUMBER = "13800138000";
    private static final String COUNTRY_CODE = "86";

    /** Where the spoofed headers are sent, and whether the gateway sets an identity there. */
    enum Where {
        REQUIRED_ROUTE_WITH_A_VALID_TOKEN(Backends.REQUIRED, true, true),
        ROUTE_WITHOUT_POLICY_WITH_A_VALID_TOKEN(Backends.DEFAULT, true, true),
        OPTIONAL_ROUTE_WITHOUT_A_TOKEN(Backends.OPTIONAL, false, false),
        OPTIONAL_ROUTE_WITH_A_VALID_TOKEN(Backends.OPTIONAL, true, true),
        PUBLIC_ROUTE_WITHOUT_A_TOKEN(Backends.PUBLIC, false, false),
        PUBLIC_ROUTE_WITH_A_VALID_TOKEN(Backends.PUBLIC, true, false),
        FORWARDING_LOGIN_ROUTE("/wx/login-forward", false, true),
        FORWARDING_PHONE_ROUTE(Backends.PHONE_FORWARD, true, true),
        FORWARDING_DECRYPT_ROUTE(Backends.DECRYPT_FORWARD, true, true);

        final String path;
        final boolean sendsToken;
        final boolean setsIdentity;

        Where(String path, boolean sendsToken, boolean setsIdentity) {
            this.path = path;
            this.sendsToken = sendsToken;
            this.setsIdentity = setsIdentity;
        }

        boolean setsPhone() {
            return this == FORWARDING_PHONE_ROUTE;
        }

        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT).replace('_', ' ');
        }
    }

    /** The header names a client may try, each alone or in the combination named. */
    static List<List<String>> spoofedHeaders() {
        List<List<String>> sets = new ArrayList<>();
        for (String name : List.of("X-OpenId", "x-openid", "X-OPENID", "X_OpenId", "x_openid", "X-UnionId", "x-unionid",
                "X_UnionId", "X-AppId", "X-APPID", "X_AppId", "X-WX-OPENID", "X-WX-APPID", "X-WX-UNIONID", "X-WX-SOURCE",
                "x-wx-anything", "X_WX_OPENID", "x_wx_env", "X-Phone-Number", "x_phone_number", "X-PHONE-NUMBER",
                "X-Pure-Phone-Number", "x_pure_phone_number", "X-Phone-Country-Code", "X_Phone_Country_Code",
                "X-Phone-Anything")) {
            sets.add(List.of(name));
        }
        sets.add(List.of("X-OpenId", "X-OpenId"));
        sets.add(List.of("X-OpenId", "x-openid", "X-OPENID", "X_OpenId"));
        sets.add(List.of("X-AppId", "X-AppId", "x_appid"));
        sets.add(List.of("X-Phone-Number", "x-phone-number", "X_PHONE_NUMBER", "X-Pure-Phone-Number"));
        return sets;
    }

    static Stream<Arguments> everyRouteAndEverySpoofedHeader() {
        return Stream.of(Where.values()).flatMap(where -> spoofedHeaders().stream()
                .map(names -> Arguments.of(String.join(" + ", names), where, names)));
    }

    @ParameterizedTest(name = "{0} never reaches the service on a {1}")
    @MethodSource("everyRouteAndEverySpoofedHeader")
    void aClientSentIdentityHeaderNeverReachesTheService(String description, Where where, List<String> names) {
        List<String> headers = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            headers.add(names.get(i) + ": " + SPOOFED + "-" + i);
        }
        Answer answer = send(where, headers);
        if (where == Where.FORWARDING_LOGIN_ROUTE && answer.header("X-Auth-Token") != null) {
            // each case logs the class's user in again: end that session, so that the user stays under
            // session.max-per-user and the class's token is not the oldest session ended by the limit
            gateway.post("/wx/logout", null, "Authorization: Bearer " + answer.header("X-Auth-Token"));
        }

        assertThat(answer.status()).as("%s", answer).isEqualTo(200);
        assertThat(backends.echo.count()).as("requests that reached the service").isEqualTo(1);
        EchoDownstream.Received received = backends.echo.last();
        assertThat(received.headerValues("X-Trace")).as("an ordinary header at the service").containsExactly("kept");
        assertThat(received.headers()).as("headers at the service")
                .noneMatch(h -> h.getValue().contains(SPOOFED));
        for (String name : names) {
            String normalized = name.replace('_', '-').toLowerCase(Locale.ROOT);
            String gatewaysValue = !where.setsIdentity ? null : switch (normalized) {
                case "x-openid" -> user.openid();
                case "x-unionid" -> user.unionid();
                case "x-appid" -> user.appid();
                case "x-phone-number" -> where.setsPhone() ? PHONE_NUMBER : null;
                case "x-pure-phone-number" -> where.setsPhone() ? PURE_PHONE_NUMBER : null;
                case "x-phone-country-code" -> where.setsPhone() ? COUNTRY_CODE : null;
                default -> null;
            };
            if (gatewaysValue == null) {
                assertThat(received.hasHeaderNamedLike(name)).as("%s at the service: %s", name, received.headers())
                        .isFalse();
            } else {
                assertThat(valuesNamedLike(received, name)).as("%s at the service", name).containsExactly(gatewaysValue);
            }
        }
        if (where.setsIdentity) {
            assertThat(valuesNamedLike(received, "X-OpenId")).as("X-OpenId at the service")
                    .containsExactly(user.openid());
        }
    }

    private static Answer send(Where where, List<String> spoofed) {
        List<String> headers = new ArrayList<>(spoofed);
        headers.add("X-Trace: kept");
        if (where.sendsToken) {
            headers.add("Authorization: Bearer " + token);
        }
        if (where == Where.FORWARDING_PHONE_ROUTE) {
            headers.add("Content-Type: application/json");
            String code = backends.issuePhoneCode(user.appid(), PHONE_NUMBER, PURE_PHONE_NUMBER, COUNTRY_CODE);
            return gateway.raw("POST " + where.path + " HTTP/1.1",
                    ("{\"code\":\"" + code + "\"}").getBytes(StandardCharsets.UTF_8), headers.toArray(String[]::new));
        }
        if (where == Where.FORWARDING_DECRYPT_ROUTE) {
            headers.add("Content-Type: application/json");
            WechatEncryptedData.Sealed sealed = WechatEncryptedData.seal(user.sessionKey(),
                    "{\"a\":1," + WechatEncryptedData.watermark(user.appid()) + "}");
            return gateway.raw("POST " + where.path + " HTTP/1.1", ("{\"encryptedData\":\"" + sealed.encryptedData()
                    + "\",\"iv\":\"" + sealed.iv() + "\"}").getBytes(StandardCharsets.UTF_8),
                    headers.toArray(String[]::new));
        }
        if (where == Where.FORWARDING_LOGIN_ROUTE) {
            headers.add("Content-Type: application/json");
            byte[] body = ("{\"code\":\"" + backends.issueCode(user) + "\"}").getBytes(StandardCharsets.UTF_8);
            return gateway.raw("POST " + where.path + " HTTP/1.1", body, headers.toArray(String[]::new));
        }
        return gateway.raw("GET " + where.path + " HTTP/1.1", headers.toArray(String[]::new));
    }
}
