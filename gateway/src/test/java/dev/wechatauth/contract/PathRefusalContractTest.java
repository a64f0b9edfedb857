package dev.wechatauth.contract;

import static dev.wechatauth.contract.ContractAssertions.assertError;
import static dev.wechatauth.contract.ContractAssertions.assertRefusedAsBadRequest;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * CONTRACT.md, "Requests the gateway refuses before routing": a path that is not normalized is 400
 * {@code invalid_request} (or the HTTP server's own plain 400) and never reaches a service; a path no route matches
 * is 404 {@code not_found}. Paths are written on the request line by hand, as no client library would send them.
 */
class PathRefusalContractTest {

    private static GatewayInstance gateway;
    private static Backends backends;
    private static String token;

    @BeforeAll
    static void startGateway() {
        gateway = SharedGateway.get();
        backends = gateway.backends();
        token = gateway.newToken();
    }

    @BeforeEach
    void forgetEarlierRequests() {
        backends.echo.clear();
    }

    @ParameterizedTest(name = "GET {0} is refused and reaches no service")
    @ValueSource(strings = {
            "/api/orders/../status/x",
            "/api/status/../orders/1",
            "/api/status/..",
            "/api/./status/x",
            "/api/status/./x",
            "/api/status/.",
            "//api/status/x",
            "/api//status/x",
            "/api/status//x",
            "/api/orders;x=1",
            "/api/status;x=1/y",
            "/api/status/x;jsessionid=1",
            "/api/status/a%2Fb",
            "/api/status/a%2fb",
            "/api/status/%2e%2e/orders/1",
            "/api/status/%2E%2E/orders/1",
            "/api/status/%2e/x",
            "/api/status/.%2e/x",
            "/api/status/a%2Eb",
            "/api/status/a%5cb",
            "/api/status/a%5Cb",
            "/api/status/a\\b",
            "/api/status/..\\orders",
            "/api/status/a%25b",
            "/api/status/%252e%252e/x",
            "/api/status/a%00b",
            "/api/status/a%0d%0ab",
            "/api/status/a%0Ab",
            "/api/status/a%0Db"})
    void aPathThatIsNotNormalizedIsRefusedBeforeRouting(String path) {
        Answer answer = gateway.raw("GET " + path + " HTTP/1.1", "Authorization: Bearer " + token);

        assertRefusedAsBadRequest(answer);
        assertThat(backends.echo.count()).as("requests that reached a service").isZero();
    }

    @ParameterizedTest(name = "the normalized path {0} is forwarded")
    @ValueSource(strings = {"/api/status/x", "/api/status/a.b", "/api/status/..a/b..", "/api/status/a%20b",
            "/api/status/%E4%BD%A0"})
    void aNormalizedPathIsForwardedAsSent(String path) {
        Answer answer = gateway.raw("GET " + path + " HTTP/1.1");

        assertThat(answer.status()).as("%s", answer).isEqualTo(200);
        assertThat(backends.echo.count()).isEqualTo(1);
        assertThat(backends.echo.last().path()).isEqualTo(path);
    }

    @ParameterizedTest(name = "GET {0} matches no route: 404 not_found")
    @ValueSource(strings = {"/", "/nowhere", "/api", "/api/statusx/1", "/wx/login/extra", "/API/status/1"})
    void aPathNoRouteMatchesIsNotFound(String path) {
        assertError(gateway.raw("GET " + path + " HTTP/1.1"), 404, "not_found");
        assertThat(backends.echo.count()).as("requests that reached a service").isZero();
    }

    @Test
    void aPostToAPathNoRouteMatchesIsNotFound() {
        assertError(gateway.post("/nowhere", "{}", "Content-Type: application/json"), 404, "not_found");
    }
}
