package dev.wechatauth.gateway.routing;

import static dev.wechatauth.gateway.rig.IdentityJwt.assertIdentityJwt;
import static dev.wechatauth.gateway.rig.Backends.DEFAULT;
import static dev.wechatauth.gateway.rig.Backends.OPTIONAL;
import static dev.wechatauth.gateway.rig.Backends.PUBLIC;
import static dev.wechatauth.gateway.rig.Backends.REQUIRED;
import static dev.wechatauth.gateway.rig.Backends.unknownToken;
import static dev.wechatauth.gateway.rig.ContractAssertions.assertError;
import static dev.wechatauth.gateway.rig.ContractAssertions.assertForwarded;
import static dev.wechatauth.gateway.rig.ContractAssertions.assertIdentity;
import static dev.wechatauth.gateway.rig.ContractAssertions.assertNoIdentity;
import static dev.wechatauth.gateway.rig.ContractAssertions.assertNothingForwarded;
import static org.assertj.core.api.Assertions.assertThat;

import dev.wechatauth.gateway.rig.Answer;
import dev.wechatauth.gateway.rig.Backends;
import dev.wechatauth.gateway.rig.OnTheSharedGateway;
import dev.wechatauth.gateway.rig.WechatUser;
import dev.wechatauth.testkit.EchoDownstream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * docs/reference.md, the policy table of routes.yml: {@code required} (also when {@code auth} is absent),
 * {@code optional} and {@code public}, each with no token, an invalid one and a valid one, as seen by the client and
 * by the service behind the gateway.
 */
class RoutePoliciesTest extends OnTheSharedGateway {

    // ---- required, and a route without metadata.auth ----

    @ParameterizedTest(name = "{0} without a token is 401 missing_token")
    @ValueSource(strings = {REQUIRED, DEFAULT})
    void aRequiredRouteWithoutATokenIsMissingToken(String path) {
        assertError(gateway.get(path), 401, "missing_token");
        assertNothingForwarded(backends.echo);
    }

    @ParameterizedTest(name = "{0} with an unknown token is 401 invalid_token")
    @ValueSource(strings = {REQUIRED, DEFAULT})
    void aRequiredRouteWithAnUnknownTokenIsInvalidToken(String path) {
        assertError(gateway.get(path, "Authorization: Bearer " + unknownToken()), 401, "invalid_token");
        assertNothingForwarded(backends.echo);
    }

    @ParameterizedTest(name = "{0} with a valid token is forwarded with the identity headers and the identity JWT instead"
            + " of the client's Authorization")
    @ValueSource(strings = {REQUIRED, DEFAULT})
    void aRequiredRouteWithAValidTokenIsForwardedWithIdentity(String path) {
        EchoDownstream.Received received = assertForwarded(gateway.get(path, "Authorization: Bearer " + token),
                backends.echo);

        assertIdentity(received, user);
        assertIdentityJwt(received, gateway, user, token, path.equals(REQUIRED) ? "orders" : "default");
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
        assertNothingForwarded(backends.echo);
    }

    @Test
    void anOptionalRouteWithAValidTokenIsForwardedWithIdentity() {
        EchoDownstream.Received received = assertForwarded(gateway.get(OPTIONAL, "Authorization: Bearer " + token),
                backends.echo);

        assertIdentity(received, user);
        assertIdentityJwt(received, gateway, user, token, "catalog");
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
