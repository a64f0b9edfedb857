package dev.wechatauth.gateway.identitytoken;

import static dev.wechatauth.gateway.rig.ContractAssertions.assertError;
import static dev.wechatauth.gateway.rig.ContractAssertions.assertForwarded;
import static dev.wechatauth.gateway.rig.ContractAssertions.assertIdentity;
import static dev.wechatauth.gateway.rig.IdentityJwt.parse;
import static dev.wechatauth.gateway.rig.IdentityJwt.verified;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

import com.nimbusds.jwt.JWTClaimsSet;
import dev.wechatauth.gateway.rig.Answer;
import dev.wechatauth.gateway.rig.Backends;
import dev.wechatauth.gateway.rig.Gateway;
import dev.wechatauth.gateway.rig.GatewayLauncher;
import dev.wechatauth.gateway.rig.WechatUser;
import dev.wechatauth.testkit.EchoDownstream;
import dev.wechatauth.testkit.WechatEncryptedData;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * docs/reference.md, Identity headers sent downstream and Signed identity for services, with other settings:
 * {@code identity-headers.cloud-run=true} also sends {@code X-WX-OPENID}, {@code X-WX-UNIONID}, {@code X-WX-APPID}
 * with the same values (never another {@code X-WX-*}), and a client's own {@code X-WX-*} never survives, in any
 * letter case or spelling; {@code identity-token.header=X-Identity-Token} carries the bare JWT there, a client's copy
 * of it is removed on every route, and the client's {@code Authorization} is still not forwarded where the gateway sets
 * an identity; {@code identity-token.enabled=false} sends no JWT and serves no JWK Set. Two gateways of their own.
 */
class HeaderChoicesTest {

    private static final String TOKEN_HEADER = "X-Identity-Token";
    private static final String SPOOFED = "spoofed-by-client";

    private static Backends backends;
    private static Gateway cloudRun;
    private static Gateway withoutJwt;
    private static WechatUser user;
    private static String token;

    /** Where a client sends its headers, and whether the gateway sets an identity there. */
    enum Where {
        REQUIRED_ROUTE(Backends.REQUIRED, true, true),
        OPTIONAL_ROUTE_WITHOUT_A_TOKEN(Backends.OPTIONAL, false, false),
        OPTIONAL_ROUTE_WITH_A_TOKEN(Backends.OPTIONAL, true, true),
        PUBLIC_ROUTE_WITH_A_TOKEN(Backends.PUBLIC, true, false),
        FORWARDING_LOGIN_ROUTE("/wx/login-forward", false, true),
        FORWARDING_DECRYPT_ROUTE(Backends.DECRYPT_FORWARD, true, true);

        final String path;
        final boolean sendsToken;
        final boolean setsIdentity;

        Where(String path, boolean sendsToken, boolean setsIdentity) {
            this.path = path;
            this.sendsToken = sendsToken;
            this.setsIdentity = setsIdentity;
        }

        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT).replace('_', ' ');
        }
    }

    @BeforeAll
    static void startGateways() {
        backends = Backends.start();
        cloudRun = GatewayLauncher.on(backends).named("cloud-run names, JWT in " + TOKEN_HEADER)
                .with("wechat.auth.identity-headers.cloud-run=true", "wechat.auth.identity-token.header=" + TOKEN_HEADER)
                .start();
        withoutJwt = GatewayLauncher.on(backends).named("without JWT")
                .with("wechat.auth.identity-token.enabled=false").start();
        user = backends.newUser();
        token = cloudRun.tokenFor(user);
    }

    @AfterAll
    static void stopThem() {
        withoutJwt.close();
        cloudRun.close();
        backends.close();
    }

    @BeforeEach
    void forgetEarlierRequests() {
        backends.forgetRequests();
    }

    static Stream<Arguments> everyRouteAndEverySpoofedHeader() {
        List<String> names = List.of("X-WX-OPENID", "x-wx-openid", "X-Wx-OpenId", "X_WX_OPENID", "x_wx_openid",
                "X-WX-UNIONID", "X_WX_UNIONID", "X-WX-APPID", "x_wx_appid", "X-WX-SOURCE", "X-WX-FROM-OPENID",
                "X-WX-ENV", TOKEN_HEADER, "x-identity-token", "X_Identity_Token");
        return Stream.of(Where.values()).flatMap(where -> names.stream().map(name -> Arguments.of(name, where)));
    }

    @ParameterizedTest(name = "{0} from the client never reaches the service on a {1}")
    @MethodSource("everyRouteAndEverySpoofedHeader")
    void aClientsOwnCloudRunHeaderOrJwtNeverReachesTheService(String name, Where where) {
        EchoDownstream.Received received = assertForwarded(send(where, name + ": " + SPOOFED,
                "Connection: " + TOKEN_HEADER), backends.echo);

        assertThat(received.headers()).as("headers at the service").noneMatch(h -> h.getValue().contains(SPOOFED));
        List<String> cloudRunNames = received.headers().stream().map(h -> h.getKey())
                .filter(key -> key.toLowerCase(Locale.ROOT).replace('_', '-').startsWith("x-wx-")).toList();
        if (where.setsIdentity) {
            assertThat(cloudRunNames).as("Cloud Run's names at the service")
                    .containsExactlyInAnyOrder("X-WX-OPENID", "X-WX-UNIONID", "X-WX-APPID");
            assertThat(received.headerValues("X-WX-OPENID")).containsExactly(user.openid());
            assertThat(received.headerValues("X-WX-UNIONID")).containsExactly(user.unionid());
            assertThat(received.headerValues("X-WX-APPID")).containsExactly(user.appid());
            assertIdentity(received, user);
            assertThat(received.headerValues(TOKEN_HEADER)).as("the JWT at the service").hasSize(1);
            assertThat(received.headerValues("Authorization")).as("the client's Authorization").isEmpty();
        } else {
            assertThat(cloudRunNames).isEmpty();
            assertThat(received.headerValues(TOKEN_HEADER)).isEmpty();
        }
    }

    @Test
    void theBareJwtInItsOwnHeaderVerifiesAndCloudRunsNamesCarryTheSameIdentity() {
        EchoDownstream.Received received = assertForwarded(cloudRun.withToken(token), backends.echo);

        JWTClaimsSet claims = verified(parse(received.header(TOKEN_HEADER)), cloudRun);
        assertThat(claims.getSubject()).isEqualTo(received.header("X-WX-OPENID")).isEqualTo(user.openid());
        assertThat(claims.getClaim("unionid")).isEqualTo(received.header("X-WX-UNIONID"));
        assertThat(claims.getClaim("appid")).isEqualTo(received.header("X-WX-APPID"));
        assertThat(received.headerValues("X-WX-SOURCE")).isEmpty();
    }

    @Test
    void aUserWithoutUnionidGetsNoCloudRunUnionid() {
        WechatUser withoutUnionid = backends.newUser(Backends.FIRST_APPID, false);
        String itsToken = cloudRun.tokenFor(withoutUnionid);
        backends.echo.clear();

        EchoDownstream.Received received = assertForwarded(cloudRun.withToken(itsToken), backends.echo);

        assertThat(received.headerValues("X-WX-OPENID")).containsExactly(withoutUnionid.openid());
        assertThat(received.headerValues("X-WX-UNIONID")).isEmpty();
    }

    @Test
    void withTheJwtOffNoJwtIsSentAndNoJwkSetIsServed() {
        String itsToken = withoutJwt.tokenFor(user);
        backends.echo.clear();

        EchoDownstream.Received received = assertForwarded(withoutJwt.withToken(itsToken), backends.echo);

        assertIdentity(received, user);
        assertThat(received.headerValues("Authorization")).isEmpty();
        assertThat(received.headers()).noneMatch(h -> h.getValue().startsWith("eyJ"));
        assertError(withoutJwt.get("/.well-known/jwks.json"), 404, "not_found");
    }

    private static Answer send(Where where, String... extra) {
        List<String> headers = new ArrayList<>(List.of(extra));
        if (where.sendsToken) {
            headers.add("Authorization: Bearer " + token);
        }
        if (where == Where.FORWARDING_DECRYPT_ROUTE) {
            headers.add("Content-Type: application/json");
            WechatEncryptedData.Sealed sealed = WechatEncryptedData.seal(user.sessionKey(),
                    "{\"a\":1," + WechatEncryptedData.watermark(user.appid()) + "}");
            return cloudRun.raw("POST " + where.path + " HTTP/1.1", ("{\"encryptedData\":\"" + sealed.encryptedData()
                    + "\",\"iv\":\"" + sealed.iv() + "\"}").getBytes(StandardCharsets.UTF_8),
                    headers.toArray(String[]::new));
        }
        if (where == Where.FORWARDING_LOGIN_ROUTE) {
            headers.add("Content-Type: application/json");
            byte[] body = ("{\"code\":\"" + backends.issueCode(user) + "\"}").getBytes(StandardCharsets.UTF_8);
            Answer answer = cloudRun.raw("POST " + where.path + " HTTP/1.1", body, headers.toArray(String[]::new));
            if (answer.header("X-Auth-Token") != null) {
                // each case logs the class's user in again: end that session, so that the user stays under
                // session.max-per-user and the class's token is not the oldest session ended by the limit
                cloudRun.post("/wx/logout", null, "Authorization: Bearer " + answer.header("X-Auth-Token"));
            }
            return answer;
        }
        return cloudRun.raw("GET " + where.path + " HTTP/1.1", headers.toArray(String[]::new));
    }
}
