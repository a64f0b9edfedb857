package dev.wechatauth.app.web;

import dev.wechatauth.gateway.error.ErrorResponseWriter;
import dev.wechatauth.gateway.error.GatewayError;
import dev.wechatauth.gateway.web.RequestPathGuard;
import org.springframework.core.Ordered;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * Keeps the public port's actuator to {@code /actuator/health} alone: the links index, health components and every
 * other endpoint answer 404 {@code not_found}, as JSON, before the actuator sees them.
 */
public class ActuatorExposureGuard implements WebFilter, Ordered {

    private final String basePath;
    private final String healthPath;
    private final ErrorResponseWriter errors;

    public ActuatorExposureGuard(String basePath, ErrorResponseWriter errors) {
        this.basePath = basePath;
        this.healthPath = basePath + "/health";
        this.errors = errors;
    }

    @Override
    public int getOrder() {
        return RequestPathGuard.ORDER + 1;
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        String path = exchange.getRequest().getPath().value();
        boolean actuator = path.equals(basePath) || path.startsWith(basePath + "/");
        if (actuator && !path.equals(healthPath)) {
            return errors.write(exchange, GatewayError.NOT_FOUND);
        }
        return chain.filter(exchange);
    }
}
