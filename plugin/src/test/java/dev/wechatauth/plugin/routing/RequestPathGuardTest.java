package dev.wechatauth.plugin.routing;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.wechatauth.plugin.support.Answered;
import dev.wechatauth.plugin.support.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.core.Ordered;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.server.MockServerWebExchange;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;

class RequestPathGuardTest {

    private final RequestPathGuard guard = new RequestPathGuard();

    @ParameterizedTest
    @ValueSource(strings = {
            "/a/../b",
            "/a/./b",
            "/..",
            "/.",
            "/../a",
            "/a/..",
            "/a/.",
            "/a//b",
            "//a",
            "/a/b//",
            "/a;b",
            "/a;jsessionid=1/b",
            "/a\\b",
            "/a/%2e%2e/b",
            "/a/%2E%2E/b",
            "/a/%2e/b",
            "/a/.%2e/b",
            "/a/%2E",
            "/a%2fb",
            "/a%2Fb",
            "/a%5cb",
            "/a%5Cb",
            "/a%25b",
            "/a%252e%252e",
            "/a%00b",
            "/a%0d",
            "/a%0a",
            "/a%0D%0Ab",
            "/a%3bb",
            "/a%7f",
            "/a%",
            "/a%2",
            "/a%zz",
            "/a%g0",
            "/a b",
            "/a\tb",
            "/a\u0000b",
            "/a\rb",
            "/a\nb",
            "/caf\u00e9",
            "",
            "a/b",
    })
    void isNormalizedWhenPathNotInNormalFormThenFalse(String rawPath) {
        assertThat(RequestPathGuard.isNormalized(rawPath)).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "/",
            "/a",
            "/a/b/",
            "/a%20b",
            "/a-b_c.d/e",
            "/api/orders/1",
            "/a/..b",
            "/a/b..",
            "/a/...",
            "/a/.well-known/x",
            "/a%41b",
            "/a~b/c@d/e:f/g+h/i=j&k!",
            "/wx/login",
    })
    void isNormalizedWhenPathInNormalFormThenTrue(String rawPath) {
        assertThat(RequestPathGuard.isNormalized(rawPath)).isTrue();
    }

    @Test
    void filterWhenPathHasDotDotSegmentThenInvalidRequestAndChainNotCalled() {
        MockServerWebExchange exchange = exchange("/api/public/../orders/1");
        AtomicBoolean called = new AtomicBoolean();

        Answered.run(exchange, guard.filter(exchange, chainSetting(called)));

        assertThat(called).isFalse();
        assertThat(exchange.getResponse().getStatusCode()).isEqualTo(HttpStatus.BAD_REQUEST);
        assertThat(exchange.getResponse().getHeaders().getContentType()).isNotNull()
                .matches(type -> type.isCompatibleWith(MediaType.APPLICATION_JSON));
        JsonNode body = Json.parse(exchange.getResponse().getBodyAsString().block());
        assertThat(body.get("error").asString()).isEqualTo("invalid_request");
        assertThat(body.get("message").asString()).isNotBlank();
    }

    @ParameterizedTest
    @ValueSource(strings = {"/api/%2e%2e/admin", "/api%2fadmin", "/api/orders;x=1", "/api//orders"})
    void filterWhenPathEncodedOrAmbiguousThenInvalidRequest(String rawPath) {
        MockServerWebExchange exchange = exchange(rawPath);
        AtomicBoolean called = new AtomicBoolean();

        Answered.run(exchange, guard.filter(exchange, chainSetting(called)));

        assertThat(called).isFalse();
        assertThat(exchange.getResponse().getStatusCode()).isEqualTo(HttpStatus.BAD_REQUEST);
    }

    @Test
    void filterWhenPathNormalizedThenChainCalledAndNothingWritten() {
        MockServerWebExchange exchange = exchange("/api/orders/1?x=../y");
        AtomicBoolean called = new AtomicBoolean();

        Answered.run(exchange, guard.filter(exchange, chainSetting(called)));

        assertThat(called).isTrue();
        assertThat(exchange.getResponse().getStatusCode()).isNull();
    }

    @Test
    void getOrderWhenAskedThenBeforeEverythingElse() {
        assertThat(guard.getOrder()).isEqualTo(Ordered.HIGHEST_PRECEDENCE);
    }

    private static MockServerWebExchange exchange(String rawPathAndQuery) {
        return MockServerWebExchange.from(MockServerHttpRequest.method(HttpMethod.GET,
                URI.create("http://gateway.test" + rawPathAndQuery)));
    }

    private static WebFilterChain chainSetting(AtomicBoolean called) {
        return exchange -> {
            called.set(true);
            return Mono.empty();
        };
    }
}
