package dev.wechatauth.gateway.actuator;

import java.util.Map;

import org.springframework.boot.actuate.endpoint.ApiVersion;
import org.springframework.boot.actuate.endpoint.SecurityContext;
import org.springframework.boot.actuate.endpoint.web.WebServerNamespace;
import org.springframework.boot.health.actuate.endpoint.ReactiveHealthEndpointWebExtension;
import org.springframework.http.CacheControl;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.server.RequestPredicates;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Mono;

/**
 * {@code GET /actuator/health} on the public port, for load balancers that can only probe the port they send traffic
 * to: the status the actuator's health endpoint computes (Redis included), as {@code {"status":"UP"}} with 200, or
 * {@code {"status":"DOWN"}} (or {@code OUT_OF_SERVICE}) with 503. No component and no detail is ever shown here, whatever
 * {@code management.endpoint.health.show-details} says for the management port.
 */
public final class PublicHealth {

    private final ReactiveHealthEndpointWebExtension health;

    public PublicHealth(ReactiveHealthEndpointWebExtension health) {
        this.health = health;
    }

    /** The route of {@code path}, for {@code GET} (and so {@code HEAD}). */
    public RouterFunction<ServerResponse> route(String path) {
        return RouterFunctions.route(RequestPredicates.GET(path), request -> answer());
    }

    private Mono<ServerResponse> answer() {
        return health.health(ApiVersion.LATEST, WebServerNamespace.SERVER, SecurityContext.NONE)
                .flatMap(response -> ServerResponse.status(response.getStatus())
                        .contentType(MediaType.APPLICATION_JSON)
                        .cacheControl(CacheControl.noStore())
                        .bodyValue(Map.of("status", response.getBody().getStatus().getCode())));
    }
}
