package dev.wechatauth.plugin.support;

import java.time.Duration;

import dev.wechatauth.plugin.error.ErrorResponseWriter;
import dev.wechatauth.plugin.error.JsonErrorWebExceptionHandler;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/** Runs a step of the gateway as WebFlux would: an error it emits is answered by the gateway's one error handler. */
public final class Answered {

    private static final JsonErrorWebExceptionHandler ERRORS = new JsonErrorWebExceptionHandler(new ErrorResponseWriter());

    private Answered() {
    }

    /** Subscribes to {@code step} on {@code exchange} and waits until the exchange is answered or forwarded. */
    public static void run(ServerWebExchange exchange, Mono<Void> step) {
        StepVerifier.create(step.onErrorResume(failure -> ERRORS.handle(exchange, failure)))
                .expectComplete()
                .verify(Duration.ofSeconds(10));
    }
}
