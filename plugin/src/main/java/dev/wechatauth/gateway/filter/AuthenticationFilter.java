package dev.wechatauth.gateway.filter;

import java.util.function.Consumer;

import dev.wechatauth.gateway.error.ErrorResponseWriter;
import dev.wechatauth.gateway.error.GatewayError;
import dev.wechatauth.gateway.error.GatewayErrorException;
import dev.wechatauth.gateway.session.Session;
import dev.wechatauth.gateway.session.SessionStore;
import org.springframework.cloud.gateway.filter.GatewayFilterChain;
import org.springframework.cloud.gateway.filter.GlobalFilter;
import org.springframework.cloud.gateway.route.Route;
import org.springframework.cloud.gateway.support.ServerWebExchangeUtils;
import org.springframework.core.Ordered;
import org.springframework.http.HttpHeaders;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * Applies the route's {@link RoutePolicy} to every routed request, before any other filter sees it: removes
 * identity-like headers the client sent (every route), checks the bearer token ({@code required},
 * {@code optional}), sets {@code X-OpenId} / {@code X-UnionId} / {@code X-AppId}, and keeps {@code Authorization}
 * from reaching the backend (all but {@code public}). The login exchange itself is {@code LoginFilter}'s.
 */
public class AuthenticationFilter implements GlobalFilter, Ordered {

    /** Before every filter that could read or copy request headers. */
    public static final int ORDER = Ordered.HIGHEST_PRECEDENCE + 10;

    private final SessionStore sessions;
    private final ErrorResponseWriter errors;

    public AuthenticationFilter(SessionStore sessions, ErrorResponseWriter errors) {
        this.sessions = sessions;
        this.errors = errors;
    }

    @Override
    public int getOrder() {
        return ORDER;
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, GatewayFilterChain chain) {
        Route route = exchange.getAttribute(ServerWebExchangeUtils.GATEWAY_ROUTE_ATTR);
        RoutePolicy policy = RoutePolicy.of(route);
        if (policy == RoutePolicy.PUBLIC) {
            return chain.filter(IdentityHeaders.anyIn(exchange.getRequest().getHeaders())
                    ? withHeaders(exchange, IdentityHeaders::removeFrom)
                    : exchange);
        }
        BearerToken bearer = BearerToken.from(exchange.getRequest().getHeaders());
        if (bearer.kind() == BearerToken.Kind.DUPLICATE) {
            return errors.write(exchange, GatewayError.DUPLICATE_AUTHORIZATION);
        }
        if (policy == RoutePolicy.LOGIN) {
            return chain.filter(withHeaders(exchange, AuthenticationFilter::anonymous));
        }
        return switch (bearer.kind()) {
            case MALFORMED -> errors.write(exchange, GatewayError.INVALID_TOKEN);
            case NONE -> policy == RoutePolicy.REQUIRED
                    ? errors.write(exchange, GatewayError.MISSING_TOKEN)
                    : chain.filter(withHeaders(exchange, AuthenticationFilter::anonymous));
            default -> authenticate(exchange, chain, bearer.token());
        };
    }

    private Mono<Void> authenticate(ServerWebExchange exchange, GatewayFilterChain chain, String token) {
        return sessions.find(token)
                .map(session -> chain.filter(withHeaders(exchange, headers -> identified(headers, session))))
                .switchIfEmpty(Mono.fromSupplier(() -> errors.write(exchange, GatewayError.INVALID_TOKEN)))
                .onErrorResume(GatewayErrorException.class, failure -> Mono.just(errors.write(exchange, failure)))
                .flatMap(next -> next);
    }

    /** Removes what the client may not send on an authenticated route: identity-like headers and the token. */
    static void anonymous(HttpHeaders headers) {
        IdentityHeaders.removeFrom(headers);
        IdentityHeaders.removeFromConnection(headers);
        headers.remove(HttpHeaders.AUTHORIZATION);
    }

    private static void identified(HttpHeaders headers, Session session) {
        anonymous(headers);
        IdentityHeaders.set(headers, session);
    }

    private static ServerWebExchange withHeaders(ServerWebExchange exchange, Consumer<HttpHeaders> change) {
        return exchange.mutate().request(request -> request.headers(change)).build();
    }
}
