package dev.wechatauth.gateway.error;

import java.time.Duration;
import java.util.Set;

import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * Writes every error the gateway answers itself as {@code {"error":"…","message":"…"}}, with the headers the
 * contract asks for: {@code WWW-Authenticate} on 401, {@code Retry-After} on 429, {@code Allow} on 405.
 */
public class ErrorResponseWriter {

    /** Exchange attribute set once the gateway has answered with an error of its own. */
    public static final String ANSWERED_WITH_ERROR = ErrorResponseWriter.class.getName() + ".answeredWithError";

    /** Exchange attribute naming the one method a path allows, sent as {@code Allow} with a 405. */
    public static final String ALLOWED_METHODS = ErrorResponseWriter.class.getName() + ".allowedMethods";

    private static final String BEARER_CHALLENGE = "Bearer";
    private static final String INVALID_TOKEN_CHALLENGE = "Bearer error=\"invalid_token\"";

    public Mono<Void> write(ServerWebExchange exchange, GatewayErrorException failure) {
        return write(exchange, failure.error(), failure.retryAfter());
    }

    public Mono<Void> write(ServerWebExchange exchange, GatewayError error) {
        return write(exchange, error, null);
    }

    /** Writes {@code error}; {@code retryAfter} (rounded up to whole seconds) is sent when not null. */
    public Mono<Void> write(ServerWebExchange exchange, GatewayError error, Duration retryAfter) {
        ServerHttpResponse response = exchange.getResponse();
        if (response.isCommitted()) {
            return Mono.empty();
        }
        exchange.getAttributes().put(ANSWERED_WITH_ERROR, error);
        response.setStatusCode(error.status());
        HttpHeaders headers = response.getHeaders();
        headers.clear();
        headers.setContentType(MediaType.APPLICATION_JSON);
        headers.setContentLength(error.body().length);
        headers.setCacheControl("no-store");
        switch (error) {
            case MISSING_TOKEN -> headers.set(HttpHeaders.WWW_AUTHENTICATE, BEARER_CHALLENGE);
            case INVALID_TOKEN -> headers.set(HttpHeaders.WWW_AUTHENTICATE, INVALID_TOKEN_CHALLENGE);
            case INVALID_CODE -> headers.set(HttpHeaders.WWW_AUTHENTICATE, BEARER_CHALLENGE);
            case METHOD_NOT_ALLOWED -> {
                if (exchange.getAttribute(ALLOWED_METHODS) instanceof HttpMethod allowed) {
                    headers.setAllow(Set.of(allowed));
                }
            }
            default -> {
            }
        }
        if (retryAfter != null) {
            long seconds = Math.max(1, (retryAfter.toMillis() + 999) / 1000);
            headers.set(HttpHeaders.RETRY_AFTER, Long.toString(seconds));
        }
        return response.writeWith(Mono.fromSupplier(() -> response.bufferFactory().wrap(error.body())));
    }
}
