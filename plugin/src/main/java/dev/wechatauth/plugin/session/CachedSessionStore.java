package dev.wechatauth.plugin.session;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import dev.wechatauth.plugin.wechat.WechatIdentity;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.binder.cache.CaffeineCacheMetrics;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.context.SmartLifecycle;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Keeps recently used sessions in memory, so that most authenticated requests need no Redis command at all.
 * <p>
 * An entry read from Redis is fresh for the renewal interval (1% of the TTL, at most a minute). The first request
 * that finds it older is still answered from memory at once, and renews the session in Redis in the background
 * ({@link SessionStore#renew}: the lookup script, which the store may send pipelined with other sessions' renewals
 * ({@link PipelinedScripts}); a session that is gone there, or a renewal that fails, evicts the entry); an entry not renewed
 * within two intervals is dropped, so nothing served was confirmed by Redis longer ago than that, and a session past
 * its absolute end is never served. Every session that ends on any instance (a logout, a kick-out, a block, the
 * oldest past the limit per user) is announced through the cache's {@link SessionInvalidations} and evicts the entry
 * everywhere; the instance that ended it forgets it at once. The
 * cache is used only while that subscription is confirmed live: when it drops, everything is dropped and lookups go
 * to Redis until it is back, so no invalidation can be missed. Listening starts and stops with the application
 * ({@link SmartLifecycle}).
 * <p>
 * Bound to a meter registry ({@link MeterBinder}): {@code wechat_auth_session_cache_total{result}} ({@code hit},
 * {@code miss}: lookups while memory serves), {@code wechat_auth_session_cache_serving} (1 while memory serves, 0
 * while lookups go to Redis), and Micrometer's Caffeine series with {@code cache="wechat-auth-sessions"}
 * ({@code cache_size}, {@code cache_evictions_total} …), from the cache's own statistics.
 */
public class CachedSessionStore implements SessionStore, SmartLifecycle, MeterBinder {

    /** The {@code cache} label of the Caffeine series. */
    public static final String CACHE_NAME = "wechat-auth-sessions";

    private static final Log log = LogFactory.getLog(CachedSessionStore.class);

    private final RedisSessionStore delegate;
    private final SessionInvalidations invalidations;
    private final Ticker ticker;
    private final Clock clock;
    private final long freshForNanos;
    private final Cache<String, Entry> sessions;
    /** The token hashes whose renewal is under way, so that a busy session is renewed once, not once a request. */
    private final Set<String> renewing = ConcurrentHashMap.newKeySet();
    /** Counts evictions, so that a lookup that raced one does not cache what it read. */
    private final AtomicLong evictions = new AtomicLong();
    private volatile boolean listening;
    private volatile boolean running;

    /** A session as last read from Redis, and when it is due for renewal ({@link Ticker} time). */
    private record Entry(Session session, long renewAt) {
    }

    /**
     * @param maximumSize the most sessions kept in memory
     * @param freshFor how long an entry is served before Redis is asked again (the renewal interval)
     */
    public CachedSessionStore(RedisSessionStore delegate, SessionInvalidations invalidations, long maximumSize,
            Duration freshFor) {
        this(delegate, invalidations, maximumSize, freshFor, Ticker.systemTicker(), Clock.systemUTC());
    }

    CachedSessionStore(RedisSessionStore delegate, SessionInvalidations invalidations, long maximumSize,
            Duration freshFor, Ticker ticker, Clock clock) {
        this.delegate = delegate;
        this.invalidations = invalidations;
        this.ticker = ticker;
        this.clock = clock;
        this.freshForNanos = freshFor.toNanos();
        this.sessions = Caffeine.newBuilder()
                .maximumSize(maximumSize)
                .expireAfterWrite(freshFor.multipliedBy(2))
                .ticker(ticker)
                .recordStats()
                .build();
    }

    @Override
    public Mono<IssuedSession> create(WechatIdentity identity, String userAgent) {
        return create(identity, userAgent, null);
    }

    @Override
    public Mono<IssuedSession> create(WechatIdentity identity, String userAgent, LoginReceipt receipt) {
        return delegate.createEnding(identity, userAgent, receipt)
                .flatMap(created -> forget(created.ended()).thenReturn(created.issued()));
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
        if (cached.session().endsAt() > 0 && clock.millis() >= cached.session().endsAt() * 1000) {
            evict(hash);
            return Mono.empty();
        }
        if (ticker.read() - cached.renewAt() >= 0 && renewing.add(hash)) {
            renewInBackground(token, hash, cached.session());
        }
        return Mono.just(cached.session());
    }

    /** Reads the session from Redis (renewing it there) and keeps it, unless an invalidation raced the read. */
    private Mono<Session> lookUp(String token, String hash) {
        long seen = evictions.get();
        return delegate.find(token).doOnNext(session -> keep(hash, session, seen));
    }

    /** Keeps {@code session} fresh for the renewal interval, unless an invalidation came since {@code seen}. */
    private void keep(String hash, Session session, long seen) {
        if (listening && evictions.get() == seen) {
            sessions.put(hash, new Entry(session, ticker.read() + freshForNanos));
        }
    }

    /**
     * Renews a session that is due without making its request wait: the request is answered from memory; once Redis
     * has renewed the session the entry is fresh again, and a session Redis no longer has, or a failed renewal, evicts
     * it, so the next request asks Redis itself.
     */
    private void renewInBackground(String token, String hash, Session session) {
        long seen = evictions.get();
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

    /** Always from Redis: a login on another instance may have replaced it a moment ago. */
    @Override
    public Mono<String> newestSessionKey(String appid, String openid) {
        return delegate.newestSessionKey(appid, openid);
    }

    @Override
    public Mono<Boolean> delete(String token) {
        String hash = Tokens.hash(token);
        evict(hash);
        return delegate.delete(token).flatMap(deleted -> invalidations.publish(hash).thenReturn(deleted));
    }

    @Override
    public Duration expiresIn(Session session) {
        return delegate.expiresIn(session);
    }

    @Override
    public Mono<List<UserSession>> sessionsOf(String appid, String openid) {
        return delegate.sessionsOf(appid, openid);
    }

    @Override
    public Mono<Boolean> end(String appid, String openid, String id) {
        return delegate.endById(appid, openid, id).flatMap(hash -> forget(List.of(hash)).thenReturn(true))
                .defaultIfEmpty(false);
    }

    @Override
    public Mono<Integer> endAll(String appid, String openid) {
        return delegate.endAllOf(appid, openid, null).flatMap(hashes -> forget(hashes).thenReturn(hashes.size()));
    }

    @Override
    public Mono<Void> block(String appid, String openid, Duration duration) {
        return delegate.endAllOf(appid, openid, duration).flatMap(this::forget);
    }

    @Override
    public Mono<Boolean> unblock(String appid, String openid) {
        return delegate.unblock(appid, openid);
    }

    @Override
    public Mono<Duration> blockedFor(String appid, String openid) {
        return delegate.blockedFor(appid, openid);
    }

    /** Forgets sessions that ended, here at once and on every other instance through the announcements. */
    private Mono<Void> forget(List<String> hashes) {
        hashes.forEach(this::evict);
        return Flux.fromIterable(hashes).concatMap(invalidations::publish).then();
    }

    private void evict(String hash) {
        evictions.incrementAndGet();
        sessions.invalidate(hash);
    }

    /** What the invalidation subscription says: evict one session, serve from memory, or stop serving from it. */
    private final class Announcements implements SessionInvalidations.Subscriber {

        @Override
        public void evict(String hash) {
            CachedSessionStore.this.evict(hash);
        }

        /** Serve from memory again, starting empty (nothing heard while suspended can be trusted). */
        @Override
        public synchronized void resume() {
            if (!listening) {
                evictions.incrementAndGet();
                sessions.invalidateAll();
                listening = true;
            }
        }

        /** Announcements may be missed: forget everything and ask Redis. */
        @Override
        public synchronized void suspend() {
            listening = false;
            evictions.incrementAndGet();
            sessions.invalidateAll();
        }
    }

    @Override
    public void start() {
        running = true;
        invalidations.start(new Announcements());
    }

    @Override
    public void stop() {
        running = false;
        invalidations.stop();
        listening = false;
        sessions.invalidateAll();
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        CaffeineCacheMetrics.monitor(registry, sessions, CACHE_NAME);
        FunctionCounter.builder("wechat.auth.session.cache", sessions, cache -> cache.stats().hitCount())
                .description("Session lookups answered from memory (hit) or not (miss), while memory serves")
                .tag("result", "hit")
                .register(registry);
        FunctionCounter.builder("wechat.auth.session.cache", sessions, cache -> cache.stats().missCount())
                .description("Session lookups answered from memory (hit) or not (miss), while memory serves")
                .tag("result", "miss")
                .register(registry);
        Gauge.builder("wechat.auth.session.cache.serving", this, store -> store.isServingFromMemory() ? 1 : 0)
                .description("1 while sessions are served from memory, 0 while every lookup goes to Redis")
                .register(registry);
    }

    /** Whether sessions are served from memory now. */
    public boolean isServingFromMemory() {
        return listening;
    }
}
