package dev.wechatauth.plugin.exchange;

import java.nio.charset.StandardCharsets;

import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/** The gateway's own successful answers: {@code 200} JSON, never cached (they carry tokens and identities). */
public final class JsonAnswer {

    private JsonAnswer() {
    }

    /** Answers {@code json} with 200. */
    public static Mono<Void> write(ServerWebExchange exchange, String json) {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        ServerHttpResponse response = exchange.getResponse();
        response.setStatusCode(HttpStatus.OK);
        response.getHeaders().setContentType(MediaType.APPLICATION_JSON);
        response.getHeaders().setContentLength(bytes.length);
        response.getHeaders().setCacheControl("no-store");
        return response.writeWith(Mono.fromSupplier(() -> response.bufferFactory().wrap(bytes)));
    }
}
