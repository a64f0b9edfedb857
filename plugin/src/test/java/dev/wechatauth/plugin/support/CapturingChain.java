package dev.wechatauth.plugin.support;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

import org.springframework.cloud.gateway.filter.GatewayFilterChain;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/** The rest of a gateway filter chain: remembers the exchange it was handed, then does what it is told (by default nothing). */
public final class CapturingChain implements GatewayFilterChain {

    private final AtomicReference<ServerWebExchange> forwarded = new AtomicReference<>();
    private final AtomicInteger calls = new AtomicInteger();
    private final Function<ServerWebExchange, Mono<Void>> then;

    public CapturingChain() {
        this(exchange -> Mono.empty());
    }

    public CapturingChain(Function<ServerWebExchange, Mono<Void>> then) {
        this.then = then;
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange) {
        calls.incrementAndGet();
        forwarded.set(exchange);
        return then.apply(exchange);
    }

    /** The exchange that went on, or null if the chain was not called. */
    public ServerWebExchange forwarded() {
        return forwarded.get();
    }

    public boolean wasCalled() {
        return calls.get() > 0;
    }

    public int calls() {
        return calls.get();
    }
}
