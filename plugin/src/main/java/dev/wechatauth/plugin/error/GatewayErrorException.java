package dev.wechatauth.plugin.error;

import java.time.Duration;
import java.util.Set;

import org.springframework.http.HttpMethod;

/**
 * The one way a request ends with an error of the gateway's own: thrown (or emitted) by any step, answered by
 * {@link JsonErrorWebExceptionHandler}. It carries everything the answer needs: the {@link GatewayError} (status and
 * code), how long to wait before retrying ({@code Retry-After}), and the methods a path allows ({@code Allow} on a
 * 405). It has no stack trace: it is a status, not a fault.
 */
public class GatewayErrorException extends RuntimeException {

    private final GatewayError error;
    private final Duration retryAfter;
    private final Set<HttpMethod> allowedMethods;

    public GatewayErrorException(GatewayError error) {
        this(error, null, Set.of());
    }

    public GatewayErrorException(GatewayError error, Duration retryAfter) {
        this(error, retryAfter, Set.of());
    }

    private GatewayErrorException(GatewayError error, Duration retryAfter, Set<HttpMethod> allowedMethods) {
        super(error.code(), null, false, false);
        this.error = error;
        this.retryAfter = retryAfter;
        this.allowedMethods = allowedMethods;
    }

    /** A 405 for a path that allows {@code allowed} only. */
    public static GatewayErrorException methodNotAllowed(HttpMethod... allowed) {
        return new GatewayErrorException(GatewayError.METHOD_NOT_ALLOWED, null, Set.of(allowed));
    }

    public GatewayError error() {
        return error;
    }

    /** How long the client should wait before retrying, or {@code null}. */
    public Duration retryAfter() {
        return retryAfter;
    }

    /** The methods the path allows, sent as {@code Allow} with a 405; empty otherwise. */
    public Set<HttpMethod> allowedMethods() {
        return allowedMethods;
    }
}
