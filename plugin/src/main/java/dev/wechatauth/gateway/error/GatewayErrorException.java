package dev.wechatauth.gateway.error;

import java.time.Duration;

/**
 * An expected outcome that ends a request with one of the contract's errors. Carries no stack trace: it is a
 * status, not a fault.
 */
public class GatewayErrorException extends RuntimeException {

    private final GatewayError error;
    private final Duration retryAfter;

    public GatewayErrorException(GatewayError error) {
        this(error, null);
    }

    public GatewayErrorException(GatewayError error, Duration retryAfter) {
        super(error.code(), null, false, false);
        this.error = error;
        this.retryAfter = retryAfter;
    }

    public GatewayError error() {
        return error;
    }

    /** How long the client should wait before retrying, or {@code null}. */
    public Duration retryAfter() {
        return retryAfter;
    }
}
