package dev.wechatauth.gateway.session;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import dev.wechatauth.gateway.wechat.WechatIdentity;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Keeps recently used sessions in memory, so that most authenticated requests need no Redis command at all.
 * <p>
 * An entry read from Redis is fresh for the renewal interval (1% of the TTL, at most a minute). The first request
 * that finds it older is still answered from memory at once, and renews the session in Redis in the background
 * ({@link SessionStore#renew}: one {@code PEXPIRE}; a session that is gone there is evicted); an entry not renewed
 * within two intervals is dropped, so nothing served was confirmed by Redis longer ago than that. Every logout or
 * revocation, on any instance, is published on {@code {ns}:invalidations} and evicts the entry everywhere. The cache is used only while that
 * subscription is confirmed live: when it drops, everything is dropped and lookups go to Redis until it is back, so
 * no invalidation can be missed.
 */
public class CachedSessionStore implements SessionStore {

    private static final Log log = LogFactory.getLog(CachedSessionStore.class);

    private final SessionStore delegate;
    private final ReactiveStringRedisTemplate redis;
    private final String channel;
    private final Ticker ticker;
    private final long freshForNanos;
    private final Cache<String, Entry> sessions;
    /** The token hashes whose renewal is under way, so that a busy session is renewed once, not once a request. */
    private final Set<String> renewing = ConcurrentHashMap.newKeySet();
    /** Counts invalidations, so that a lookup that raced one does not cache what it read. */
    private final AtomicLong invalidations = new AtomicLong();
    private volatile boolean listening;

    /** A session as last read from Redis, and when it is due for renewal ({@link Ticker} time). */
    private record Entry(Session session, long renewAt) {
    }

    /**
     * @param maximumSize the most sessions kept in memory
     * @param freshFor how long an entry is served before Redis is asked again (the renewal interval)
     */
    public CachedSessionStore(SessionStore delegate, ReactiveStringRedisTemplate redis, String namespace,
            long maximumSize, Duration freshFor) {
        this(delegate, redis, namespace, maximumSize, freshFor, Ticker.systemTicker());
    }

    CachedSessionStore(SessionStore delegate, ReactiveStringRedisTemplate redis, String namespace, long maximumSize,
            Duration freshFor, Ticker ticker) {
        this.delegate = delegate;
        this.redis = redis;
        this.channel = channel(namespace);
        this.ticker = ticker;
        this.freshForNanos = freshFor.toNanos();
        this.sessions = Caffeine.newBuilder()
                .maximumSize(maximumSize)
                .expireAfterWrite(freshFor.multipliedBy(2))
                .ticker(ticker)
                .build();
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
        Entry cached = sessions.getIfPresent(hash);
        if (cached == null) {
            return lookUp(token, hash);
        }
        if (ticker.read() - cached.renewAt() >= 0 && renewing.add(hash)) {
            renewInBackground(token, hash, cached.session());
        }
        return Mono.just(cached.session());
    }

    /** Reads the session from Redis (renewing it there) and keeps it, unless an invalidation raced the read. */
    private Mono<Session> lookUp(String token, String hash) {
        long seen = invalidations.get();
        return delegate.find(token).doOnNext(session -> keep(hash, session, seen));
    }

    /** Keeps {@code session} fresh for the renewal interval, unless an invalidation came since {@code seen}. */
    private void keep(String hash, Session session, long seen) {
        if (listening && invalidations.get() == seen) {
            sessions.put(hash, new Entry(session, ticker.read() + freshForNanos));
        }
    }

    /**
     * Renews a session that is due without making its request wait: the request is answered from memory; once Redis
     * has renewed the session the entry is fresh again, and a session Redis no longer has, or a failed renewal, evicts
     * it, so the next request asks Redis itself.
     */
    private void renewInBackground(String token, String hash, Session session) {
        long seen = invalidations.get();
        delegate.renew(token, session)
                .doOnNext(live -> {
                    if (live) {
                        keep(hash, session, seen);
                    } else {
                        sessions.invalidate(hash);
                    }
                })
                .doOnError(failure -> sessions.invalidate(hash))
                .doFinally(signal -> renewing.remove(hash))
                .subscribe(live -> { }, failure -> log.debug("Session renewal failed; the entry is dropped: "
                        + failure.getClass().getSimpleName()));
    }

    @Override
    public Mono<Boolean> renew(String token, Session session) {
        return delegate.renew(token, session);
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
