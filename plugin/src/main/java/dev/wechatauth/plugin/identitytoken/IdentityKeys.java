package dev.wechatauth.plugin.identitytoken;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.context.SmartLifecycle;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * This instance's signing keys and the JWK Set of every instance, kept in memory so that neither signing nor the JWK
 * Set ever waits on Redis.
 * <p>
 * Every {@code round} (and once at start) it makes the next key when rotation is due, publishes its own keys
 * ({@link PublishedKeys}), announces a key published for the first time, switches to the next key once that was
 * announced long enough ago, and reads every instance's keys again. An announcement from another instance reads them
 * at once ({@link KeyAnnouncements}), so a new instance's key is in every JWK Set within about a second. A key read
 * once stays in the JWK Set until the time it was published for, so neither an unreachable Redis nor one that lost
 * its data removes a key whose JWTs may still be valid; this instance keeps signing with the key it holds, and a next
 * key is not used before it could be published. Keys Redis lost are published and announced again the next round.
 * Rounds start and stop with the application ({@link SmartLifecycle}).
 */
public class IdentityKeys implements SmartLifecycle {

    private static final Log log = LogFactory.getLog(IdentityKeys.class);

    private final SigningKeys keys;
    private final PublishedKeys published;
    private final KeyAnnouncements announcements;
    private final Clock clock;
    private final Duration round;
    private final Duration announceFor;
    private final Set<String> announced = ConcurrentHashMap.newKeySet();
    /** Every key read from Redis, by kid, kept until its own time even when Redis no longer has it. */
    private final Map<String, PublishedKeys.Published> others = new ConcurrentHashMap<>();
    private volatile byte[] jwkSet;
    private volatile Disposable rounds;

    /**
     * @param announcements where other instances' new keys are heard of; {@code null}: only the rounds read them
     * @param round how often keys are published and read
     * @param announceFor how long a next key is published before it signs
     */
    public IdentityKeys(SigningKeys keys, PublishedKeys published, KeyAnnouncements announcements, Clock clock,
            Duration round, Duration announceFor) {
        this.keys = keys;
        this.published = published;
        this.announcements = announcements;
        this.clock = clock;
        this.round = round;
        this.announceFor = announceFor;
        rebuild();
    }

    /** The key JWTs are signed with now. */
    public SigningKey signing() {
        return keys.signing();
    }

    /** The JWK Set document ({@code {"keys":[…]}}, public keys only): this instance's keys first, then the others'. */
    public byte[] jwkSet() {
        return jwkSet;
    }

    /** One round: rotate if due, publish, announce, switch, read; never fails. */
    Mono<Void> round() {
        Instant now = clock.instant();
        Mono<Void> prepared = keys.needsNext(now)
                ? Mono.fromRunnable(() -> keys.prepare(SigningKey::generate)).subscribeOn(Schedulers.boundedElastic())
                        .then()
                : Mono.empty();
        return prepared.then(Mono.defer(this::publish)).then(Mono.defer(this::read))
                .onErrorResume(failure -> {
                    log.warn("A round of the signing keys failed: " + failure.getClass().getSimpleName());
                    return Mono.empty();
                });
    }

    private Mono<Void> publish() {
        Instant now = clock.instant();
        if (keys.advance(now, announceFor)) {
            log.info("Identity JWTs are now signed with key " + keys.signing().kid());
        }
        List<SigningKeys.Publication> own = keys.publications(now);
        rebuild();
        return published.publish(own, now)
                .doOnNext(missing -> {
                    if (missing > 0) {
                        announced.clear(); // Redis lost them: announce them again
                    }
                })
                .thenMany(Flux.fromIterable(own).map(key -> key.publicJwk().getKeyID())
                        .filter(kid -> !announced.contains(kid)))
                .concatMap(kid -> published.announce(kid).doOnSuccess(sent -> announced.add(kid)))
                .then(Mono.fromRunnable(() -> keys.published(now)))
                .onErrorResume(failure -> {
                    log.debug("Signing keys not published this round: " + failure.getClass().getSimpleName());
                    return Mono.empty();
                })
                .then();
    }

    /**
     * Reads every instance's keys. A key read once stays until the time it was published for, also when Redis lost
     * it meanwhile or cannot be reached: its JWTs may still be valid.
     */
    Mono<Void> read() {
        return published.read(clock.instant())
                .doOnNext(read -> {
                    read.forEach(key -> others.merge(key.publicJwk().getKeyID(), key,
                            (known, now) -> now.until().isAfter(known.until()) ? now : known));
                    rebuild();
                })
                .onErrorResume(failure -> {
                    log.debug("Published keys not read this round: " + failure.getClass().getSimpleName());
                    return Mono.empty();
                })
                .then();
    }

    private synchronized void rebuild() {
        Map<String, JWK> byKid = new LinkedHashMap<>();
        for (SigningKeys.Publication own : keys.publications(clock.instant())) {
            byKid.put(own.publicJwk().getKeyID(), own.publicJwk());
        }
        Instant now = clock.instant();
        others.values().removeIf(other -> !other.until().isAfter(now));
        for (PublishedKeys.Published other : others.values()) {
            byKid.putIfAbsent(other.publicJwk().getKeyID(), other.publicJwk());
        }
        jwkSet = new JWKSet(List.copyOf(byKid.values())).toString(true).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void start() {
        log.info("Identity JWTs are signed with key " + keys.signing().kid() + "; its public key is served at "
                + JwkSetEndpoint.PATH);
        if (announcements != null) {
            // off Lettuce's thread: a Redis command may wait for a pooled connection, which that thread would make
            announcements.start(() -> read().subscribeOn(Schedulers.boundedElastic()).subscribe());
        }
        rounds = Flux.interval(Duration.ZERO, round, Schedulers.boundedElastic())
                .onBackpressureDrop()
                .concatMap(tick -> round(), 1)
                .subscribe();
    }

    @Override
    public void stop() {
        if (rounds != null) {
            rounds.dispose();
            rounds = null;
        }
        if (announcements != null) {
            announcements.stop();
        }
    }

    @Override
    public boolean isRunning() {
        return rounds != null;
    }
}
