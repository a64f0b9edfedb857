package dev.wechatauth.contract;

import static dev.wechatauth.contract.ContractAssertions.assertRefusedAsBadRequest;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The threat of a path the gateway's route predicates and a backend read differently (CONTRACT.md, "Requests the
 * gateway refuses before routing"): every raw path shape below is not normalized and must be answered 400 before
 * routing, reaching no service, whatever route it aims at. The requests carry a valid token, so that a shape which
 * slipped through to a {@code required} route would be forwarded.
 */
class AttackRawPathTest {

    private static GatewayInstance gateway;
    private static Backends backends;
    private static String token;

    @BeforeAll
    static void startGateway() {
        gateway = AttackGateway.get();
        backends = gateway.backends();
        token = gateway.newToken();
    }

    @BeforeEach
    void forgetEarlierRequests() {
        backends.echo.clear();
    }

    @ParameterizedTest(name = "{0} reaches no service")
    @ValueSource(strings = {
            // dot segments, raw and encoded, aimed from a public route at a required one
            "GET /api/status/..%2forders/1",
            "GET /api/status/%2e%2e%2forders/1",
            "GET /api/status/.%2E/orders/1",
            "GET /api/status/%2e./orders/1",
            "GET /api/status/..%00/orders/1",
            "GET /api/orders/1/..",
            "GET /./api/status/x",
            "GET /api/status/x/.",
            "GET /wx/login/../../api/orders/1",
            // matrix parameters and path-parameter tricks (Tomcat, Jetty)
            "GET /api/status/..;/orders/1",
            "GET /api/status;/../orders/1",
            "GET /api/orders/1;.json",
            // backslashes, raw and encoded, and encoded encodings
            "GET /api/status\\..\\orders\\1",
            "GET /api/status/%5C..%5Corders/1",
            "GET /api/status/..%255corders/1",
            "GET /api/status/%252e%252e%252forders/1",
            "GET /api/status/%25%32%65%25%32%65/orders/1",
            // empty segments
            "GET /api/status//../orders/1",
            "GET /api/status/x//",
            // NUL, CR and LF (header injection towards the service), encoded
            "GET /api/status/a%00.json",
            "GET /api/status/a%0d%0aX-OpenId:%20spoof",
            "GET /api/status/%0a",
            // an absolute-form request target with dot segments
            "GET http://127.0.0.1/api/status/../orders/1",
            // the same shapes on other methods and towards the login route
            "POST /api/status/%2e%2e/orders/1",
            "DELETE /api/status/..;/orders/1",
            "POST /wx/%2e%2e/wx/login"})
    void aPathThatIsNotNormalizedReachesNoService(String methodAndPath) {
        Answer answer = gateway.raw(methodAndPath + " HTTP/1.1", "Authorization: Bearer " + token);

        assertRefusedAsBadRequest(answer);
        assertThat(backends.echo.count()).as("requests that reached a service").isZero();
    }
}
