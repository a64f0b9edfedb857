package dev.wechatauth.plugin.login;

import dev.wechatauth.plugin.error.GatewayError;
import dev.wechatauth.plugin.error.GatewayErrorException;
import dev.wechatauth.plugin.exchange.BodyReader;
import dev.wechatauth.plugin.exchange.Forwarding;
import dev.wechatauth.plugin.exchange.JsonAnswer;
import dev.wechatauth.plugin.exchange.ReadBody;
import dev.wechatauth.plugin.identity.BearerToken;
import dev.wechatauth.plugin.identity.DownstreamIdentity;
import dev.wechatauth.plugin.metrics.LoginMeters;
import dev.wechatauth.plugin.routing.PolicyHandler;
import dev.wechatauth.plugin.routing.RouteTarget;
import dev.wechatauth.plugin.session.IssuedSession;
import dev.wechatauth.plugin.wechat.MiniProgram;
import org.springframework.cloud.gateway.filter.GatewayFilterChain;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * The login request, on routes whose policy is {@code login}, top to bottom:
 * <ol>
 * <li>Limit: the attempt counts against the client's address, whatever its outcome; past the limit, 429.</li>
 * <li>Two {@code Authorization} headers: 400; a method other than {@code POST}: 405.</li>
 * <li>Body: the code (and optional appid), as JSON or a form, at most the configured size.</li>
 * <li>Exchange: the mini-program is chosen, the code exchanged with WeChat (or the duplicate window's earlier
 * outcome taken), a session created.</li>
 * <li>Answer ({@code uri: no://op}): {@code {"token","tokenType","expiresIn","openid","unionid"?}}; or forward: the
 * body intact, the client's identity-like headers and {@code Authorization} replaced by the new identity and its
 * JWT ({@link DownstreamIdentity}), and
 * {@code X-Auth-Token} / {@code X-Auth-Expires-In} added to the service's answer.</li>
 * </ol>
 * Attempts refused before a mini-program is chosen are counted here ({@link LoginMeters#refused}); the others by the
 * {@link LoginService}.
 */
public class LoginRoute implements PolicyHandler {

    public static final String TOKEN_HEADER = "X-Auth-Token";
    public static final String EXPIRES_IN_HEADER = "X-Auth-Expires-In";

    private final ClientAddress clients;
    private final LoginRateLimiter limiter;
    private final BodyReader bodies;
    private final AppSelector apps;
    private final LoginService logins;
    private final DownstreamIdentity identity;
    private final LoginMeters meters;

    /** A login route whose refusals are not counted. */
    public LoginRoute(ClientAddress clients, LoginRateLimiter limiter, BodyReader bodies, AppSelector apps,
            LoginService logins, DownstreamIdentity identity) {
        this(clients, limiter, bodies, apps, logins, identity, LoginMeters.unmeasured());
    }

    public LoginRoute(ClientAddress clients, LoginRateLimiter limiter, BodyReader bodies, AppSelector apps,
            LoginService logins, DownstreamIdentity identity, LoginMeters meters) {
        this.clients = clients;
        this.limiter = limiter;
        this.bodies = bodies;
        this.apps = apps;
        this.logins = logins;
        this.identity = identity;
        this.meters = meters;
    }

    /** A readable login body and the mini-program it is for. */
    private record Attempt(MiniProgram app, ReadBody<LoginRequest> body) {
    }

    @Override
    public Mono<Void> handle(ServerWebExchange exchange, GatewayFilterChain chain, RouteTarget route) {
        ServerHttpRequest request = exchange.getRequest();
        return meters.inFlight(limiter.attempt(clients.of(request))
                .then(Mono.defer(() -> {
                    if (BearerToken.from(request.getHeaders()).kind() == BearerToken.Kind.DUPLICATE) {
                        return Mono.error(new GatewayErrorException(GatewayError.DUPLICATE_AUTHORIZATION));
                    }
                    return request.getMethod() == HttpMethod.POST
                            ? bodies.read(request, LoginRequest::fromJson, LoginRequest::fromForm)
                            : Mono.error(GatewayErrorException.methodNotAllowed(HttpMethod.POST));
                }))
                .map(body -> new Attempt(apps.select(body.value(), request.getHeaders()), body))
                .doOnError(meters::refused)
                .flatMap(attempt -> logins.login(attempt.app(), attempt.body().value().code(),
                                request.getHeaders().getFirst(HttpHeaders.USER_AGENT))
                        .flatMap(issued -> route.answersItself()
                                ? JsonAnswer.write(exchange, LoginAnswer.json(issued))
                                : Forwarding.forward(exchange, chain, attempt.body(),
                                        headers -> identity.identify(headers, issued.session(), issued.token(),
                                                route),
                                        headers -> tokenHeaders(headers, issued)))));
    }

    private static void tokenHeaders(HttpHeaders headers, IssuedSession issued) {
        headers.set(TOKEN_HEADER, issued.token());
        headers.set(EXPIRES_IN_HEADER, Long.toString(issued.expiresIn().toSeconds()));
        headers.setCacheControl("no-store");
    }
}
