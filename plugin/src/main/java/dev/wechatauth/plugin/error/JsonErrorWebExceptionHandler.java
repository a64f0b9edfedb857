package dev.wechatauth.plugin.error;

import java.io.IOException;
import java.net.ConnectException;
import java.util.concurrent.TimeoutException;

import io.netty.channel.ConnectTimeoutException;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.boot.webflux.error.ErrorWebExceptionHandler;
import org.springframework.core.Ordered;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.dao.DataAccessException;
import org.springframework.http.HttpStatus;
import org.springframework.web.server.ResponseStatusException;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;
import reactor.netty.http.client.PrematureCloseException;

/**
 * The one place where errors are answered. Every step of the gateway ends a request with an error by emitting a
 * {@link GatewayErrorException}; this handler writes it. Any other failure that reaches Spring WebFlux (a downstream
 * service unreachable or too slow, Redis down, a body over a codec's limit, Spring's own 404 and 405) is classified
 * into the matching {@link GatewayError} first, so that no client ever sees Spring Boot's error page or a stack
 * trace. Runs before Boot's own handler.
 */
public class JsonErrorWebExceptionHandler implements ErrorWebExceptionHandler, Ordered {

    /** Before Spring Boot's {@code DefaultErrorWebExceptionHandler} ({@code -1}). */
    public static final int ORDER = -2;

    private static final Log log = LogFactory.getLog(JsonErrorWebExceptionHandler.class);

    private final ErrorResponseWriter writer;

    public JsonErrorWebExceptionHandler(ErrorResponseWriter writer) {
        this.writer = writer;
    }

    @Override
    public int getOrder() {
        return ORDER;
    }

    @Override
    public Mono<Void> handle(ServerWebExchange exchange, Throwable failure) {
        if (exchange.getResponse().isCommitted()) {
            return Mono.error(failure);
        }
        if (failure instanceof GatewayErrorException expected) {
            return writer.write(exchange, expected);
        }
        GatewayError error = classify(failure);
        if (error == GatewayError.INTERNAL) {
            log.error("Unexpected failure answering " + exchange.getRequest().getMethod() + " "
                    + exchange.getRequest().getPath().value(), failure);
        } else if (log.isDebugEnabled()) {
            log.debug("Answered " + error.code() + " for " + failure.getClass().getName());
        }
        return writer.write(exchange, new GatewayErrorException(error));
    }

    /** The documented error (docs/reference.md, Errors) for a failure that was not already one. */
    public static GatewayError classify(Throwable failure) {
        if (failure instanceof ResponseStatusException status) {
            return fromStatus(HttpStatus.resolve(status.getStatusCode().value()));
        }
        if (failure instanceof DataBufferLimitException) {
            return GatewayError.BODY_TOO_LARGE;
        }
        if (failure instanceof DataAccessException) {
            return GatewayError.SESSION_STORE_UNAVAILABLE;
        }
        if (failure instanceof TimeoutException) {
            return GatewayError.UPSTREAM_TIMEOUT;
        }
        if (failure instanceof ConnectException || failure instanceof ConnectTimeoutException
                || failure instanceof PrematureCloseException || failure instanceof IOException) {
            return GatewayError.UPSTREAM_UNAVAILABLE;
        }
        Throwable cause = failure.getCause();
        return cause != null && cause != failure ? classify(cause) : GatewayError.INTERNAL;
    }

    private static GatewayError fromStatus(HttpStatus status) {
        if (status == null) {
            return GatewayError.INTERNAL;
        }
        return switch (status) {
            case NOT_FOUND -> GatewayError.NOT_FOUND;
            case METHOD_NOT_ALLOWED -> GatewayError.METHOD_NOT_ALLOWED;
            case CONTENT_TOO_LARGE -> GatewayError.BODY_TOO_LARGE;
            case UNSUPPORTED_MEDIA_TYPE -> GatewayError.UNSUPPORTED_MEDIA_TYPE;
            case GATEWAY_TIMEOUT -> GatewayError.UPSTREAM_TIMEOUT;
            case BAD_GATEWAY, SERVICE_UNAVAILABLE -> GatewayError.UPSTREAM_UNAVAILABLE;
            default -> status.is4xxClientError() ? GatewayError.INVALID_REQUEST : GatewayError.INTERNAL;
        };
    }
}
