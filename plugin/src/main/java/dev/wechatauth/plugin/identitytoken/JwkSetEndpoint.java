package dev.wechatauth.plugin.identitytoken;

import dev.wechatauth.plugin.error.GatewayErrorException;
import dev.wechatauth.plugin.routing.GatewayOrder;
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
 * {@code GET /.well-known/jwks.json} (and {@code HEAD}) on the public port, answered before routing from memory: the
 * JWK Set (RFC 7517) of every key whose JWTs may still be valid, on every instance alike. Services verify the identity
 * JWT with it ({@code spring.security.oauth2.resourceserver.jwt.jwk-set-uri}); they may keep it for a minute and fetch
 * it again when a JWT names a key they do not have. Another method is 405.
 */
public class JwkSetEndpoint implements WebFilter, Ordered {

    /** Where the JWK Set is served. */
    public static final String PATH = "/.well-known/jwks.json";
    private static final String CACHE_CONTROL = "public, max-age=60";

    private final IdentityKeys keys;

    public JwkSetEndpoint(IdentityKeys keys) {
        this.keys = keys;
    }

    @Override
    public int getOrder() {
        return GatewayOrder.JWK_SET;
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        if (!exchange.getRequest().getPath().value().equals(PATH)) {
            return chain.filter(exchange);
        }
        HttpMethod method = exchange.getRequest().getMethod();
        if (method != HttpMethod.GET && method != HttpMethod.HEAD) {
            return Mono.error(GatewayErrorException.methodNotAllowed(HttpMethod.GET, HttpMethod.HEAD));
        }
        byte[] jwkSet = keys.jwkSet();
        ServerHttpResponse response = exchange.getResponse();
        response.setStatusCode(HttpStatus.OK);
        response.getHeaders().setContentType(MediaType.APPLICATION_JSON);
        response.getHeaders().setContentLength(jwkSet.length);
        response.getHeaders().setCacheControl(CACHE_CONTROL);
        return method == HttpMethod.HEAD ? response.setComplete()
                : response.writeWith(Mono.fromSupplier(() -> response.bufferFactory().wrap(jwkSet)));
    }
}
