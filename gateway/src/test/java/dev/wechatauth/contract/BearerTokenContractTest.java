package dev.wechatauth.contract;

import static dev.wechatauth.contract.Backends.OPTIONAL;
import static dev.wechatauth.contract.Backends.REQUIRED;
import static dev.wechatauth.contract.ContractAssertions.assertError;
import static dev.wechatauth.contract.ContractAssertions.assertForwarded;
import static dev.wechatauth.contract.ContractAssertions.assertIdentity;
import static dev.wechatauth.contract.ContractAssertions.assertNoIdentity;
import static org.assertj.core.api.Assertions.assertThat;

import dev.wechatauth.testkit.EchoDownstream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * CONTRACT.md, "Identity headers sent downstream", on reading the token: {@code Authorization: Bearer <token>},
 * scheme in any letter case; another scheme is no token; {@code Bearer} with an empty or malformed value is
 * {@code invalid_token}; two {@code Authorization} headers are {@code invalid_request}; the query string is ignored.
 */
class BearerTokenContractTest {

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

    @ParameterizedTest(name = "the scheme written {0} is read as Bearer")
    @ValueSource(strings = {"Bearer", "bearer", "BEARER", "bEaReR"})
    void theBearerSchemeIsReadInAnyLetterCase(String scheme) {
        Answer answer = gateway.get(REQUIRED, "Authorization: " + scheme + " " + token);

        EchoDownstream.Received received = assertForwarded(answer, backends.echo);
        assertIdentity(received, user);
        assertThat(received.headerValues("Authorization")).isEmpty();
    }

    @ParameterizedTest(name = "Authorization: {0} on a required route is 401 missing_token")
    @ValueSource(strings = {"Basic dXNlcjpwYXNz", "Digest username=\"u\"", "Token abc", "Bearerx abc"})
    void anotherSchemeOnARequiredRouteIsMissingToken(String authorization) {
        assertError(gateway.get(REQUIRED, "Authorization: " + authorization), 401, "missing_token");
        assertThat(backends.echo.count()).as("requests that reached the service").isZero();
    }

    @Test
    void basicOnAnOptionalRouteIsForwardedWithoutIdentityAndWithoutTheHeader() {
        EchoDownstream.Received received = assertForwarded(
                gateway.get(OPTIONAL, "Authorization: Basic dXNlcjpwYXNz"), backends.echo);

        assertNoIdentity(received);
        assertThat(received.headerValues("Authorization")).isEmpty();
    }

    @ParameterizedTest(name = "\"Authorization: {0}\" is 401 invalid_token")
    @ValueSource(strings = {"Bearer", "Bearer ", "bearer    ", "Bearer abc", "Bearer not a token", "Bearer a.b.c",
            "Bearer ====", "Bearer %s!", "Bearer %sx", "Bearer %s %s"})
    void bearerWithAnEmptyOrMalformedValueIsInvalidToken(String template) {
        String authorization = template.replace("%s", token);

        Answer onRequired = gateway.raw("GET " + REQUIRED + " HTTP/1.1", "Authorization: " + authorization);
        Answer onOptional = gateway.raw("GET " + OPTIONAL + " HTTP/1.1", "Authorization: " + authorization);

        assertError(onRequired, 401, "invalid_token");
        assertError(onOptional, 401, "invalid_token");
        assertThat(backends.echo.count()).as("requests that reached the service").isZero();
    }

    @ParameterizedTest(name = "two Authorization headers on {0} are 400 invalid_request")
    @ValueSource(strings = {REQUIRED, OPTIONAL, "/wx/session"})
    void twoAuthorizationHeadersAreAnInvalidRequest(String path) {
        Answer answer = gateway.raw("GET " + path + " HTTP/1.1",
                "Authorization: Bearer " + token, "Authorization: Bearer " + token);

        assertError(answer, 400, "invalid_request");
        assertThat(backends.echo.count()).as("requests that reached the service").isZero();
    }

    @Test
    void twoAuthorizationHeadersOfDifferentLetterCaseAreAnInvalidRequest() {
        Answer answer = gateway.raw("GET " + REQUIRED + " HTTP/1.1",
                "Authorization: Bearer " + token, "authorization: Basic dXNlcjpwYXNz");

        assertError(answer, 400, "invalid_request");
        assertThat(backends.echo.count()).as("requests that reached the service").isZero();
    }

    @Test
    void aTokenInTheQueryStringIsIgnoredOnARequiredRoute() {
        assertError(gateway.get(REQUIRED + "?access_token=" + token), 401, "missing_token");
        assertThat(backends.echo.count()).as("requests that reached the service").isZero();
    }

    @Test
    void aTokenInTheQueryStringIsIgnoredOnAnOptionalRoute() {
        EchoDownstream.Received received = assertForwarded(gateway.get(OPTIONAL + "?access_token=" + token),
                backends.echo);

        assertNoIdentity(received);
    }
}
