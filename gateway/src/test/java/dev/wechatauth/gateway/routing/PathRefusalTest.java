package dev.wechatauth.gateway.routing;

import static dev.wechatauth.gateway.rig.ContractAssertions.assertError;
import static dev.wechatauth.gateway.rig.ContractAssertions.assertRefusedAsBadRequest;
import static org.assertj.core.api.Assertions.assertThat;

import dev.wechatauth.gateway.rig.Answer;
import dev.wechatauth.gateway.rig.OnTheSharedGateway;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * docs/reference.md, Requests the gateway refuses before routing: a path that is not normalized is 400
 * {@code invalid_request} (or the HTTP server's own plain 400) and never reaches a service, whatever route it aims at
 * (a path the gateway's route predicates and a backend would read differently); a path no route matches is 404
 * {@code not_found}. Paths are written on the request line by hand, as no client library would send them.
 */
class PathRefusalTest extends OnTheSharedGateway {

    /**
     * The requests carry a valid token, so that a shape which slipped through to a {@code required} route would be
     * forwarded.
     */
    @ParameterizedTest(name = "{0} is refused and reaches no service")
    @ValueSource(strings = {
            "GET /api/orders/../status/x",
            "GET /api/status/../orders/1",
            "GET /api/status/..",
            "GET /api/./status/x",
            "GET /api/status/./x",
            "GET /api/status/.",
            "GET //api/status/x",
            "GET /api//status/x",
            "GET /api/status//x",
            "GET /api/orders;x=1",
            "GET /api/status;x=1/y",
            "GET /api/status/x;jsessionid=1",
            "GET /api/status/a%2Fb",
            "GET /api/status/a%2fb",
            "GET /api/status/%2e%2e/orders/1",
            "GET /api/status/%2E%2E/orders/1",
            "GET /api/status/%2e/x",
            "GET /api/status/.%2e/x",
            "GET /api/status/a%2Eb",
            "GET /api/status/a%5cb",
            "GET /api/status/a%5Cb",
            "GET /api/status/a\\b",
            "GET /api/status/..\\orders",
            "GET /api/status/a%25b",
            "GET /api/status/%252e%252e/x",
            "GET /api/status/a%00b",
            "GET /api/status/a%0d%0ab",
            "GET /api/status/a%0Ab",
            "GET /api/status/a%0Db",
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
    void aPathThatIsNotNormalizedIsRefusedBeforeRouting(String methodAndPath) {
        Answer answer = gateway.raw(methodAndPath + " HTTP/1.1", "Authorization: Bearer " + token);

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
