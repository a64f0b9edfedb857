package dev.wechatauth.plugin.identitytoken;

import java.time.Duration;

import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.RedisClient;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.util.retry.Retry;

/**
 * Listens on the channel where instances announce a new key ({@link PublishedKeys#channel()}), on a Lettuce
 * connection of its own (standalone, Sentinel or Cluster, where a {@code PUBLISH} reaches every node). Each
 * announcement, and each (re)confirmed subscription, runs {@code onChange}. Connecting is retried in the background,
 * and Lettuce subscribes again by itself after a reconnection; an announcement missed meanwhile is caught up by the
 * periodic read of the keys.
 */
public class KeyAnnouncements {

    private static final Log log = LogFactory.getLog(KeyAnnouncements.class);
    private static final Duration RETRY_DELAY = Duration.ofSeconds(1);

    private final AbstractRedisClient client;
    private final String channel;
    private volatile StatefulRedisPubSubConnection<String, String> connection;
    private volatile Disposable connecting;

    public KeyAnnouncements(AbstractRedisClient client, String channel) {
        this.client = client;
        this.channel = channel;
    }

    /** Starts listening; {@code onChange} runs on a Lettuce thread and must not block. */
    public void start(Runnable onChange) {
        connecting = Mono.fromCallable(() -> subscribe(onChange))
                .subscribeOn(Schedulers.boundedElastic())
                .doOnError(failure -> log.debug("Key announcements not subscribed yet: "
                        + failure.getClass().getSimpleName()))
                .retryWhen(Retry.fixedDelay(Long.MAX_VALUE, RETRY_DELAY))
                .subscribe();
    }

    private StatefulRedisPubSubConnection<String, String> subscribe(Runnable onChange) {
        StatefulRedisPubSubConnection<String, String> open = client instanceof RedisClusterClient cluster
                ? cluster.connectPubSub(StringCodec.UTF8)
                : ((RedisClient) client).connectPubSub(StringCodec.UTF8);
        connection = open;
        try {
            open.addListener(new RedisPubSubAdapter<>() {
                @Override
                public void message(String from, String kid) {
                    onChange.run();
                }

                @Override
                public void subscribed(String subscribedTo, long count) {
                    onChange.run();
                }
            });
            open.sync().subscribe(channel);
        } catch (RuntimeException failure) {
            connection = null;
            open.closeAsync();
            throw failure;
        }
        return open;
    }

    /** Stops listening and closes the connection. */
    public void stop() {
        if (connecting != null) {
            connecting.dispose();
        }
        StatefulRedisPubSubConnection<String, String> open = connection;
        connection = null;
        if (open != null) {
            open.closeAsync();
        }
    }
}
