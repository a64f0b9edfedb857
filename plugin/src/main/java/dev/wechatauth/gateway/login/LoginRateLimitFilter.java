package dev.wechatauth.gateway.login;

import dev.wechatauth.gateway.error.ErrorResponseWriter;
import dev.wechatauth.gateway.error.GatewayErrorException;
import dev.wechatauth.gateway.filter.AuthenticationFilter;
import dev.wechatauth.gateway.filter.RoutePolicy;
import org.springframework.cloud.gateway.filter.GatewayFilterChain;
import org.springframework.cloud.gateway.filter.GlobalFilter;
import org.springframework.cloud.gateway.route.Route;
import org.springframework.cloud.gateway.support.ServerWebExchangeUtils;
import org.springframework.core.Ordered;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * Counts every attempt on a {@code login} route against its client address, whatever the attempt's outcome, and
 * answers 429 {@code rate_limited} with {@code Retry-After} past the limit, before the body is read or WeChat is
 * called.
 */
public class LoginRateLimitFilter implements GlobalFilter, Ordered {

    /** After {@link AuthenticationFilter}, before {@link LoginFilter}. */
    public static final int ORDER = AuthenticationFilter.ORDER + 1;

    private final ClientAddress clients;
    private final LoginRateLimiter limiter;
    private final ErrorResponseWriter errors;

    public LoginRateLimitFilter(ClientAddress clients, LoginRateLimiter limiter, ErrorResponseWriter errors) {
        this.clients = clients;
        this.limiter = limiter;
        this.errors = errors;
    }

    @Override
    public int getOrder() {
        return ORDER;
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, GatewayFilterChain chain) {
        Route route = exchange.getAttribute(ServerWebExchangeUtils.GATEWAY_ROUTE_ATTR);
        if (RoutePolicy.of(route) != RoutePolicy.LOGIN) {
            return chain.filter(exchange);
        }
        return limiter.attempt(clients.of(exchange.getRequest()))
                .then(Mono.defer(() -> chain.filter(exchange)))
                .onErrorResume(GatewayErrorException.class, failure -> errors.write(exchange, failure));
    }
}
