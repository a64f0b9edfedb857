package dev.wechatauth.plugin.session;

import java.time.Duration;
import java.util.List;

import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;
import reactor.core.publisher.Mono;

/**
 * How a new session is written: {@code SET key value PX ttl}, or a script that writes it with other keys where one
 * primary holds every key; with or without waiting for replicas.
 */
@FunctionalInterface
public interface SessionWriter {

    /** Writes {@code value} under {@code key} with a time to live; completes once it is stored. */
    Mono<Void> set(String key, String value, Duration ttl);

    /**
     * Runs a script that writes a new session and keys of other slots with it, only where {@link #onOnePrimary()};
     * emits its answer once it is stored.
     */
    default Mono<String> run(RedisScript<String> script, List<String> keys, List<String> args) {
        return Mono.error(new UnsupportedOperationException("This writer writes a session with SET only"));
    }

    /**
     * Whether one primary holds every key (standalone, Sentinel), so that one script may write keys of any slots; by
     * default not, and a session is written with {@link #set} alone.
     */
    default boolean onOnePrimary() {
        return false;
    }

    /** Through the template's shared connection: for a Redis without replicas to wait for. */
    static SessionWriter of(ReactiveStringRedisTemplate redis) {
        boolean cluster = redis.getConnectionFactory() instanceof LettuceConnectionFactory lettuce
                && lettuce.isClusterAware();
        return new SessionWriter() {
            @Override
            public Mono<Void> set(String key, String value, Duration ttl) {
                return redis.opsForValue().set(key, value, ttl).then();
            }

            @Override
            public Mono<String> run(RedisScript<String> script, List<String> keys, List<String> args) {
                return redis.execute(script, keys, args).next();
            }

            @Override
            public boolean onOnePrimary() {
                return !cluster;
            }
        };
    }
}
