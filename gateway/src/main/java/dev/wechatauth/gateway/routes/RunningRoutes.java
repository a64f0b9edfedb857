package dev.wechatauth.gateway.routes;

import java.util.List;

import org.springframework.cloud.gateway.route.RouteDefinition;
import org.springframework.cloud.gateway.route.RouteDefinitionLocator;
import reactor.core.publisher.Flux;

/**
 * The route definitions of the routes file as last applied: what Spring Cloud Gateway builds its routes from at
 * start and at every {@code RefreshRoutesEvent}. {@link RoutesFileWatcher} replaces them.
 */
public final class RunningRoutes implements RouteDefinitionLocator {

    private volatile List<RouteDefinition> routes;

    public RunningRoutes(List<RouteDefinition> routes) {
        this.routes = List.copyOf(routes);
    }

    @Override
    public Flux<RouteDefinition> getRouteDefinitions() {
        return Flux.fromIterable(routes);
    }

    /** The definitions applied now. */
    public List<RouteDefinition> current() {
        return routes;
    }

    void replace(List<RouteDefinition> next) {
        routes = List.copyOf(next);
    }
}
