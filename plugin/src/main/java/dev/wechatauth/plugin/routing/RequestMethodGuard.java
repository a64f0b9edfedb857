package dev.wechatauth.plugin.routing;

import java.util.Set;

import dev.wechatauth.plugin.error.GatewayErrorException;
import org.springframework.core.Ordered;
import org.springframework.http.HttpMethod;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * Refuses, before routing, every method but {@code GET}, {@code HEAD}, {@code POST}, {@code PUT}, {@code PATCH},
 * {@code DELETE} and {@code OPTIONS}, spelled exactly so: {@code TRACE}, {@code TRACK}, {@code CONNECT}, a lowercase
 * {@code get} or any other word is a 405 and reaches no service. A service that answers {@code TRACE} echoes the
 * request it received, identity headers and identity JWT included, back to the client (cross-site tracing); a method
 * a service spells differently from the gateway's route predicates is a way to make them disagree.
 */
public class RequestMethodGuard implements WebFilter, Ordered {

    private static final Set<HttpMethod> FORWARDED = Set.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.POST,
            HttpMethod.PUT, HttpMethod.PATCH, HttpMethod.DELETE, HttpMethod.OPTIONS);

    @Override
    public int getOrder() {
        return GatewayOrder.METHOD_GUARD;
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        return FORWARDED.contains(exchange.getRequest().getMethod()) ? chain.filter(exchange)
                : Mono.error(GatewayErrorException.methodNotAllowed(FORWARDED.toArray(HttpMethod[]::new)));
    }
}
