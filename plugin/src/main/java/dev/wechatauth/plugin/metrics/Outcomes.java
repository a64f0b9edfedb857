package dev.wechatauth.plugin.metrics;

import dev.wechatauth.plugin.error.GatewayErrorException;
import dev.wechatauth.plugin.error.JsonErrorWebExceptionHandler;

/** The {@code outcome} label of a failure: the {@code error} code its answer carries ({@code invalid_code} …). */
public final class Outcomes {

    public static final String SUCCESS = "success";

    private Outcomes() {
    }

    /** The error code the client is answered for {@code failure}. */
    public static String of(Throwable failure) {
        return failure instanceof GatewayErrorException expected ? expected.error().code()
                : JsonErrorWebExceptionHandler.classify(failure).code();
    }
}
