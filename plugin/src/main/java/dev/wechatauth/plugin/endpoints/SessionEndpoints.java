package dev.wechatauth.plugin.endpoints;

import java.util.function.Supplier;

import dev.wechatauth.plugin.error.GatewayError;
import dev.wechatauth.plugin.error.GatewayErrorException;
import dev.wechatauth.plugin.exchange.JsonAnswer;
import dev.wechatauth.plugin.identity.BearerToken;
import dev.wechatauth.plugin.routing.GatewayOrder;
import dev.wechatauth.plugin.session.Session;
import dev.wechatauth.plugin.session.SessionStore;
import org.springframework.core.Ordered;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * The built-in session endpoints, answered before routing: {@code POST {logout}} ends the session of the bearer
 * token (204), {@code GET {session}} describes it ({@code {"openid","unionid"?,"appid","expiresIn"}}). Both need the
 * token: none is 401 {@code missing_token}, an unknown one 401 {@code invalid_token}; another method is 405.
 */
public class SessionEndpoints implements WebFilter, Ordered {

    private final String logoutPath;
    private final String sessionPath;
    private final SessionStore sessions;

    public SessionEndpoints(String logoutPath, String sessionPath, SessionStore sessions) {
        this.logoutPath = logoutPath;
        this.sessionPath = sessionPath;
        this.sessions = sessions;
    }

    @Override
    public int getOrder() {
        return GatewayOrder.SESSION_ENDPOINTS;
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        String path = exchange.getRequest().getPath().value();
        if (path.equals(logoutPath)) {
            return only(HttpMethod.POST, exchange, () -> logout(exchange));
        }
        if (path.equals(sessionPath)) {
            return only(HttpMethod.GET, exchange, () -> describe(exchange));
        }
        return chain.filter(exchange);
    }

    private static Mono<Void> only(HttpMethod method, ServerWebExchange exchange, Supplier<Mono<Void>> then) {
        return exchange.getRequest().getMethod() == method ? Mono.defer(then)
                : Mono.error(GatewayErrorException.methodNotAllowed(method));
    }

    private Mono<Void> logout(ServerWebExchange exchange) {
        return sessions.delete(BearerToken.from(exchange.getRequest().getHeaders()).require())
                .flatMap(deleted -> {
                    if (!deleted) {
                        return Mono.error(new GatewayErrorException(GatewayError.INVALID_TOKEN));
                    }
                    exchange.getResponse().setStatusCode(HttpStatus.NO_CONTENT);
                    return exchange.getResponse().setComplete();
                });
    }

    private Mono<Void> describe(ServerWebExchange exchange) {
        return sessions.find(BearerToken.from(exchange.getRequest().getHeaders()).require())
                .switchIfEmpty(Mono.error(() -> new GatewayErrorException(GatewayError.INVALID_TOKEN)))
                .flatMap(session -> JsonAnswer.write(exchange, describe(session)));
    }

    private String describe(Session session) {
        StringBuilder json = new StringBuilder(128).append("{\"openid\":\"").append(session.openid()).append('"');
        if (session.unionid() != null) {
            json.append(",\"unionid\":\"").append(session.unionid()).append('"');
        }
        return json.append(",\"appid\":\"").append(session.appid())
                .append("\",\"expiresIn\":").append(sessions.ttl().toSeconds()).append('}').toString();
    }
}
