package dev.wechatauth.plugin.decrypt;

import java.nio.charset.StandardCharsets;

import dev.wechatauth.plugin.exchange.BodyReader;
import dev.wechatauth.plugin.exchange.Forwarding;
import dev.wechatauth.plugin.exchange.JsonAnswer;
import dev.wechatauth.plugin.exchange.ReadBody;
import dev.wechatauth.plugin.error.GatewayErrorException;
import dev.wechatauth.plugin.identity.BearerToken;
import dev.wechatauth.plugin.identity.DownstreamIdentity;
import dev.wechatauth.plugin.identity.RequiredSession;
import dev.wechatauth.plugin.routing.PolicyHandler;
import dev.wechatauth.plugin.routing.RouteTarget;
import dev.wechatauth.plugin.session.Session;
import dev.wechatauth.plugin.session.SessionStore;
import org.springframework.cloud.gateway.filter.GatewayFilterChain;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The decrypt request, on routes whose policy is {@code decrypt}, top to bottom:
 * <ol>
 * <li>Session: the bearer token's session, as on a {@code required} route (401 {@code missing_token} /
 * {@code invalid_token}).</li>
 * <li>Method {@code POST} (else 405), then the body: {@code encryptedData} and {@code iv}, as JSON or a form, at
 * most the configured size.</li>
 * <li>Exchange: the user's newest session_key from the store (the session's own when the store has none), then
 * {@link EncryptedData#decrypt}: 400 {@code decrypt_failed} unless it decrypts to a JSON object carrying the
 * session's appid in its watermark.</li>
 * <li>Answer ({@code uri: no://op}): that object without its watermark; or forward: that object as the request body
 * ({@code Content-Type: application/json}), the client's identity-like headers and {@code Authorization} replaced by
 * the session's identity and its JWT.</li>
 * </ol>
 * Nothing here calls WeChat.
 */
public class DecryptRoute implements PolicyHandler {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final RequiredSession sessions;
    private final SessionStore store;
    private final BodyReader bodies;
    private final DownstreamIdentity identity;

    public DecryptRoute(RequiredSession sessions, SessionStore store, BodyReader bodies, DownstreamIdentity identity) {
        this.sessions = sessions;
        this.store = store;
        this.bodies = bodies;
        this.identity = identity;
    }

    @Override
    public Mono<Void> handle(ServerWebExchange exchange, GatewayFilterChain chain, RouteTarget route) {
        ServerHttpRequest request = exchange.getRequest();
        return sessions.of(request.getHeaders())
                .flatMap(session -> body(request)
                        .flatMap(body -> store.newestSessionKey(session.appid(), session.openid())
                                .defaultIfEmpty(session.sessionKey())
                                .map(sessionKey -> EncryptedData.decrypt(sessionKey, body.value().encryptedData(),
                                        body.value().iv(), session.appid())))
                        .flatMap(plain -> {
                            byte[] json = JSON.writeValueAsBytes(plain);
                            return route.answersItself()
                                    ? JsonAnswer.write(exchange, new String(json, StandardCharsets.UTF_8))
                                    : Forwarding.forward(exchange, chain, new ReadBody<ObjectNode>(json, plain),
                                            headers -> headers(headers, session, route, json.length),
                                            headers -> { });
                        }));
    }

    private Mono<ReadBody<DecryptRequest>> body(ServerHttpRequest request) {
        return request.getMethod() == HttpMethod.POST
                ? bodies.read(request, DecryptRequest::fromJson, DecryptRequest::fromForm)
                : Mono.error(GatewayErrorException.methodNotAllowed(HttpMethod.POST));
    }

    /** The bearer token is still in {@code headers}: they are the client's, about to be changed. */
    private void headers(HttpHeaders headers, Session session, RouteTarget route, int length) {
        identity.identify(headers, session, BearerToken.from(headers).token(), route);
        headers.setContentType(MediaType.APPLICATION_JSON);
        headers.remove(HttpHeaders.TRANSFER_ENCODING);
        headers.remove(HttpHeaders.CONTENT_ENCODING);
        headers.setContentLength(length);
    }
}
