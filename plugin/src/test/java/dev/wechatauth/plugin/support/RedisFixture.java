package dev.wechatauth.plugin.support;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import io.lettuce.core.resource.DefaultClientResources;
import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceClientConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;

/**
 * A {@link ReactiveStringRedisTemplate} over a {@link LettuceConnectionFactory} tuned like production
 * ({@code RedisClientTuning}): 1 s command and connect timeouts, commands rejected while disconnected, automatic
 * reconnection at most a second apart. Also opens, on demand, a plain Lettuce connection that tests use to look into
 * Redis the way an operator would, independently of the code under test.
 */
public final class RedisFixture implements AutoCloseable {

    public static final Duration STORE_TIMEOUT = Duration.ofSeconds(1);

    private final int port;
    private final ClientResources resources;
    private final LettuceConnectionFactory factory;
    private final ReactiveStringRedisTemplate template;
    private RedisClient inspectorClient;
    private StatefulRedisConnection<String, String> inspectorConnection;

    public RedisFixture(int port) {
        this.port = port;
        this.resources = DefaultClientResources.builder()
                .reconnectDelay(Delay.exponential(Duration.ofMillis(50), Duration.ofSeconds(1), 2, TimeUnit.MILLISECONDS))
                .build();
        ClientOptions options = ClientOptions.builder()
                .autoReconnect(true)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .timeoutOptions(TimeoutOptions.enabled(STORE_TIMEOUT))
                .socketOptions(SocketOptions.builder().connectTimeout(STORE_TIMEOUT).build())
                .build();
        LettuceClientConfiguration client = LettuceClientConfiguration.builder()
                .commandTimeout(STORE_TIMEOUT)
                .clientOptions(options)
                .clientResources(resources)
                .build();
        this.factory = new LettuceConnectionFactory(new RedisStandaloneConfiguration("127.0.0.1", port), client);
        factory.afterPropertiesSet();
        factory.start();
        this.template = new ReactiveStringRedisTemplate(factory);
    }

    public ReactiveStringRedisTemplate template() {
        return template;
    }

    /** The template's Lettuce client, as the gateway hands it to the features that open connections of their own. */
    public AbstractRedisClient nativeClient() {
        return factory.getRequiredNativeClient();
    }

    /** Synchronous commands on a connection of its own, for looking into Redis. */
    public synchronized RedisCommands<String, String> inspector() {
        if (inspectorConnection == null || !inspectorConnection.isOpen()) {
            if (inspectorClient == null) {
                inspectorClient = RedisClient.create(RedisURI.create("127.0.0.1", port));
                inspectorClient.setOptions(ClientOptions.builder().autoReconnect(true).build());
            }
            inspectorConnection = inspectorClient.connect();
            inspectorConnection.setTimeout(Duration.ofSeconds(5));
        }
        return inspectorConnection.sync();
    }

    @Override
    public synchronized void close() {
        if (inspectorConnection != null) {
            inspectorConnection.close();
        }
        if (inspectorClient != null) {
            inspectorClient.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
        factory.destroy();
        resources.shutdown(0, 2, TimeUnit.SECONDS);
    }
}
