package dev.wechatauth.plugin.session;

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
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.util.retry.Retry;

/**
 * Ended sessions, announced to every instance over Redis pub/sub on {@code {ns}:invalidations}, one token hash per
 * message: {@link #publish} announces one; {@link #start} subscribes on a connection of its own and tells its
 * {@link Subscriber} of each announcement, and of whether the subscription is known to be live: from a confirmed
 * {@code SUBSCRIBE} until the connection drops (Lettuce reconnects and subscribes again by itself) or a heartbeat
 * {@code PING} goes unanswered for {@link #HEARTBEAT_TIMEOUT} (a silent partition, a frozen Redis), so that an
 * announcement can be missed for about a second at most without the subscriber knowing. Connecting is retried in the
 * background, so the gateway starts while Redis is away.
 */
public class SessionInvalidations {

    /** What the owner of the announcements (the session cache) is told. */
    public interface Subscriber {

        /** The session whose token hashes to {@code hash} ended on some instance. */
        void evict(String hash);

        /** The subscription is confirmed live: no announcement can be missed from now on. */
        void resume();

        /** The subscription may have missed announcements. */
        void suspend();
    }

    private static final Log log = LogFactory.getLog(SessionInvalidations.class);
    private static final Duration RETRY_DELAY = Duration.ofSeconds(1);
    static final Duration HEARTBEAT_INTERVAL = Duration.ofMillis(250);
    static final Duration HEARTBEAT_TIMEOUT = Duration.ofMillis(750);

    private final AbstractRedisClient client;
    private final ReactiveStringRedisTemplate redis;
    private final String channel;
    private volatile Subscriber subscriber;
    private volatile StatefulRedisPubSubConnection<String, String> connection;
    private volatile Disposable connecting;
    private volatile Disposable heartbeat;
    private volatile boolean subscribed;

    /**
     * @param client the client whose own connection subscribes (Lettuce: standalone, Sentinel or Cluster)
     * @param redis the shared connection, for publishing
     */
    public SessionInvalidations(AbstractRedisClient client, ReactiveStringRedisTemplate redis, String namespace) {
        this.client = client;
        this.redis = redis;
        this.channel = namespace + ":invalidations";
    }

    /** Announces the end of the session whose token hashes to {@code hash}; a failed announcement is not an error. */
    public Mono<Void> publish(String hash) {
        return redis.convertAndSend(channel, hash).onErrorResume(failure -> Mono.just(0L)).then();
    }

    /** Starts listening for {@code subscriber}, who hears nothing before the subscription is confirmed. */
    public void start(Subscriber subscriber) {
        this.subscriber = subscriber;
        client.addListener(new RedisConnectionStateListener() {
            @Override
            public void onRedisDisconnected(RedisChannelHandler<?, ?> disconnected) {
                if (disconnected == connection) {
                    subscribed = false;
                    subscriber.suspend();
                }
            }

            @Override
            public void onRedisConnected(RedisChannelHandler<?, ?> connected, SocketAddress address) {
                // serving resumes only once the subscription is confirmed again
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

    /** One PING on the subscribed connection: no answer in time suspends, an answer resumes. */
    private Mono<Void> beat() {
        StatefulRedisPubSubConnection<String, String> open = connection;
        if (open == null || !subscribed) {
            return Mono.empty();
        }
        return open.reactive().ping()
                .timeout(HEARTBEAT_TIMEOUT)
                .doOnNext(pong -> {
                    if (subscribed) {
                        subscriber.resume();
                    }
                })
                .onErrorResume(silent -> {
                    subscriber.suspend();
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
            open.addListener(new RedisPubSubAdapter<>() {
                @Override
                public void message(String from, String hash) {
                    subscriber.evict(hash);
                }

                @Override
                public void subscribed(String subscribedTo, long count) {
                    subscribed = true;
                    subscriber.resume();
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

    /** Stops listening and closes the subscription's connection. */
    public void stop() {
        if (connecting != null) {
            connecting.dispose();
        }
        if (heartbeat != null) {
            heartbeat.dispose();
        }
        StatefulRedisPubSubConnection<String, String> open = connection;
        connection = null;
        subscribed = false;
        if (open != null) {
            open.closeAsync();
        }
    }
}
