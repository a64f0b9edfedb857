package dev.wechatauth.plugin.identity;

import dev.wechatauth.plugin.error.GatewayError;
import dev.wechatauth.plugin.error.GatewayErrorException;
import dev.wechatauth.plugin.exchange.RequestHeaders;
import dev.wechatauth.plugin.metrics.SessionCheckMeters;
import dev.wechatauth.plugin.routing.PolicyHandler;
import dev.wechatauth.plugin.routing.RoutePolicy;
import dev.wechatauth.plugin.routing.RouteTarget;
import dev.wechatauth.plugin.session.SessionStore;
import org.springframework.cloud.gateway.filter.GatewayFilterChain;
import org.springframework.http.HttpHeaders;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * The authenticated request, on {@code required}, {@code optional} and {@code public} routes, top to bottom:
 * <ol>
 * <li>{@code public}: forwarded as sent, less identity-like headers; no token is looked at.</li>
 * <li>Two {@code Authorization} headers: 400; a malformed bearer token: 401 {@code invalid_token}.</li>
 * <li>No token: 401 {@code missing_token} on {@code required}; forwarded without identity on {@code optional}.</li>
 * <li>A token: its session is looked up (from memory, else Redis): none is 401 {@code invalid_token}, a store that
 * cannot answer 503 {@code session_store_unavailable}.</li>
 * <li>Forwarded with {@code X-OpenId} / {@code X-UnionId} / {@code X-AppId} and the identity JWT
 * ({@link DownstreamIdentity}), after every identity-like header the client sent and its {@code Authorization} were
 * removed.</li>
 * </ol>
 * Each token check of steps 2 to 4 is counted ({@link SessionCheckMeters}).
 */
public class IdentityForwarding implements PolicyHandler {

    private final SessionStore sessions;
    private final DownstreamIdentity identity;
    private final SessionCheckMeters checks;

    /** Identity forwarding whose token checks are not counted. */
    public IdentityForwarding(SessionStore sessions, DownstreamIdentity identity) {
        this(sessions, identity, SessionCheckMeters.unmeasured());
    }

    public IdentityForwarding(SessionStore sessions, DownstreamIdentity identity, SessionCheckMeters checks) {
        this.sessions = sessions;
        this.identity = identity;
        this.checks = checks;
    }

    @Override
    public Mono<Void> handle(ServerWebExchange exchange, GatewayFilterChain chain, RouteTarget route) {
        HttpHeaders sent = exchange.getRequest().getHeaders();
        if (route.policy() == RoutePolicy.PUBLIC) {
            return chain.filter(identity.anyToRemove(sent) ? RequestHeaders.changed(exchange, identity::removeLookAlikes) : exchange);
        }
        BearerToken bearer = BearerToken.from(sent);
        return switch (bearer.kind()) {
            case DUPLICATE -> Mono.error(new GatewayErrorException(GatewayError.DUPLICATE_AUTHORIZATION));
            case MALFORMED -> {
                checks.malformedToken();
                yield Mono.error(new GatewayErrorException(GatewayError.INVALID_TOKEN));
            }
            case NONE -> {
                if (route.policy() != RoutePolicy.REQUIRED) {
                    yield chain.filter(RequestHeaders.changed(exchange, identity::anonymous));
                }
                checks.missingToken();
                yield Mono.error(new GatewayErrorException(GatewayError.MISSING_TOKEN));
            }
            case PRESENT -> checks.counted(sessions.find(bearer.token()))
                    .map(session -> chain.filter(RequestHeaders.changed(exchange,
                            headers -> identity.identify(headers, session, bearer.token(), route))))
                    .switchIfEmpty(Mono.error(() -> new GatewayErrorException(GatewayError.INVALID_TOKEN)))
                    .flatMap(forwarded -> forwarded);
        };
    }
}
