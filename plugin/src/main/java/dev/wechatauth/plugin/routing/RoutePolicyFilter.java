package dev.wechatauth.plugin.routing;

import java.util.EnumMap;
import java.util.Map;

import org.springframework.cloud.gateway.filter.GatewayFilterChain;
import org.springframework.cloud.gateway.filter.GlobalFilter;
import org.springframework.cloud.gateway.support.ServerWebExchangeUtils;
import org.springframework.core.Ordered;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * The gateway's one global filter: resolves the route's {@link RouteTarget} once and hands the request to the
 * {@link PolicyHandler} of its policy, before any other filter sees it. Every policy has a handler; building this
 * filter fails otherwise, so no policy can fall through unguarded.
 */
public class RoutePolicyFilter implements GlobalFilter, Ordered {

    private final Map<RoutePolicy, PolicyHandler> handlers;

    public RoutePolicyFilter(Map<RoutePolicy, PolicyHandler> handlers) {
        for (RoutePolicy policy : RoutePolicy.values()) {
            if (handlers.get(policy) == null) {
                throw new IllegalArgumentException("no handler for the " + policy + " policy");
            }
        }
        this.handlers = new EnumMap<>(handlers);
    }

    @Override
    public int getOrder() {
        return GatewayOrder.ROUTE_POLICY;
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, GatewayFilterChain chain) {
        RouteTarget route = RouteTarget.of(exchange.getAttribute(ServerWebExchangeUtils.GATEWAY_ROUTE_ATTR));
        return handlers.get(route.policy()).handle(exchange, chain, route);
    }
}
