package dev.wechatauth.gateway.actuator;

import dev.wechatauth.plugin.error.GatewayError;
import dev.wechatauth.plugin.error.GatewayErrorException;
import dev.wechatauth.plugin.routing.GatewayOrder;
import org.springframework.context.ApplicationContext;
import org.springframework.context.ApplicationContextAware;
import org.springframework.core.Ordered;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * Keeps the public port's actuator to {@code /actuator/health} alone: the links index, health components and every
 * other endpoint answer 404 {@code not_found}, as JSON, before the actuator sees them.
 * <p>
 * The management port's server (a child context) also runs the web filters of the application context; it is told
 * apart by the context that made the exchange, and this filter leaves its requests alone.
 */
public class ActuatorExposureGuard implements WebFilter, Ordered, ApplicationContextAware {

    private final String basePath;
    private final String healthPath;
    private ApplicationContext publicContext;

    public ActuatorExposureGuard(String basePath) {
        this.basePath = basePath;
        this.healthPath = basePath + "/health";
    }

    @Override
    public void setApplicationContext(ApplicationContext context) {
        this.publicContext = context;
    }

    @Override
    public int getOrder() {
        return GatewayOrder.BEFORE_ROUTING;
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        if (exchange.getApplicationContext() != publicContext) {
            return chain.filter(exchange);
        }
        String path = exchange.getRequest().getPath().value();
        boolean actuator = path.equals(basePath) || path.startsWith(basePath + "/");
        if (actuator && !path.equals(healthPath)) {
            return Mono.error(new GatewayErrorException(GatewayError.NOT_FOUND));
        }
        return chain.filter(exchange);
    }
}
