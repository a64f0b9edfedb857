package dev.wechatauth.gateway.web;

import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;

import dev.wechatauth.gateway.error.ErrorResponseWriter;
import dev.wechatauth.gateway.error.GatewayError;
import dev.wechatauth.gateway.error.GatewayErrorException;
import dev.wechatauth.gateway.filter.BearerToken;
import dev.wechatauth.gateway.session.Session;
import dev.wechatauth.gateway.session.SessionStore;
import org.springframework.core.Ordered;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * The built-in endpoints, answered before routing: {@code POST {logout}} ends the session of the bearer token
 * (204), {@code GET {session}} describes it ({@code {"openid","unionid"?,"appid","expiresIn"}}). Both need the
 * token: none is 401 {@code missing_token}, an unknown one 401 {@code invalid_token}.
 */
public class SessionEndpointsWebFilter implements WebFilter, Ordered {

    /** Right after the path guard. */
    public static final int ORDER = RequestPathGuard.ORDER + 1;

    private final String logoutPath;
    private final String sessionPath;
    private final SessionStore sessions;
    private final ErrorResponseWriter errors;

    public SessionEndpointsWebFilter(String logoutPath, String sessionPath, SessionStore sessions,
            ErrorResponseWriter errors) {
        this.logoutPath = logoutPath;
        this.sessionPath = sessionPath;
        this.sessions = sessions;
        this.errors = errors;
    }

    @Override
    public int getOrder() {
        return ORDER;
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

    private Mono<Void> only(HttpMethod method, ServerWebExchange exchange, Supplier<Mono<Void>> then) {
        if (exchange.getRequest().getMethod() != method) {
            exchange.getAttributes().put(ErrorResponseWriter.ALLOWED_METHODS, method);
            return errors.write(exchange, GatewayError.METHOD_NOT_ALLOWED);
        }
        return then.get().onErrorResume(GatewayErrorException.class, failure -> errors.write(exchange, failure));
    }

    private Mono<Void> logout(ServerWebExchange exchange) {
        return token(exchange)
                .flatMap(sessions::delete)
                .flatMap(deleted -> {
                    if (!deleted) {
                        return Mono.error(new GatewayErrorException(GatewayError.INVALID_TOKEN));
                    }
                    exchange.getResponse().setStatusCode(HttpStatus.NO_CONTENT);
                    return exchange.getResponse().setComplete();
                });
    }

    private Mono<Void> describe(ServerWebExchange exchange) {
        return token(exchange)
                .flatMap(sessions::find)
                .switchIfEmpty(Mono.error(() -> new GatewayErrorException(GatewayError.INVALID_TOKEN)))
                .flatMap(session -> writeJson(exchange.getResponse(), describe(session)));
    }

    private String describe(Session session) {
        StringBuilder json = new StringBuilder(128).append("{\"openid\":\"").append(session.openid()).append('"');
        if (session.unionid() != null) {
            json.append(",\"unionid\":\"").append(session.unionid()).append('"');
        }
        return json.append(",\"appid\":\"").append(session.appid())
                .append("\",\"expiresIn\":").append(sessions.ttl().toSeconds()).append('}').toString();
    }

    private static Mono<String> token(ServerWebExchange exchange) {
        BearerToken bearer = BearerToken.from(exchange.getRequest().getHeaders());
        return switch (bearer.kind()) {
            case PRESENT -> Mono.just(bearer.token());
            case NONE -> Mono.error(new GatewayErrorException(GatewayError.MISSING_TOKEN));
            case MALFORMED -> Mono.error(new GatewayErrorException(GatewayError.INVALID_TOKEN));
            case DUPLICATE -> Mono.error(new GatewayErrorException(GatewayError.DUPLICATE_AUTHORIZATION));
        };
    }

    private static Mono<Void> writeJson(ServerHttpResponse response, String json) {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        response.setStatusCode(HttpStatus.OK);
        response.getHeaders().setContentType(MediaType.APPLICATION_JSON);
        response.getHeaders().setContentLength(bytes.length);
        response.getHeaders().setCacheControl("no-store");
        return response.writeWith(Mono.fromSupplier(() -> response.bufferFactory().wrap(bytes)));
    }
}
