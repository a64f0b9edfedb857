package dev.wechatauth.gateway.identity;

import static dev.wechatauth.gateway.rig.IdentityJwt.assertIdentityJwt;
import static dev.wechatauth.gateway.rig.Backends.OPTIONAL;
import static dev.wechatauth.gateway.rig.Backends.REQUIRED;
import static dev.wechatauth.gateway.rig.ContractAssertions.assertError;
import static dev.wechatauth.gateway.rig.ContractAssertions.assertForwarded;
import static dev.wechatauth.gateway.rig.ContractAssertions.assertIdentity;
import static dev.wechatauth.gateway.rig.ContractAssertions.assertNoIdentity;
import static dev.wechatauth.gateway.rig.ContractAssertions.assertNothingForwarded;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;

import dev.wechatauth.gateway.rig.Answer;
import dev.wechatauth.gateway.rig.OnTheSharedGateway;
import dev.wechatauth.testkit.EchoDownstream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * docs/reference.md, Identity headers sent downstream, on reading the token: {@code Authorization: Bearer <token>},
 * scheme in any letter case; another scheme is no token; {@code Bearer} with an empty or malformed value is
 * {@code invalid_token}, never a pass; two {@code Authorization} headers are {@code invalid_request}; the query string
 * is ignored. Written by hand, so that the header lines reach the gateway exactly as sent.
 */
class BearerTokenParsingTest extends OnTheSharedGateway {

    @ParameterizedTest(name = "the scheme written {0} is read as Bearer")
    @ValueSource(strings = {"Bearer", "bearer", "BEARER", "bEaReR", "bEARER"})
    void theBearerSchemeIsReadInAnyLetterCase(String scheme) {
        Answer answer = gateway.get(REQUIRED, "Authorization: " + scheme + " " + token);

        EchoDownstream.Received received = assertForwarded(answer, backends.echo);
        assertIdentity(received, user);
        assertIdentityJwt(received, gateway, user, token, "orders");
        assertThat(received.headers()).as("headers at the service").noneMatch(h -> h.getValue().contains(token));
    }

    @ParameterizedTest(name = "Authorization: {0} on a required route is 401 missing_token")
    @ValueSource(strings = {"Basic dXNlcjpwYXNz", "Digest username=\"u\"", "Token abc", "Bearerx abc"})
    void anotherSchemeOnARequiredRouteIsMissingToken(String authorization) {
        assertError(gateway.get(REQUIRED, "Authorization: " + authorization), 401, "missing_token");
        assertNothingForwarded(backends.echo);
    }

    @Test
    void aSchemeThatOnlyStartsWithBearerIsNoToken() {
        Answer answer = gateway.raw("GET " + REQUIRED + " HTTP/1.1", "Authorization: Bearer_" + token);

        assertError(answer, 401, "missing_token");
        assertNothingForwarded(backends.echo);
    }

    @Test
    void basicOnAnOptionalRouteIsForwardedWithoutIdentityAndWithoutTheHeader() {
        EchoDownstream.Received received = assertForwarded(
                gateway.get(OPTIONAL, "Authorization: Basic dXNlcjpwYXNz"), backends.echo);

        assertNoIdentity(received);
        assertThat(received.headerValues("Authorization")).isEmpty();
    }

    // ---- an empty or malformed token ----

    @ParameterizedTest(name = "\"Authorization: {0}\" is 401 invalid_token")
    @ValueSource(strings = {"Bearer", "Bearer ", "bearer    ", "Bearer abc", "Bearer not a token", "Bearer a.b.c",
            "Bearer ====", "Bearer %s!", "Bearer %sx", "Bearer %s %s"})
    void bearerWithAnEmptyOrMalformedValueIsInvalidToken(String template) {
        String authorization = template.replace("%s", token);

        Answer onRequired = gateway.raw("GET " + REQUIRED + " HTTP/1.1", "Authorization: " + authorization);
        Answer onOptional = gateway.raw("GET " + OPTIONAL + " HTTP/1.1", "Authorization: " + authorization);

        assertError(onRequired, 401, "invalid_token");
        assertError(onOptional, 401, "invalid_token");
        assertNothingForwarded(backends.echo);
    }

    @ParameterizedTest(name = "\"Authorization: {0}\" is 401 invalid_token")
    @ValueSource(strings = {"Bearer", "Bearer ", "bearer  ", "Bearer \t"})
    void anEmptyBearerIsInvalidToken(String authorization) {
        Answer answer = gateway.raw("GET " + REQUIRED + " HTTP/1.1", "Authorization: " + authorization);

        assertError(answer, 401, "invalid_token");
        assertNothingForwarded(backends.echo);
    }

    @Test
    void anEmptyBearerOnAnOptionalRouteIsNotTakenForNoToken() {
        Answer answer = gateway.raw("GET " + OPTIONAL + " HTTP/1.1", "Authorization: Bearer ");

        assertError(answer, 401, "invalid_token");
        assertNothingForwarded(backends.echo);
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
            Answer answer = gateway.raw("GET " + REQUIRED + " HTTP/1.1", "Authorization: " + authorization);
            assertError(answer, 401, "invalid_token");
        }
        assertNothingForwarded(backends.echo);
    }

    // ---- two Authorization headers ----

    @ParameterizedTest(name = "two Authorization headers on {0} are 400 invalid_request")
    @ValueSource(strings = {REQUIRED, OPTIONAL, "/wx/session"})
    void twoAuthorizationHeadersAreAnInvalidRequest(String path) {
        Answer answer = gateway.raw("GET " + path + " HTTP/1.1",
                "Authorization: Bearer " + token, "Authorization: Bearer " + token);

        assertError(answer, 400, "invalid_request");
        assertNothingForwarded(backends.echo);
    }

    @Test
    void twoAuthorizationHeadersOfDifferentLetterCaseAreAnInvalidRequest() {
        Answer answer = gateway.raw("GET " + REQUIRED + " HTTP/1.1",
                "Authorization: Bearer " + token, "authorization: Basic dXNlcjpwYXNz");

        assertError(answer, 400, "invalid_request");
        assertNothingForwarded(backends.echo);
    }

    @Test
    void twoAuthorizationHeadersInEitherOrderAreAnInvalidRequest() {
        Answer sameToken = gateway.raw("GET " + REQUIRED + " HTTP/1.1",
                "Authorization: Bearer " + token, "Authorization: Bearer " + token);
        Answer validThenOther = gateway.raw("GET " + OPTIONAL + " HTTP/1.1",
                "Authorization: Bearer " + token, "authorization: Basic dXNlcjpwYXNz");
        Answer otherThenValid = gateway.raw("GET " + REQUIRED + " HTTP/1.1",
                "AUTHORIZATION: Basic dXNlcjpwYXNz", "Authorization: Bearer " + token);

        assertError(sameToken, 400, "invalid_request");
        assertError(validThenOther, 400, "invalid_request");
        assertError(otherThenValid, 400, "invalid_request");
        assertNothingForwarded(backends.echo);
    }

    @Test
    void twoAuthorizationHeadersOnTheLoginRouteAreInvalidRequest() {
        String code = backends.newCode();
        backends.wechat.resetCounters();

        Answer answer = gateway.raw("POST /wx/login-forward HTTP/1.1",
                ("{\"code\":\"" + code + "\"}").getBytes(StandardCharsets.UTF_8),
                "Content-Type: application/json", "Authorization: Bearer " + token, "Authorization: Bearer " + token);

        assertError(answer, 400, "invalid_request");
        assertNothingForwarded(backends.echo);
        assertThat(backends.wechat.calls(code)).as("calls to WeChat").isZero();
    }

    // ---- the query string ----

    @Test
    void aTokenInTheQueryStringIsIgnoredOnARequiredRoute() {
        assertError(gateway.get(REQUIRED + "?access_token=" + token), 401, "missing_token");
        assertNothingForwarded(backends.echo);
    }

    @Test
    void aTokenInTheQueryStringIsIgnoredOnAnOptionalRoute() {
        EchoDownstream.Received received = assertForwarded(gateway.get(OPTIONAL + "?access_token=" + token),
                backends.echo);

        assertNoIdentity(received);
    }

    @ParameterizedTest(name = "a token only in the query string (?{0}=…) is ignored")
    @ValueSource(strings = {"access_token", "token", "authorization", "bearer"})
    void aTokenOnlyInTheQueryStringIsIgnored(String parameter) {
        Answer required = gateway.raw("GET " + REQUIRED + "?" + parameter + "=" + token + " HTTP/1.1");
        Answer optional = gateway.raw("GET " + OPTIONAL + "?" + parameter + "=" + token + " HTTP/1.1");

        assertError(required, 401, "missing_token");
        EchoDownstream.Received received = assertForwarded(optional, backends.echo);
        assertNoIdentity(received);
    }

    @Test
    void theTokenIsNotForwardedToTheServiceOnAnOptionalRoute() {
        Answer answer = gateway.raw("GET " + OPTIONAL + " HTTP/1.1", "Authorization: bearer " + token);

        EchoDownstream.Received received = assertForwarded(answer, backends.echo);
        assertIdentity(received, user);
        assertIdentityJwt(received, gateway, user, token, "catalog");
        assertThat(received.headers()).as("headers at the service").noneMatch(h -> h.getValue().contains(token));
    }
}
