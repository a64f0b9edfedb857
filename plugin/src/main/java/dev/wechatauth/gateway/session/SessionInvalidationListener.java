package dev.wechatauth.gateway.session;

import java.net.SocketAddress;
import java.time.Duration;

import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.context.SmartLifecycle;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.util.retry.Retry;

/**
 * Subscribes to the session invalidation channel on a connection of its own and keeps a {@link CachedSessionStore}
 * honest: each message evicts one session; the cache serves only while the subscription is known to be live: from a
 * confirmed {@code SUBSCRIBE} until this connection drops (Lettuce reconnects and subscribes again by itself) or a
 * heartbeat {@code PING} goes unanswered for {@link #HEARTBEAT_TIMEOUT} (a silent partition, a frozen Redis), so an
 * invalidation can be late by about a second at most. Connecting is retried in the background, so the gateway
 * starts, and serves from Redis, while Redis is away.
 */
public class SessionInvalidationListener implements SmartLifecycle {

    private static final Log log = LogFactory.getLog(SessionInvalidationListener.class);
    private static final Duration RETRY_DELAY = Duration.ofSeconds(1);
    static final Duration HEARTBEAT_INTERVAL = Duration.ofMillis(250);
    static final Duration HEARTBEAT_TIMEOUT = Duration.ofMillis(750);

    private final AbstractRedisClient client;
    private final CachedSessionStore store;
    private final String channel;
    private volatile StatefulRedisPubSubConnection<String, String> connection;
    private volatile Disposable connecting;
    private volatile Disposable heartbeat;
    private volatile boolean subscribed;
    private volatile boolean running;

    public SessionInvalidationListener(AbstractRedisClient client, CachedSessionStore store, String channel) {
        this.client = client;
        this.store = store;
        this.channel = channel;
    }

    @Override
    public void start() {
        running = true;
        client.addListener(new RedisConnectionStateListener() {
            @Override
            public void onRedisDisconnected(RedisChannelHandler<?, ?> disconnected) {
                if (disconnected == connection) {
                    subscribed = false;
                    store.suspend();
                }
            }

            @Override
            public void onRedisConnected(RedisChannelHandler<?, ?> connected, SocketAddress address) {
                // caching resumes only once the subscription is confirmed again
            }
        });
        connecting = Mono.fromCallable(this::subscribe)
                .subscribeOn(Schedulers.boundedElastic())
                .doOnError(failure -> log.debug("Session invalidations not subscribed yet: "
                        + failure.getClass().getSimpleName()))
                .retryWhen(Retry.fixedDelay(Long.MAX_VALUE, RETRY_DELAY))
                .subscribe();
        heartbeat = Flux.interval(HEARTBEAT_INTERVAL)
                .onBackpressureDrop()
                .concatMap(tick -> beat(), 1)
                .subscribe();
    }

    /** One PING on the subscribed connection: no answer in time suspends the cache, an answer lets it serve again. */
    private Mono<Void> beat() {
        StatefulRedisPubSubConnection<String, String> open = connection;
        if (open == null || !subscribed) {
            return Mono.empty();
        }
        return open.reactive().ping()
                .timeout(HEARTBEAT_TIMEOUT)
                .doOnNext(pong -> {
                    if (subscribed && !store.isServingFromMemory()) {
                        store.resume();
                    }
                })
                .onErrorResume(silent -> {
                    store.suspend();
                    return Mono.empty();
                })
                .then();
    }

    private StatefulRedisPubSubConnection<String, String> subscribe() {
        StatefulRedisPubSubConnection<String, String> open = client instanceof RedisClusterClient cluster
                ? cluster.connectPubSub(StringCodec.UTF8)
                : ((RedisClient) client).connectPubSub(StringCodec.UTF8);
        connection = open;
        try {
            listen(open);
        } catch (RuntimeException failure) {
            connection = null;
            open.closeAsync();
            throw failure;
        }
        return open;
    }

    private void listen(StatefulRedisPubSubConnection<String, String> open) {
        open.addListener(new RedisPubSubAdapter<>() {
            @Override
            public void message(String from, String hash) {
                store.evict(hash);
            }

            @Override
            public void subscribed(String subscribedTo, long count) {
                subscribed = true;
                store.resume();
            }
        });
        open.sync().subscribe(channel);
    }

    @Override
    public void stop() {
        running = false;
        store.suspend();
        if (connecting != null) {
            connecting.dispose();
        }
        if (heartbeat != null) {
            heartbeat.dispose();
        }
        StatefulRedisPubSubConnection<String, String> open = connection;
        connection = null;
        if (open != null) {
            open.closeAsync();
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }
}
