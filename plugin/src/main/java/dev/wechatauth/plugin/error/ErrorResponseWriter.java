package dev.wechatauth.plugin.error;

import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * Writes an error the gateway answers itself as {@code {"error":"…","message":"…"}}, with the headers each needs:
 * {@code WWW-Authenticate} on 401 (RFC 6750), {@code Retry-After} in whole seconds on 429, {@code Allow} on 405.
 * Used only by {@link JsonErrorWebExceptionHandler}: every step of the gateway throws a
 * {@link GatewayErrorException} instead of writing.
 */
public class ErrorResponseWriter {

    private static final String BEARER_CHALLENGE = "Bearer";
    private static final String INVALID_TOKEN_CHALLENGE = "Bearer error=\"invalid_token\"";

    public Mono<Void> write(ServerWebExchange exchange, GatewayErrorException failure) {
        ServerHttpResponse response = exchange.getResponse();
        if (response.isCommitted()) {
            return Mono.empty();
        }
        GatewayError error = failure.error();
        response.setStatusCode(error.status());
        HttpHeaders headers = response.getHeaders();
        headers.clear();
        headers.setContentType(MediaType.APPLICATION_JSON);
        headers.setContentLength(error.body().length);
        headers.setCacheControl("no-store");
        switch (error) {
            case MISSING_TOKEN, INVALID_CODE -> headers.set(HttpHeaders.WWW_AUTHENTICATE, BEARER_CHALLENGE);
            case INVALID_TOKEN -> headers.set(HttpHeaders.WWW_AUTHENTICATE, INVALID_TOKEN_CHALLENGE);
            default -> {
            }
        }
        if (!failure.allowedMethods().isEmpty()) {
            headers.setAllow(failure.allowedMethods());
        }
        if (failure.retryAfter() != null) {
            long seconds = Math.max(1, (failure.retryAfter().toMillis() + 999) / 1000);
            headers.set(HttpHeaders.RETRY_AFTER, Long.toString(seconds));
        }
        return response.writeWith(Mono.fromSupplier(() -> response.bufferFactory().wrap(error.body())));
    }
}
