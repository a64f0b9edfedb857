package dev.wechatauth.plugin.routing;

import org.springframework.cloud.gateway.filter.GatewayFilterChain;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * What the gateway does with a request on a route of one or more {@link RoutePolicy policies}: forward it (through
 * {@code chain}), enriched as the policy says, or answer it itself. An error the client must see is emitted as a
 * {@link dev.wechatauth.plugin.error.GatewayErrorException}, never written here.
 */
@FunctionalInterface
public interface PolicyHandler {

    Mono<Void> handle(ServerWebExchange exchange, GatewayFilterChain chain, RouteTarget route);
}
