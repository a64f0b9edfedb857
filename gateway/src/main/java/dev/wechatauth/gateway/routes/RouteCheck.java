package dev.wechatauth.gateway.routes;

import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import dev.wechatauth.plugin.config.InvalidSettingsException;
import org.springframework.cloud.gateway.config.GatewayProperties;
import org.springframework.cloud.gateway.filter.factory.GatewayFilterFactory;
import org.springframework.cloud.gateway.handler.predicate.RoutePredicateFactory;
import org.springframework.cloud.gateway.route.RouteDefinition;
import org.springframework.cloud.gateway.route.RouteDefinitionRouteLocator;
import org.springframework.cloud.gateway.support.ConfigurationService;
import reactor.core.publisher.Flux;

/**
 * Builds routes from definitions exactly as the gateway will (its predicate and filter factories, its conversion
 * and validation), without running them: a predicate or a filter that does not exist, or arguments they refuse,
 * fail here instead of in the refresh of the running routes.
 */
final class RouteCheck {

    private final List<RoutePredicateFactory> predicates;
    private final List<GatewayFilterFactory> filters;
    private final GatewayProperties properties;
    private final ConfigurationService configuration;

    RouteCheck(List<RoutePredicateFactory> predicates, List<GatewayFilterFactory> filters,
            GatewayProperties properties, ConfigurationService configuration) {
        this.predicates = predicates;
        this.filters = filters;
        this.properties = properties;
        this.configuration = configuration;
    }

    /** Fails with the reason, in one line, when one of {@code routes} cannot be built. */
    void check(List<RouteDefinition> routes) {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        // the definitions are in memory and building a route is plain computation: the routes are built, or the
        // failure is known, before subscribe returns
        new RouteDefinitionRouteLocator(() -> Flux.fromIterable(routes), predicates, filters, properties, configuration)
                .getRoutes()
                .subscribe(route -> { }, failure::set);
        if (failure.get() != null) {
            throw new InvalidSettingsException("a route cannot be built: " + RoutesFile.reason(failure.get()));
        }
    }
}
