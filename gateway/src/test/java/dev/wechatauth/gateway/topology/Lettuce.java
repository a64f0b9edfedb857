package dev.wechatauth.gateway.topology;

import dev.wechatauth.gateway.rig.InProcessGateway;
import io.lettuce.core.AbstractRedisClient;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

/** The Redis client a gateway in this JVM built from its properties. */
final class Lettuce {

    private Lettuce() {
    }

    static LettuceConnectionFactory connectionFactory(InProcessGateway gateway) {
        return gateway.context().getBean(LettuceConnectionFactory.class);
    }

    /** The Lettuce client Spring Boot built ({@code RedisClient} or {@code RedisClusterClient}). */
    static AbstractRedisClient client(InProcessGateway gateway) {
        return connectionFactory(gateway).getRequiredNativeClient();
    }
}
