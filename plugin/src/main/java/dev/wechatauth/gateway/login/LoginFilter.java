package dev.wechatauth.gateway.login;

import java.nio.charset.StandardCharsets;

import dev.wechatauth.gateway.config.WechatAuthProperties.App;
import dev.wechatauth.gateway.error.ErrorResponseWriter;
import dev.wechatauth.gateway.error.GatewayError;
import dev.wechatauth.gateway.error.GatewayErrorException;
import dev.wechatauth.gateway.filter.IdentityHeaders;
import dev.wechatauth.gateway.filter.RoutePolicy;
import dev.wechatauth.gateway.session.IssuedSession;
import org.springframework.cloud.gateway.filter.GatewayFilterChain;
import org.springframework.cloud.gateway.filter.GlobalFilter;
import org.springframework.cloud.gateway.route.Route;
import org.springframework.cloud.gateway.support.ServerWebExchangeUtils;
import org.springframework.core.Ordered;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * The login exchange on routes whose policy is {@code login}: reads the code, exchanges it with WeChat, creates a
 * session, then either answers the token itself (route {@code uri: no://op}) or forwards the request, body intact
 * and with identity headers, and adds {@code X-Auth-Token} / {@code X-Auth-Expires-In} to the service's answer.
 */
public class LoginFilter implements GlobalFilter, Ordered {

    /** After {@link dev.wechatauth.gateway.filter.AuthenticationFilter}, which has removed identity-like headers, and the login rate limit. */
    public static final int ORDER = LoginRateLimitFilter.ORDER + 1;
    public static final String TOKEN_HEADER = "X-Auth-Token";
    public static final String EXPIRES_IN_HEADER = "X-Auth-Expires-In";
    private static final String SELF_ANSWERING_SCHEME = "no";

    private final LoginBodyReader bodies;
    private final AppSelector apps;
    private final LoginService logins;
    private final ErrorResponseWriter errors;

    public LoginFilter(LoginBodyReader bodies, AppSelector apps, LoginService logins, ErrorResponseWriter errors) {
        this.bodies = bodies;
        this.apps = apps;
        this.logins = logins;
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
        if (exchange.getRequest().getMethod() != HttpMethod.POST) {
            exchange.getAttributes().put(ErrorResponseWriter.ALLOWED_METHODS, HttpMethod.POST);
            return errors.write(exchange, GatewayError.METHOD_NOT_ALLOWED);
        }
        boolean answerItself = SELF_ANSWERING_SCHEME.equalsIgnoreCase(route.getUri().getScheme());
        return bodies.read(exchange.getRequest())
                .flatMap(body -> {
                    App app = apps.select(body.request(), exchange.getRequest().getHeaders());
                    return logins.login(app, body.request().code()).flatMap(issued -> answerItself
                            ? answer(exchange, issued)
                            : forward(exchange, chain, body, issued));
                })
                .onErrorResume(GatewayErrorException.class, failure -> errors.write(exchange, failure));
    }

    private static Mono<Void> answer(ServerWebExchange exchange, IssuedSession issued) {
        byte[] json = LoginAnswer.json(issued).getBytes(StandardCharsets.UTF_8);
        ServerHttpResponse response = exchange.getResponse();
        response.setStatusCode(HttpStatus.OK);
        response.getHeaders().setContentType(MediaType.APPLICATION_JSON);
        response.getHeaders().setContentLength(json.length);
        response.getHeaders().setCacheControl("no-store");
        return response.writeWith(Mono.fromSupplier(() -> response.bufferFactory().wrap(json)));
    }

    private static Mono<Void> forward(ServerWebExchange exchange, GatewayFilterChain chain, LoginBody body,
            IssuedSession issued) {
        ServerHttpResponse response = exchange.getResponse();
        response.beforeCommit(() -> {
            if (exchange.getAttribute(ErrorResponseWriter.ANSWERED_WITH_ERROR) != null) {
                return Mono.empty(); // the service never answered: the client gets the gateway's error, no token
            }
            HttpHeaders headers = response.getHeaders();
            headers.set(TOKEN_HEADER, issued.token());
            headers.set(EXPIRES_IN_HEADER, Long.toString(issued.expiresIn().toSeconds()));
            headers.setCacheControl("no-store");
            return Mono.empty();
        });
        ServerWebExchange forwarded = exchange.mutate()
                .request(body.replay(exchange.getRequest().mutate()
                        .headers(headers -> IdentityHeaders.set(headers, issued.session()))
                        .build()))
                .build();
        return chain.filter(forwarded);
    }
}
