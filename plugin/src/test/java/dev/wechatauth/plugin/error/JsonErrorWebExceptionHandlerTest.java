package dev.wechatauth.plugin.error;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ConnectException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

import dev.wechatauth.plugin.support.Json;
import io.netty.channel.ConnectTimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.data.redis.RedisConnectionFailureException;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.server.MockServerWebExchange;
import org.springframework.web.server.MethodNotAllowedException;
import org.springframework.web.server.ResponseStatusException;
import org.springframework.web.server.ServerWebInputException;
import org.springframework.web.server.UnsupportedMediaTypeStatusException;
import reactor.netty.http.client.PrematureCloseException;
import reactor.test.StepVerifier;
import tools.jackson.databind.JsonNode;

class JsonErrorWebExceptionHandlerTest {

    private final JsonErrorWebExceptionHandler handler = new JsonErrorWebExceptionHandler(new ErrorResponseWriter());

    static Stream<Arguments> failures() {
        return Stream.of(
                Arguments.of(new ResponseStatusException(HttpStatus.NOT_FOUND), 404, "not_found"),
                Arguments.of(new ResponseStatusException(HttpStatus.METHOD_NOT_ALLOWED), 405, "invalid_request"),
                Arguments.of(new MethodNotAllowedException("TRACE", List.of()), 405, "invalid_request"),
                Arguments.of(new ResponseStatusException(HttpStatus.CONTENT_TOO_LARGE), 413, "invalid_request"),
                Arguments.of(new ResponseStatusException(HttpStatus.UNSUPPORTED_MEDIA_TYPE), 415, "invalid_request"),
                Arguments.of(new UnsupportedMediaTypeStatusException("text/csv"), 415, "invalid_request"),
                Arguments.of(new ResponseStatusException(HttpStatus.BAD_REQUEST), 400, "invalid_request"),
                Arguments.of(new ServerWebInputException("bad"), 400, "invalid_request"),
                Arguments.of(new ResponseStatusException(HttpStatus.GATEWAY_TIMEOUT), 504, "upstream_timeout"),
                Arguments.of(new ResponseStatusException(HttpStatus.SERVICE_UNAVAILABLE), 502, "upstream_unavailable"),
                Arguments.of(new DataBufferLimitException("too big"), 413, "invalid_request"),
                Arguments.of(new ConnectException("Connection refused"), 502, "upstream_unavailable"),
                Arguments.of(new ConnectTimeoutException("connect timed out"), 502, "upstream_unavailable"),
                Arguments.of(PrematureCloseException.TEST_EXCEPTION, 502, "upstream_unavailable"),
                Arguments.of(new IOException("Connection reset by peer"), 502, "upstream_unavailable"),
                Arguments.of(new RuntimeException("wrapped", new ConnectException("refused")), 502, "upstream_unavailable"),
                Arguments.of(new TimeoutException("Response took longer than timeout"), 504, "upstream_timeout"),
                Arguments.of(new RedisConnectionFailureException("down"), 503, "session_store_unavailable"),
                Arguments.of(new DataAccessResourceFailureException("down"), 503, "session_store_unavailable"),
                Arguments.of(new IllegalStateException("boom: a secret detail"), 500, "internal_error"));
    }

    @ParameterizedTest
    @MethodSource("failures")
    void handleWhenFailureReachesWebFluxThenTheContractsJsonError(Throwable failure, int status, String code) {
        MockServerWebExchange exchange = exchange();

        StepVerifier.create(handler.handle(exchange, failure)).verifyComplete();

        assertJsonError(exchange, status, code);
        assertThat(exchange.getResponse().getBodyAsString().block())
                .doesNotContain("secret detail")
                .doesNotContain("Exception")
                .doesNotContain("\tat ");
    }

    static Stream<Arguments> gatewayErrors() {
        return Stream.of(
                Arguments.of(GatewayError.INVALID_REQUEST, 400, "invalid_request"),
                Arguments.of(GatewayError.INVALID_PATH, 400, "invalid_request"),
                Arguments.of(GatewayError.DUPLICATE_AUTHORIZATION, 400, "invalid_request"),
                Arguments.of(GatewayError.INVALID_LOGIN_BODY, 400, "invalid_request"),
                Arguments.of(GatewayError.BODY_TOO_LARGE, 413, "invalid_request"),
                Arguments.of(GatewayError.METHOD_NOT_ALLOWED, 405, "invalid_request"),
                Arguments.of(GatewayError.UNSUPPORTED_MEDIA_TYPE, 415, "invalid_request"),
                Arguments.of(GatewayError.UNKNOWN_APP, 400, "unknown_app"),
                Arguments.of(GatewayError.INVALID_CODE, 401, "invalid_code"),
                Arguments.of(GatewayError.RATE_LIMITED, 429, "rate_limited"),
                Arguments.of(GatewayError.WECHAT_RATE_LIMITED, 429, "rate_limited"),
                Arguments.of(GatewayError.USER_BLOCKED, 403, "user_blocked"),
                Arguments.of(GatewayError.WECHAT_UNAVAILABLE, 503, "wechat_unavailable"),
                Arguments.of(GatewayError.WECHAT_TIMEOUT, 504, "wechat_timeout"),
                Arguments.of(GatewayError.WECHAT_ERROR, 502, "wechat_error"),
                Arguments.of(GatewayError.UPSTREAM_UNAVAILABLE, 502, "upstream_unavailable"),
                Arguments.of(GatewayError.UPSTREAM_TIMEOUT, 504, "upstream_timeout"),
                Arguments.of(GatewayError.SESSION_STORE_UNAVAILABLE, 503, "session_store_unavailable"),
                Arguments.of(GatewayError.NOT_FOUND, 404, "not_found"),
                Arguments.of(GatewayError.MISSING_TOKEN, 401, "missing_token"),
                Arguments.of(GatewayError.INVALID_TOKEN, 401, "invalid_token"));
    }

    @ParameterizedTest
    @MethodSource("gatewayErrors")
    void handleWhenGatewayErrorExceptionThenItsStatusAndCode(GatewayError error, int status, String code) {
        MockServerWebExchange exchange = exchange();

        StepVerifier.create(handler.handle(exchange, new GatewayErrorException(error))).verifyComplete();

        assertJsonError(exchange, status, code);
        if (status == 401) {
            assertThat(exchange.getResponse().getHeaders().getFirst(HttpHeaders.WWW_AUTHENTICATE)).startsWith("Bearer");
        } else {
            assertThat(exchange.getResponse().getHeaders().containsHeader(HttpHeaders.WWW_AUTHENTICATE)).isFalse();
        }
    }

    @Test
    void handleWhenInvalidTokenThenChallengeNamesTheError() {
        MockServerWebExchange exchange = exchange();

        StepVerifier.create(handler.handle(exchange, new GatewayErrorException(GatewayError.INVALID_TOKEN))).verifyComplete();

        assertThat(exchange.getResponse().getHeaders().get(HttpHeaders.WWW_AUTHENTICATE))
                .containsExactly("Bearer error=\"invalid_token\"");
    }

    @Test
    void handleWhenMissingTokenThenPlainBearerChallenge() {
        MockServerWebExchange exchange = exchange();

        StepVerifier.create(handler.handle(exchange, new GatewayErrorException(GatewayError.MISSING_TOKEN))).verifyComplete();

        assertThat(exchange.getResponse().getHeaders().get(HttpHeaders.WWW_AUTHENTICATE)).containsExactly("Bearer");
    }

    @Test
    void handleWhenRetryAfterGivenThenRetryAfterInWholeSecondsRoundedUp() {
        MockServerWebExchange exact = exchange();
        MockServerWebExchange fraction = exchange();

        StepVerifier.create(handler.handle(exact,
                new GatewayErrorException(GatewayError.RATE_LIMITED, Duration.ofSeconds(30)))).verifyComplete();
        StepVerifier.create(handler.handle(fraction,
                new GatewayErrorException(GatewayError.WECHAT_RATE_LIMITED, Duration.ofMillis(1_500)))).verifyComplete();

        assertJsonError(exact, 429, "rate_limited");
        assertThat(exact.getResponse().getHeaders().get(HttpHeaders.RETRY_AFTER)).containsExactly("30");
        assertThat(fraction.getResponse().getHeaders().get(HttpHeaders.RETRY_AFTER)).containsExactly("2");
    }

    @Test
    void handleWhenNoRetryAfterGivenThenNoRetryAfterHeader() {
        MockServerWebExchange exchange = exchange();

        StepVerifier.create(handler.handle(exchange, new GatewayErrorException(GatewayError.WECHAT_UNAVAILABLE)))
                .verifyComplete();

        assertThat(exchange.getResponse().getHeaders().containsHeader(HttpHeaders.RETRY_AFTER)).isFalse();
    }

    @Test
    void handleWhenResponseAlreadyCommittedThenPassesTheFailureOn() {
        MockServerWebExchange exchange = exchange();
        exchange.getResponse().setComplete().block();
        IllegalStateException failure = new IllegalStateException("late");

        StepVerifier.create(handler.handle(exchange, failure)).verifyErrorMatches(error -> error == failure);
    }

    @Test
    void getOrderWhenAskedThenBeforeSpringBootsDefaultHandler() {
        // Spring Boot's DefaultErrorWebExceptionHandler is registered at order -1
        assertThat(handler.getOrder()).isLessThan(-1);
    }

    // --- helpers ---

    private static MockServerWebExchange exchange() {
        return MockServerWebExchange.from(MockServerHttpRequest.get("/api/orders/1"));
    }

    private static void assertJsonError(MockServerWebExchange exchange, int status, String code) {
        assertThat(exchange.getResponse().getStatusCode()).isNotNull();
        assertThat(exchange.getResponse().getStatusCode().value()).isEqualTo(status);
        MediaType type = exchange.getResponse().getHeaders().getContentType();
        assertThat(type).isNotNull();
        assertThat(type.getType() + "/" + type.getSubtype()).isEqualTo("application/json");
        String text = exchange.getResponse().getBodyAsString().block();
        JsonNode body = Json.parse(text);
        assertThat(body.isObject()).isTrue();
        assertThat(body.propertyNames()).containsExactlyInAnyOrder("error", "message");
        assertThat(body.get("error").asString()).isEqualTo(code);
        assertThat(body.get("message").asString()).isNotBlank().doesNotContain("\n");
        assertThat(exchange.getResponse().getHeaders().getContentLength()).isIn(-1L, (long) text.getBytes().length);
    }
}
