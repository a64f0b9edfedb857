package dev.wechatauth.plugin.config;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.resource.Delay;
import org.springframework.boot.data.redis.autoconfigure.ClientResourcesBuilderCustomizer;
import org.springframework.boot.data.redis.autoconfigure.LettuceClientConfigurationBuilderCustomizer;
import org.springframework.boot.data.redis.autoconfigure.LettuceClientOptionsBuilderCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Makes a Redis outage fail fast and heal by itself: each command bounded by {@code wechat.auth.session.store-timeout}
 * (default 1 s), commands rejected at once while disconnected, TCP keep-alive, and reconnection attempts at most a
 * second apart. Applies to standalone, Sentinel and Cluster alike; Spring Boot's own settings (Cluster topology
 * refresh among them) are kept.
 */
@Configuration(proxyBeanMethods = false)
class RedisClientTuning {

    private static final Duration FIRST_RECONNECT_DELAY = Duration.ofMillis(50);
    private static final Duration LONGEST_RECONNECT_DELAY = Duration.ofSeconds(1);

    @Bean
    LettuceClientConfigurationBuilderCustomizer wechatAuthRedisCommandTimeout(WechatAuthProperties properties) {
        return builder -> builder.commandTimeout(properties.session().storeTimeout());
    }

    @Bean
    LettuceClientOptionsBuilderCustomizer wechatAuthRedisClientOptions(WechatAuthProperties properties) {
        Duration timeout = properties.session().storeTimeout();
        return builder -> builder
                .autoReconnect(true)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .timeoutOptions(TimeoutOptions.enabled(timeout))
                .socketOptions(SocketOptions.builder()
                        .connectTimeout(timeout)
                        .keepAlive(SocketOptions.KeepAliveOptions.builder().enable().build())
                        .build());
    }

    @Bean
    ClientResourcesBuilderCustomizer wechatAuthRedisReconnectDelay() {
        return builder -> builder.reconnectDelay(
                Delay.exponential(FIRST_RECONNECT_DELAY, LONGEST_RECONNECT_DELAY, 2, TimeUnit.MILLISECONDS));
    }
}
