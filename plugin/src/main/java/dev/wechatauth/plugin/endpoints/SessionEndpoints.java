package dev.wechatauth.plugin.endpoints;

import java.util.function.Supplier;

import dev.wechatauth.plugin.error.GatewayError;
import dev.wechatauth.plugin.error.GatewayErrorException;
import dev.wechatauth.plugin.exchange.JsonAnswer;
import dev.wechatauth.plugin.identity.BearerToken;
import dev.wechatauth.plugin.routing.GatewayOrder;
import dev.wechatauth.plugin.session.Session;
import dev.wechatauth.plugin.session.SessionStore;
import dev.wechatauth.plugin.session.Tokens;
import org.springframework.context.ApplicationContext;
import org.springframework.context.ApplicationContextAware;
import org.springframework.core.Ordered;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * The built-in session endpoints, answered before routing, each with the bearer token of a session:
 * <ul>
 * <li>{@code POST {logout}} ends that session (204);</li>
 * <li>{@code GET {session}} describes it: {@code {"openid","unionid"?,"appid","expiresIn","createdAt"}};</li>
 * <li>{@code GET {sessions}} lists the sessions of its user in its mini-program, newest first
 * ({@link SessionListJson}); {@code DELETE {sessions}} ends all of them, this one included (204);</li>
 * <li>{@code DELETE {sessions}/{id}} ends one of them (204); an id that is not one of them is 404
 * {@code not_found}.</li>
 * </ul>
 * No token is 401 {@code missing_token}, an unknown one 401 {@code invalid_token}; another method is 405.
 * <p>
 * Only on the public port: a management server of its own (a child context) also runs the application context's web
 * filters, and this one leaves the requests made there alone.
 */
public class SessionEndpoints implements WebFilter, Ordered, ApplicationContextAware {

    private final String logoutPath;
    private final String sessionPath;
    private final String sessionsPath;
    private final String onePrefix;
    private final SessionStore sessions;
    private ApplicationContext publicContext;

    public SessionEndpoints(String logoutPath, String sessionPath, String sessionsPath, SessionStore sessions) {
        this.logoutPath = logoutPath;
        this.sessionPath = sessionPath;
        this.sessionsPath = sessionsPath;
        this.onePrefix = sessionsPath + "/";
        this.sessions = sessions;
    }

    @Override
    public void setApplicationContext(ApplicationContext context) {
        this.publicContext = context;
    }

    @Override
    public int getOrder() {
        return GatewayOrder.SESSION_ENDPOINTS;
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        if (publicContext != null && exchange.getApplicationContext() != null
                && exchange.getApplicationContext() != publicContext) {
            return chain.filter(exchange);
        }
        String path = exchange.getRequest().getPath().value();
        HttpMethod method = exchange.getRequest().getMethod();
        if (path.equals(logoutPath)) {
            return only(HttpMethod.POST, exchange, () -> logout(exchange));
        }
        if (path.equals(sessionPath)) {
            return only(HttpMethod.GET, exchange, () -> describe(exchange));
        }
        if (path.equals(sessionsPath)) {
            if (method == HttpMethod.GET) {
                return Mono.defer(() -> list(exchange));
            }
            return method == HttpMethod.DELETE ? Mono.defer(() -> endAll(exchange))
                    : Mono.error(GatewayErrorException.methodNotAllowed(HttpMethod.GET, HttpMethod.DELETE));
        }
        if (path.startsWith(onePrefix)) {
            return only(HttpMethod.DELETE, exchange, () -> endOne(exchange, path.substring(onePrefix.length())));
        }
        return chain.filter(exchange);
    }

    private static Mono<Void> only(HttpMethod method, ServerWebExchange exchange, Supplier<Mono<Void>> then) {
        return exchange.getRequest().getMethod() == method ? Mono.defer(then)
                : Mono.error(GatewayErrorException.methodNotAllowed(method));
    }

    private Mono<Void> logout(ServerWebExchange exchange) {
        return sessions.delete(token(exchange))
                .flatMap(deleted -> deleted ? noContent(exchange)
                        : Mono.error(new GatewayErrorException(GatewayError.INVALID_TOKEN)));
    }

    private Mono<Void> describe(ServerWebExchange exchange) {
        return session(token(exchange)).flatMap(session -> JsonAnswer.write(exchange, describe(session)));
    }

    private String describe(Session session) {
        StringBuilder json = new StringBuilder(160).append("{\"openid\":\"").append(session.openid()).append('"');
        if (session.unionid() != null) {
            json.append(",\"unionid\":\"").append(session.unionid()).append('"');
        }
        return json.append(",\"appid\":\"").append(session.appid())
                .append("\",\"expiresIn\":").append(sessions.expiresIn(session).toSeconds())
                .append(",\"createdAt\":").append(session.createdAt()).append('}').toString();
    }

    private Mono<Void> list(ServerWebExchange exchange) {
        String token = token(exchange);
        String currentId = Tokens.publicId(Tokens.hash(token));
        return session(token)
                .flatMap(session -> sessions.sessionsOf(session.appid(), session.openid()))
                .flatMap(listed -> JsonAnswer.write(exchange, SessionListJson.of(listed, currentId)));
    }

    private Mono<Void> endAll(ServerWebExchange exchange) {
        return session(token(exchange))
                .flatMap(session -> sessions.endAll(session.appid(), session.openid()))
                .then(Mono.defer(() -> noContent(exchange)));
    }

    private Mono<Void> endOne(ServerWebExchange exchange, String id) {
        return session(token(exchange))
                .flatMap(session -> Tokens.isPublicId(id) ? sessions.end(session.appid(), session.openid(), id)
                        : Mono.just(false))
                .flatMap(ended -> ended ? noContent(exchange)
                        : Mono.error(new GatewayErrorException(GatewayError.SESSION_NOT_FOUND)));
    }

    private static String token(ServerWebExchange exchange) {
        return BearerToken.from(exchange.getRequest().getHeaders()).require();
    }

    private Mono<Session> session(String token) {
        return sessions.find(token)
                .switchIfEmpty(Mono.error(() -> new GatewayErrorException(GatewayError.INVALID_TOKEN)));
    }

    private static Mono<Void> noContent(ServerWebExchange exchange) {
        exchange.getResponse().setStatusCode(HttpStatus.NO_CONTENT);
        return exchange.getResponse().setComplete();
    }
}
