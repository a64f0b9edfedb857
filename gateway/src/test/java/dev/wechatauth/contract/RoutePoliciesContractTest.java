package dev.wechatauth.contract;

import static dev.wechatauth.contract.Backends.DEFAULT;
import static dev.wechatauth.contract.Backends.OPTIONAL;
import static dev.wechatauth.contract.Backends.PUBLIC;
import static dev.wechatauth.contract.Backends.REQUIRED;
import static dev.wechatauth.contract.ContractAssertions.assertError;
import static dev.wechatauth.contract.ContractAssertions.assertForwarded;
import static dev.wechatauth.contract.ContractAssertions.assertIdentity;
import static dev.wechatauth.contract.ContractAssertions.assertNoIdentity;
import static org.assertj.core.api.Assertions.assertThat;

import java.security.SecureRandom;
import java.util.Base64;

import dev.wechatauth.testkit.EchoDownstream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * CONTRACT.md, the policy table of "routes.yml": {@code required} (also when {@code auth} is absent),
 * {@code optional} and {@code public}, each with no token, an invalid one and a valid one, as seen by the client and
 * by the service behind the gateway.
 */
class RoutePoliciesContractTest {

    private static GatewayInstance gateway;
    private static Backends backends;
    private static WechatUser user;
    private static String token;

    @BeforeAll
    static void startGateway() {
        gateway = SharedGateway.get();
        backends = gateway.backends();
        user = backends.newUser();
        token = gateway.tokenFor(user);
    }

    @BeforeEach
    void forgetEarlierRequests() {
        backends.echo.clear();
    }

    /** A token of the gateway's shape that it never issued. */
    static String unknownToken() {
        byte[] bytes = new byte[32];
        new SecureRandom().nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    // ---- required, and a route without metadata.auth ----

    @ParameterizedTest(name = "{0} without a token is 401 missing_token")
    @ValueSource(strings = {REQUIRED, DEFAULT})
    void aRequiredRouteWithoutATokenIsMissingToken(String path) {
        assertError(gateway.get(path), 401, "missing_token");
        assertThat(backends.echo.count()).as("requests that reached the service").isZero();
    }

    @ParameterizedTest(name = "{0} with an unknown token is 401 invalid_token")
    @ValueSource(strings = {REQUIRED, DEFAULT})
    void aRequiredRouteWithAnUnknownTokenIsInvalidToken(String path) {
        assertError(gateway.get(path, "Authorization: Bearer " + unknownToken()), 401, "invalid_token");
        assertThat(backends.echo.count()).as("requests that reached the service").isZero();
    }

    @ParameterizedTest(name = "{0} with a valid token is forwarded with the identity headers and without Authorization")
    @ValueSource(strings = {REQUIRED, DEFAULT})
    void aRequiredRouteWithAValidTokenIsForwardedWithIdentity(String path) {
        EchoDownstream.Received received = assertForwarded(gateway.get(path, "Authorization: Bearer " + token),
                backends.echo);

        assertIdentity(received, user);
        assertThat(received.headerValues("Authorization")).isEmpty();
        assertThat(received.path()).isEqualTo(path);
    }

    @Test
    void aUserWithoutUnionidIsForwardedWithoutXUnionId() {
        WechatUser noUnionid = backends.newUser(Backends.FIRST_APPID, false);
        String itsToken = gateway.tokenFor(noUnionid);

        EchoDownstream.Received received = assertForwarded(gateway.get(REQUIRED, "Authorization: Bearer " + itsToken),
                backends.echo);

        assertIdentity(received, noUnionid);
        assertThat(received.hasHeaderNamedLike("X-UnionId")).isFalse();
    }

    @Test
    void aUserOfTheSecondMiniProgramIsForwardedWithItsAppid() {
        WechatUser second = backends.newUser(Backends.SECOND_APPID, true);
        String itsToken = gateway.tokenFor(second);

        assertIdentity(assertForwarded(gateway.get(REQUIRED, "Authorization: Bearer " + itsToken), backends.echo),
                second);
    }

    @Test
    void aRequiredRouteForwardsMethodQueryAndBodyAlongWithTheIdentity() {
        Answer answer = gateway.post(REQUIRED + "?page=2&sort=desc", "{\"item\":42}",
                "Authorization: Bearer " + token, "Content-Type: application/json");

        EchoDownstream.Received received = assertForwarded(answer, backends.echo);
        assertThat(received.method()).isEqualTo("POST");
        assertThat(received.rawQuery()).isEqualTo("page=2&sort=desc");
        assertThat(received.body()).isEqualTo("{\"item\":42}");
        assertIdentity(received, user);
    }

    // ---- optional ----

    @Test
    void anOptionalRouteWithoutATokenIsForwardedWithoutIdentity() {
        EchoDownstream.Received received = assertForwarded(gateway.get(OPTIONAL), backends.echo);

        assertNoIdentity(received);
    }

    @Test
    void anOptionalRouteWithAnUnknownTokenIsInvalidToken() {
        assertError(gateway.get(OPTIONAL, "Authorization: Bearer " + unknownToken()), 401, "invalid_token");
        assertThat(backends.echo.count()).as("requests that reached the service").isZero();
    }

    @Test
    void anOptionalRouteWithAValidTokenIsForwardedWithIdentity() {
        EchoDownstream.Received received = assertForwarded(gateway.get(OPTIONAL, "Authorization: Bearer " + token),
                backends.echo);

        assertIdentity(received, user);
        assertThat(received.headerValues("Authorization")).isEmpty();
    }

    // ---- public ----

    @Test
    void aPublicRouteWithoutATokenIsForwardedAsSent() {
        Answer answer = gateway.get(PUBLIC + "?q=1", "X-Trace: t-1");

        EchoDownstream.Received received = assertForwarded(answer, backends.echo);
        assertNoIdentity(received);
        assertThat(received.rawQuery()).isEqualTo("q=1");
        assertThat(received.headerValues("X-Trace")).containsExactly("t-1");
    }

    @Test
    void aPublicRouteWithAnUnknownTokenIsForwardedWithItsAuthorizationUntouched() {
        String unknown = unknownToken();

        EchoDownstream.Received received = assertForwarded(gateway.get(PUBLIC, "Authorization: Bearer " + unknown),
                backends.echo);

        assertNoIdentity(received);
        assertThat(received.headerValues("Authorization")).containsExactly("Bearer " + unknown);
    }

    @Test
    void aPublicRouteWithAValidTokenIsForwardedWithoutIdentityAndWithItsAuthorization() {
        EchoDownstream.Received received = assertForwarded(gateway.get(PUBLIC, "Authorization: Bearer " + token),
                backends.echo);

        assertNoIdentity(received);
        assertThat(received.headerValues("Authorization")).containsExactly("Bearer " + token);
    }

    @Test
    void aPublicRouteLeavesAnotherAuthorizationSchemeAlone() {
        EchoDownstream.Received received = assertForwarded(gateway.get(PUBLIC, "Authorization: Basic dXNlcjpwYXNz"),
                backends.echo);

        assertThat(received.headerValues("Authorization")).containsExactly("Basic dXNlcjpwYXNz");
    }
}
