package dev.wechatauth.plugin.exchange;

import java.util.function.Consumer;

import org.springframework.http.HttpHeaders;
import org.springframework.http.server.reactive.AbstractServerHttpRequest;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.support.Netty4HeadersAdapter;
import org.springframework.web.server.ServerWebExchange;
import reactor.netty.http.server.HttpServerRequest;

/**
 * Changes the headers of the request a global filter forwards, without copying them when that is safe.
 * <p>
 * Spring's request headers are read-only, and {@code exchange.mutate()} copies every header into a new request. On
 * Reactor Netty, a request nobody has mutated yet reads its headers live from the Netty request, so they are changed
 * there in place, and the exchange stays as it is: what Spring Cloud Gateway forwards is read from the same headers.
 * A request already replaced by an earlier filter (its headers a copy), or another server, gets the copy as before.
 * Only for filters that run once per request, before anything has read the headers it changes.
 */
public final class RequestHeaders {

    /** Spring's request on Reactor Netty, whose headers are a view of the Netty request's (package-private). */
    private static final String REACTOR_REQUEST = "org.springframework.http.server.reactive.ReactorServerHttpRequest";

    private RequestHeaders() {
    }

    /** {@code exchange} with its request headers changed by {@code change}: the same exchange when done in place. */
    public static ServerWebExchange changed(ServerWebExchange exchange, Consumer<HttpHeaders> change) {
        ServerHttpRequest request = exchange.getRequest();
        if (request.getClass().getName().equals(REACTOR_REQUEST)
                && ((AbstractServerHttpRequest) request).getNativeRequest() instanceof HttpServerRequest netty) {
            change.accept(new HttpHeaders(new Netty4HeadersAdapter(netty.requestHeaders())));
            return exchange;
        }
        return exchange.mutate().request(mutated -> mutated.headers(change)).build();
    }
}
