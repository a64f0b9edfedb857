package dev.wechatauth.contract;

import static dev.wechatauth.contract.ContractAssertions.assertError;
import static dev.wechatauth.contract.ContractAssertions.assertForwarded;
import static dev.wechatauth.contract.ContractAssertions.assertIdentity;
import static dev.wechatauth.contract.ContractAssertions.assertNoIdentity;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;

import dev.wechatauth.testkit.EchoDownstream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Threats against reading the bearer token (CONTRACT.md, "Identity headers sent downstream"): an empty or malformed
 * {@code Bearer} value is 401 {@code invalid_token}, never a pass; the scheme is read in any letter case; two
 * {@code Authorization} headers are 400 {@code invalid_request}; a token in the query string is ignored. Written by
 * hand, so that the header lines reach the gateway exactly as sent.
 */
class AttackBearerTokenTest {

    private static GatewayInstance gateway;
    private static Backends backends;
    private static WechatUser user;
    private static String token;

    @BeforeAll
    static void startGateway() {
        gateway = AttackGateway.get();
        backends = gateway.backends();
        user = backends.newUser();
        token = gateway.tokenFor(user);
    }

    @BeforeEach
    void forgetEarlierRequests() {
        backends.echo.clear();
    }

    @ParameterizedTest(name = "\"Authorization: {0}\" is 401 invalid_token")
    @ValueSource(strings = {"Bearer", "Bearer ", "bearer  ", "Bearer \t"})
    void anEmptyBearerIsInvalidToken(String authorization) {
        Answer answer = gateway.raw("GET " + Backends.REQUIRED + " HTTP/1.1", "Authorization: " + authorization);

        assertError(answer, 401, "invalid_token");
        assertThat(backends.echo.count()).as("requests that reached the service").isZero();
    }

    @Test
    void anEmptyBearerOnAnOptionalRouteIsNotTakenForNoToken() {
        Answer answer = gateway.raw("GET " + Backends.OPTIONAL + " HTTP/1.1", "Authorization: Bearer ");

        assertError(answer, 401, "invalid_token");
        assertThat(backends.echo.count()).as("requests that reached the service").isZero();
    }

    @Test
    void aMalformedBearerIsInvalidToken() {
        String[] malformed = {
                "Bearer abc",
                "Bearer " + token + "x",
                "Bearer " + token.substring(1),
                "Bearer " + token.substring(0, 42) + "+",
                "Bearer " + token.substring(0, 42) + "/",
                "Bearer " + token.substring(0, 42) + "=",
                "Bearer " + token + " " + token,
                "Bearer " + token + ", Bearer " + token,
                "Bearer \"" + token + "\"",
                "Bearer " + "A".repeat(4096)};
        for (String authorization : malformed) {
            Answer answer = gateway.raw("GET " + Backends.REQUIRED + " HTTP/1.1", "Authorization: " + authorization);
            assertError(answer, 401, "invalid_token");
        }
        assertThat(backends.echo.count()).as("requests that reached the service").isZero();
    }

    @ParameterizedTest(name = "the scheme written \"{0}\" is read as Bearer")
    @ValueSource(strings = {"bearer", "BEARER", "bEARER"})
    void aLowerCaseOrOddCaseSchemeIsStillBearer(String scheme) {
        Answer answer = gateway.raw("GET " + Backends.REQUIRED + " HTTP/1.1", "Authorization: " + scheme + " " + token);

        EchoDownstream.Received received = assertForwarded(answer, backends.echo);
        assertIdentity(received, user);
        assertThat(received.headerValues("Authorization")).as("Authorization at the service").isEmpty();
    }

    @Test
    void aSchemeThatOnlyStartsWithBearerIsNoToken() {
        Answer answer = gateway.raw("GET " + Backends.REQUIRED + " HTTP/1.1", "Authorization: Bearer_" + token);

        assertError(answer, 401, "missing_token");
        assertThat(backends.echo.count()).as("requests that reached the service").isZero();
    }

    @Test
    void twoAuthorizationHeadersAreInvalidRequest() {
        Answer sameToken = gateway.raw("GET " + Backends.REQUIRED + " HTTP/1.1",
                "Authorization: Bearer " + token, "Authorization: Bearer " + token);
        Answer validThenOther = gateway.raw("GET " + Backends.OPTIONAL + " HTTP/1.1",
                "Authorization: Bearer " + token, "authorization: Basic dXNlcjpwYXNz");
        Answer otherThenValid = gateway.raw("GET " + Backends.REQUIRED + " HTTP/1.1",
                "AUTHORIZATION: Basic dXNlcjpwYXNz", "Authorization: Bearer " + token);

        assertError(sameToken, 400, "invalid_request");
        assertError(validThenOther, 400, "invalid_request");
        assertError(otherThenValid, 400, "invalid_request");
        assertThat(backends.echo.count()).as("requests that reached the service").isZero();
    }

    @Test
    void twoAuthorizationHeadersOnTheLoginRouteAreInvalidRequest() {
        String code = backends.issueCode(backends.newUser());
        backends.wechat.resetCounters();

        Answer answer = gateway.raw("POST /wx/login-forward HTTP/1.1",
                ("{\"code\":\"" + code + "\"}").getBytes(StandardCharsets.UTF_8),
                "Content-Type: application/json", "Authorization: Bearer " + token, "Authorization: Bearer " + token);

        assertError(answer, 400, "invalid_request");
        assertThat(backends.echo.count()).as("requests that reached the service").isZero();
        assertThat(backends.wechat.calls(code)).as("calls to WeChat").isZero();
    }

    @ParameterizedTest(name = "a token only in the query string (?{0}=…) is ignored")
    @ValueSource(strings = {"access_token", "token", "authorization", "bearer"})
    void aTokenOnlyInTheQueryStringIsIgnored(String parameter) {
        Answer required = gateway.raw("GET " + Backends.REQUIRED + "?" + parameter + "=" + token + " HTTP/1.1");
        Answer optional = gateway.raw("GET " + Backends.OPTIONAL + "?" + parameter + "=" + token + " HTTP/1.1");

        assertError(required, 401, "missing_token");
        EchoDownstream.Received received = assertForwarded(optional, backends.echo);
        assertNoIdentity(received);
    }

    @Test
    void theTokenIsNotForwardedToTheServiceOnAnOptionalRoute() {
        Answer answer = gateway.raw("GET " + Backends.OPTIONAL + " HTTP/1.1", "Authorization: bearer " + token);

        EchoDownstream.Received received = assertForwarded(answer, backends.echo);
        assertIdentity(received, user);
        assertThat(received.headerValues("Authorization")).as("Authorization at the service").isEmpty();
        assertThat(received.headers()).as("headers at the service").noneMatch(h -> h.getValue().contains(token));
    }
}
