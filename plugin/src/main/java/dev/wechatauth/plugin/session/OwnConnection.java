package dev.wechatauth.plugin.session;

import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisException;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.codec.StringCodec;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * A Lettuce connection of a feature's own, beside the one Spring's template shares, for commands that must not share
 * it ({@code WAIT} blocks its connection; a pipelined batch is flushed once). Opened on first use, off the event loop
 * (Lettuce's connect blocks); a failed connect is tried again on the next use. On Cluster it is a Cluster connection,
 * and {@link #primaryFor} gives the connection to the primary that owns a key's slot, from the client's current view
 * of the topology.
 */
final class OwnConnection implements AutoCloseable {

    private final AbstractRedisClient client;
    private volatile Object connection;

    /** @param client the Lettuce client Spring Boot configured ({@code LettuceConnectionFactory#getNativeClient()}) */
    OwnConnection(AbstractRedisClient client) {
        this.client = client;
    }

    /**
     * Which connection takes {@code key}: the id of the primary owning its slot on Cluster, {@code ""} on a single
     * primary (standalone or Sentinel). Keys with equal answers go to one connection.
     */
    Mono<String> primaryIdFor(String key) {
        return open().flatMap(open -> {
            if (open instanceof StatefulRedisClusterConnection<?, ?> cluster) {
                RedisClusterNode primary = cluster.getPartitions().getMasterBySlot(SlotHash.getSlot(key));
                return primary == null ? Mono.error(new RedisException("No primary known for the slot of a key"))
                        : Mono.just(primary.getNodeId());
            }
            return Mono.just("");
        });
    }

    /** The connection to the primary of {@code id} ({@link #primaryIdFor}). */
    Mono<StatefulRedisConnection<String, String>> primary(String id) {
        return open().flatMap(open -> {
            if (open instanceof StatefulRedisClusterConnection<?, ?> cluster) {
                @SuppressWarnings("unchecked")
                StatefulRedisClusterConnection<String, String> strings =
                        (StatefulRedisClusterConnection<String, String>) cluster;
                return Mono.fromCompletionStage(strings.getConnectionAsync(id));
            }
            @SuppressWarnings("unchecked")
            StatefulRedisConnection<String, String> single = (StatefulRedisConnection<String, String>) open;
            return Mono.just(single);
        });
    }

    /** The connection to the primary that takes {@code key}. */
    Mono<StatefulRedisConnection<String, String>> primaryFor(String key) {
        return primaryIdFor(key).flatMap(this::primary);
    }

    /** The Cluster connection, which follows MOVED and ASK itself; empty on a single primary. */
    Mono<StatefulRedisClusterConnection<String, String>> cluster() {
        return open().flatMap(open -> {
            if (open instanceof StatefulRedisClusterConnection<?, ?> cluster) {
                @SuppressWarnings("unchecked")
                StatefulRedisClusterConnection<String, String> strings =
                        (StatefulRedisClusterConnection<String, String>) cluster;
                return Mono.just(strings);
            }
            return Mono.empty();
        });
    }

    /** Whether this is a Cluster connection. */
    boolean isCluster() {
        return client instanceof RedisClusterClient;
    }

    private Mono<Object> open() {
        Object open = connection;
        return open != null ? Mono.just(open)
                : Mono.fromCallable(this::connectOnce).subscribeOn(Schedulers.boundedElastic());
    }

    private synchronized Object connectOnce() {
        if (connection == null) {
            connection = client instanceof RedisClusterClient cluster
                    ? cluster.connect(StringCodec.UTF8)
                    : ((RedisClient) client).connect(StringCodec.UTF8);
        }
        return connection;
    }

    @Override
    public synchronized void close() {
        Object open = connection;
        connection = null;
        if (open instanceof StatefulRedisClusterConnection<?, ?> cluster) {
            cluster.close();
        } else if (open instanceof StatefulRedisConnection<?, ?> single) {
            single.close();
        }
    }
}
