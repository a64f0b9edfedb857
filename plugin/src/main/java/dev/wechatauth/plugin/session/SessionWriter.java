package dev.wechatauth.plugin.session;

import java.time.Duration;

import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import reactor.core.publisher.Mono;

/** How a new session record is written: {@code SET key value PX ttl}, with or without waiting for replicas. */
@FunctionalInterface
public interface SessionWriter {

    /** Writes {@code value} under {@code key} with a time to live; completes once it is stored. */
    Mono<Void> set(String key, String value, Duration ttl);

    /** A plain {@code SET} through the shared connection: for a standalone Redis, which has no replica. */
    static SessionWriter of(ReactiveStringRedisTemplate redis) {
        return (key, value, ttl) -> redis.opsForValue().set(key, value, ttl).then();
    }
}
