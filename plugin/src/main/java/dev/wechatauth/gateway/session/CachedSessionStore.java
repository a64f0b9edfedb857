package dev.wechatauth.gateway.session;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.wechatauth.gateway.wechat.WechatIdentity;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Keeps recently used sessions in memory, so that most authenticated requests need no Redis command at all.
 * <p>
 * An entry is served for at most the renewal interval (1% of the TTL, at most a minute); after that the next request
 * looks the session up in Redis again, which also renews its idle timeout there. Every logout or revocation, on any
 * instance, is published on {@code {ns}:invalidations} and evicts the entry everywhere. The cache is used only while
 * that subscription is confirmed live: when it drops, everything is dropped and lookups go to Redis until it is back,
 * so no invalidation can be missed.
 */
public class CachedSessionStore implements SessionStore {

    private final SessionStore delegate;
    private final ReactiveStringRedisTemplate redis;
    private final String channel;
    private final Cache<String, Session> sessions;
    /** Counts invalidations, so that a lookup that raced one does not cache what it read. */
    private final AtomicLong invalidations = new AtomicLong();
    private volatile boolean listening;

    /**
     * @param maximumSize the most sessions kept in memory
     * @param freshFor how long an entry is served before Redis is asked again (the renewal interval)
     */
    public CachedSessionStore(SessionStore delegate, ReactiveStringRedisTemplate redis, String namespace,
            long maximumSize, Duration freshFor) {
        this.delegate = delegate;
        this.redis = redis;
        this.channel = channel(namespace);
        this.sessions = Caffeine.newBuilder().maximumSize(maximumSize).expireAfterWrite(freshFor).build();
    }

    /** The channel on which ended sessions are announced, one token hash per message. */
    public static String channel(String namespace) {
        return namespace + ":invalidations";
    }

    @Override
    public Mono<IssuedSession> create(WechatIdentity identity) {
        return delegate.create(identity);
    }

    @Override
    public Mono<Session> find(String token) {
        if (!listening) {
            return delegate.find(token);
        }
        String hash = Tokens.hash(token);
        Session cached = sessions.getIfPresent(hash);
        if (cached != null) {
            return Mono.just(cached);
        }
        long seen = invalidations.get();
        return delegate.find(token).doOnNext(session -> {
            if (listening && invalidations.get() == seen) {
                sessions.put(hash, session);
            }
        });
    }

    @Override
    public Mono<Boolean> delete(String token) {
        String hash = Tokens.hash(token);
        evict(hash);
        return delegate.delete(token).flatMap(deleted -> announce(hash).thenReturn(deleted));
    }

    @Override
    public Flux<String> sessionIds(String appid, String openid) {
        return delegate.sessionIds(appid, openid);
    }

    @Override
    public Mono<Long> deleteAll(String appid, String openid) {
        return delegate.sessionIds(appid, openid).collectList().flatMap(hashes -> {
            hashes.forEach(this::evict);
            return delegate.deleteAll(appid, openid)
                    .flatMap(deleted -> Flux.fromIterable(hashes).concatMap(this::announce).then(Mono.just(deleted)));
        });
    }

    @Override
    public Mono<String> sessionKey(String appid, String openid) {
        return delegate.sessionKey(appid, openid);
    }

    @Override
    public Duration ttl() {
        return delegate.ttl();
    }

    private Mono<Long> announce(String hash) {
        return redis.convertAndSend(channel, hash).onErrorResume(failure -> Mono.just(0L));
    }

    /** An ended session, announced by any instance. */
    public void evict(String hash) {
        invalidations.incrementAndGet();
        sessions.invalidate(hash);
    }

    /** The subscription is confirmed: serve from memory again, starting empty. */
    public void resume() {
        invalidations.incrementAndGet();
        sessions.invalidateAll();
        listening = true;
    }

    /** The subscription dropped: announcements may be missed, so forget everything and ask Redis. */
    public void suspend() {
        listening = false;
        invalidations.incrementAndGet();
        sessions.invalidateAll();
    }

    /** Whether sessions are served from memory now. */
    public boolean isServingFromMemory() {
        return listening;
    }
}
