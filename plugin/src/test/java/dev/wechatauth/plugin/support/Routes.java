package dev.wechatauth.plugin.support;

import org.springframework.cloud.gateway.route.Route;
import org.springframework.cloud.gateway.support.ServerWebExchangeUtils;
import org.springframework.web.server.ServerWebExchange;

/** Routes as the gateway's route locator would hand them to global filters. */
public final class Routes {

    private Routes() {
    }

    /** A route to {@code uri} whose {@code metadata.auth} is {@code policy}, or without that key when null. */
    public static Route route(String uri, String policy) {
        Route.AsyncBuilder builder = Route.async().id("r").uri(uri).predicate(exchange -> true);
        if (policy != null) {
            builder.metadata("auth", policy);
        }
        return builder.build();
    }

    /** Marks {@code exchange} as matched by {@code route}. */
    public static <E extends ServerWebExchange> E routed(E exchange, Route route) {
        exchange.getAttributes().put(ServerWebExchangeUtils.GATEWAY_ROUTE_ATTR, route);
        return exchange;
    }
}
