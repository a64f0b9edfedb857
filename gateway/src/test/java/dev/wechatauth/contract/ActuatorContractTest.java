package dev.wechatauth.contract;

import static dev.wechatauth.contract.ContractAssertions.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.http.HttpMethod;

/**
 * CONTRACT.md, "Requests the gateway refuses before routing": on the public port only {@code /actuator/health} is
 * exposed, without details; the gateway actuator, {@code env}, {@code heapdump} and the rest are 404 (and, being
 * paths no route matches, {@code not_found}).
 */
class ActuatorContractTest {

    private static GatewayInstance gateway;

    @BeforeAll
    static void startGateway() {
        gateway = SharedGateway.get();
    }

    @Test
    void healthIsExposedWithoutDetails() {
        Answer answer = gateway.get("/actuator/health");

        assertThat(answer.status()).as("%s", answer).isEqualTo(200);
        assertThat(answer.json().get("status").asString()).isEqualTo("UP");
        assertThat(answer.json().propertyNames()).doesNotContain("components", "details");
        assertThat(answer.body()).doesNotContain("redis", "Redis", "version", "diskSpace");
    }

    @Test
    void theActuatorIndexIsNotFound() {
        Answer answer = gateway.get("/actuator");

        assertError(answer, 404, "not_found");
    }

    @ParameterizedTest(name = "GET {0} is 404 not_found")
    @ValueSource(strings = {"/actuator/env", "/actuator/heapdump", "/actuator/gateway/routes",
            "/actuator/gateway/globalfilters", "/actuator/beans", "/actuator/configprops", "/actuator/mappings",
            "/actuator/loggers", "/actuator/threaddump", "/actuator/metrics", "/actuator/info", "/actuator/health/redis",
            "/actuator/shutdown"})
    void everyOtherActuatorEndpointIsNotFound(String path) {
        assertError(gateway.get(path), 404, "not_found");
    }

    @ParameterizedTest(name = "POST {0} is 404 not_found")
    @ValueSource(strings = {"/actuator/gateway/routes", "/actuator/gateway/routes/evil", "/actuator/gateway/refresh",
            "/actuator/shutdown", "/actuator/loggers/root"})
    void writingToTheActuatorIsNotFound(String path) {
        Answer answer = gateway.send(HttpMethod.POST, path,
                "{\"uri\":\"http://evil\",\"predicates\":[]}".getBytes(), "Content-Type: application/json");

        assertError(answer, 404, "not_found");
    }
}
