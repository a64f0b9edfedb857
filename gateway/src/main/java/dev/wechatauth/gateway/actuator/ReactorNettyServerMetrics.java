package dev.wechatauth.gateway.actuator;

import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.reactor.netty.NettyServerCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Reactor Netty's per-request server series ({@code reactor_netty_http_server_*}: requests by method and status, their
 * time, bytes in and out), which Spring Boot leaves off, with {@code gateway.metrics.server-requests=true}. They are
 * off by default: with them on, {@code bench/run} measured the public route at 0.89 of the throughput and 1.15 times
 * the CPU per request of a gateway with metrics off (five meters recorded per request), far above the 3 % the
 * metrics may cost; without them, 1.00 of the CPU. Every path is recorded under one {@code uri} tag value,
 * {@value #URI}: a tag per path would grow without bound with the paths clients send.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(name = "gateway.metrics.server-requests", havingValue = "true")
public class ReactorNettyServerMetrics {

    /** The {@code uri} tag of every request. */
    public static final String URI = "/**";

    @Bean
    NettyServerCustomizer reactorNettyServerMetricsCustomizer() {
        return server -> server.metrics(true, uri -> URI);
    }
}
