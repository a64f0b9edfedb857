package dev.wechatauth.gateway.routing;

import static dev.wechatauth.gateway.rig.ContractAssertions.assertError;
import static dev.wechatauth.gateway.rig.ContractAssertions.assertForwarded;
import static dev.wechatauth.gateway.rig.ContractAssertions.assertNothingForwarded;
import static dev.wechatauth.gateway.rig.ContractAssertions.assertStillServes;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.Stream;

import dev.wechatauth.gateway.rig.Answer;
import dev.wechatauth.gateway.rig.Backends;
import dev.wechatauth.gateway.rig.OnTheSharedGateway;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * docs/reference.md, Requests the gateway refuses before routing: a method other than {@code GET}, {@code HEAD},
 * {@code POST}, {@code PUT}, {@code PATCH}, {@code DELETE} and {@code OPTIONS} is 405 {@code invalid_request} with
 * {@code Allow}, and never reaches a service, on every policy: a service answering {@code TRACE} would echo the
 * identity headers and the identity JWT back to the client. The request lines are written by hand.
 */
class MethodRefusalTest extends OnTheSharedGateway {

    private static final List<String> REFUSED = List.of("TRACE", "TRACK", "get", "Get", "post", "PROPFIND", "FOO",
            "DEBUG");
    private static final List<String> PATHS = List.of(Backends.REQUIRED, Backends.DEFAULT, Backends.OPTIONAL,
            Backends.PUBLIC, "/wx/login", "/wx/login-forward", Backends.PHONE, Backends.PHONE_FORWARD, Backends.DECRYPT,
            Backends.DECRYPT_FORWARD, "/wx/logout", "/wx/session", "/.well-known/jwks.json", "/no/route/here");

    static Stream<Arguments> everyRefusedMethodOnEveryPolicy() {
        return REFUSED.stream().flatMap(method -> PATHS.stream().map(path -> Arguments.of(method, path)));
    }

    @ParameterizedTest(name = "{0} {1} with a valid token is 405 and reaches no service")
    @MethodSource("everyRefusedMethodOnEveryPolicy")
    void aMethodTheGatewayNeverForwardsIsRefused(String method, String path) {
        Answer answer = gateway.raw(method + " " + path + " HTTP/1.1", "Authorization: Bearer " + token,
                "Content-Type: application/json");

        assertError(answer, 405, "invalid_request");
        assertThat(answer.header("Allow")).as("Allow of %s", answer)
                .contains("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS").doesNotContain("TRACE");
        assertThat(answer.body()).doesNotContain(token);
        assertNothingForwarded(backends.echo);
        assertStillServes(gateway);
    }

    @ParameterizedTest(name = "{0} on a required route with a valid token is forwarded")
    @ValueSource(strings = {"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
    void theMethodsOfTheContractAreForwarded(String method) {
        Answer answer = gateway.send(method, Backends.REQUIRED, new byte[0], "Authorization: Bearer " + token,
                "Content-Length: 0");

        assertThat(assertForwarded(answer, backends.echo).method()).isEqualTo(method);
    }
}
