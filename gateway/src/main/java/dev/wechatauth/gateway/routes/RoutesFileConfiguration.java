package dev.wechatauth.gateway.routes;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.cloud.gateway.config.GatewayProperties;
import org.springframework.cloud.gateway.filter.factory.GatewayFilterFactory;
import org.springframework.cloud.gateway.handler.predicate.RoutePredicateFactory;
import org.springframework.cloud.gateway.support.ConfigurationService;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/**
 * Serves the routes of {@code gateway.routes-file} (default {@code routes.yml} in the working directory), read at start
 * (a missing or invalid file stops the gateway) and applied again whenever it changes ({@link RoutesFileWatcher}).
 */
@Configuration(proxyBeanMethods = false)
public class RoutesFileConfiguration {

    /** How often the file is looked at; a change is applied after two looks, well within the 5 s promised. */
    static final Duration POLL = Duration.ofSeconds(1);

    @Bean
    RunningRoutes routesFileRouteDefinitionLocator(@Value("${gateway.routes-file:routes.yml}") String routesFile,
            Environment environment) {
        return new RunningRoutes(RoutesFile.read(Path.of(routesFile), environment));
    }

    @Bean
    RoutesFileWatcher routesFileWatcher(@Value("${gateway.routes-file:routes.yml}") String routesFile,
            Environment environment, RunningRoutes running, List<RoutePredicateFactory> predicates,
            List<GatewayFilterFactory> filters, GatewayProperties gateway, ConfigurationService configuration,
            ApplicationEventPublisher events, ObjectProvider<MeterRegistry> registry) {
        return new RoutesFileWatcher(Path.of(routesFile), environment, running,
                new RouteCheck(predicates, filters, gateway, configuration), events, POLL,
                registry.getIfAvailable(CompositeMeterRegistry::new));
    }
}
