package dev.wechatauth.gateway.routes;

import java.nio.file.Path;
import java.util.List;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.cloud.gateway.route.RouteDefinition;
import org.springframework.cloud.gateway.route.RouteDefinitionLocator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import reactor.core.publisher.Flux;

/** Serves the routes of {@code gateway.routes-file} (default {@code routes.yml} in the working directory). */
@Configuration(proxyBeanMethods = false)
public class RoutesFileConfiguration {

    @Bean
    RouteDefinitionLocator routesFileRouteDefinitionLocator(
            @Value("${gateway.routes-file:routes.yml}") String routesFile, Environment environment) {
        List<RouteDefinition> routes = RoutesFile.read(Path.of(routesFile), environment);
        return () -> Flux.fromIterable(routes);
    }
}
