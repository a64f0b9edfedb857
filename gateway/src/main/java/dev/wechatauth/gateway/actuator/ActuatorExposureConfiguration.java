package dev.wechatauth.gateway.actuator;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.health.actuate.endpoint.ReactiveHealthEndpointWebExtension;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.ServerResponse;

/**
 * What the public port shows of the actuator: {@code /actuator/health} ({@link PublicHealth}) and nothing else
 * ({@link ActuatorExposureGuard}). The actuator itself is served on the management port ({@code management.server.port}).
 */
@Configuration(proxyBeanMethods = false)
public class ActuatorExposureConfiguration {

    @Bean
    ActuatorExposureGuard actuatorExposureGuard(
            @Value("${management.endpoints.web.base-path:/actuator}") String basePath) {
        return new ActuatorExposureGuard(basePath);
    }

    @Bean
    RouterFunction<ServerResponse> publicHealthRoute(ReactiveHealthEndpointWebExtension health,
            @Value("${management.endpoints.web.base-path:/actuator}") String basePath) {
        return new PublicHealth(health).route(basePath + "/health");
    }
}
