package dev.wechatauth.gateway.actuator;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Registers the {@link ActuatorExposureGuard} for the management base path (default {@code /actuator}). */
@Configuration(proxyBeanMethods = false)
public class ActuatorExposureConfiguration {

    @Bean
    ActuatorExposureGuard actuatorExposureGuard(
            @Value("${management.endpoints.web.base-path:/actuator}") String basePath) {
        return new ActuatorExposureGuard(basePath);
    }
}
