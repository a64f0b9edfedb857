package dev.wechatauth.gateway.actuator;

import org.springframework.boot.autoconfigure.condition.ConditionalOnExpression;
import org.springframework.boot.reactor.netty.NettyServerCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Reactor Netty's own server series ({@code reactor_netty_http_server_*}: requests by method and status, their time,
 * bytes in and out; {@code reactor_netty_bytebuf_allocator_*}, {@code reactor_netty_eventloop_pending_tasks}), which
 * Spring Boot leaves off. Every path is recorded under one {@code uri} tag value, {@value #URI}: a tag per path would
 * grow without bound with the paths clients send. Off with {@code management.metrics.enable.all=false} or
 * {@code management.metrics.enable.reactor.netty=false}, the switches that deny these meters: then nothing is recorded
 * at all.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnExpression("${management.metrics.enable.all:true} and ${management.metrics.enable.reactor.netty:true}")
public class ReactorNettyServerMetrics {

    /** The {@code uri} tag of every request. */
    public static final String URI = "/**";

    @Bean
    NettyServerCustomizer reactorNettyServerMetricsCustomizer() {
        return server -> server.metrics(true, uri -> URI);
    }
}
