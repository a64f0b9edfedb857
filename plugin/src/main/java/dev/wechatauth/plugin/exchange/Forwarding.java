package dev.wechatauth.plugin.exchange;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

import org.springframework.cloud.gateway.filter.GatewayFilterChain;
import org.springframework.http.HttpHeaders;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * Forwards an exchanged request to the route's service: the body as it was read, the request headers as
 * {@code requestHeaders} sets them, and {@code responseHeaders} added to the service's answer. A request the
 * service never answers (unreachable, too slow) gets the gateway's error without those response headers, so a
 * client never receives a token with an error.
 */
public final class Forwarding {

    private Forwarding() {
    }

    public static Mono<Void> forward(ServerWebExchange exchange, GatewayFilterChain chain, ReadBody<?> body,
            Consumer<HttpHeaders> requestHeaders, Consumer<HttpHeaders> responseHeaders) {
        AtomicBoolean failed = new AtomicBoolean();
        ServerHttpResponse response = exchange.getResponse();
        response.beforeCommit(() -> {
            if (!failed.get()) {
                responseHeaders.accept(response.getHeaders());
            }
            return Mono.empty();
        });
        ServerWebExchange forwarded = exchange.mutate()
                .request(body.replay(exchange.getRequest().mutate().headers(requestHeaders).build()))
                .build();
        return chain.filter(forwarded).doOnError(failure -> failed.set(true));
    }
}
