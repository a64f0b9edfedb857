package dev.wechatauth.plugin.identitytoken;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

import com.nimbusds.jose.jwk.ECKey;

/**
 * The keys of this instance: the one it {@linkplain #signing() signs with}, the next one while it is being published,
 * and retired ones until the last JWT they signed has expired.
 * <p>
 * A generated key signs for {@code rotation}; then a new key is made and published, and it takes over only once it
 * has been published for {@code announceFor}, so that every instance's JWK Set has it before any JWT names it. A
 * configured key signs for ever. What each key is published for ({@link #publications}) covers every JWT it signed:
 * the signing and next keys until {@code now + ttl + margin} (renewed while the instance lives), a retired key until
 * its retirement plus {@code ttl + margin}.
 */
public final class SigningKeys {

    /** A key with the time until which the JWK Set must hold it. */
    public record Publication(ECKey publicJwk, Instant until) {
    }

    private record Retired(SigningKey key, Instant at) {
    }

    private final Duration ttl;
    private final Duration rotation;
    private final Duration margin;
    private final boolean rotates;
    private volatile SigningKey signing;
    private volatile Instant signingSince;
    private SigningKey next;
    private Instant nextPublishedAt;
    private final List<Retired> retired = new ArrayList<>();

    private SigningKeys(SigningKey first, Instant now, Duration ttl, Duration rotation, Duration margin,
            boolean rotates) {
        this.signing = first;
        this.signingSince = now;
        this.ttl = ttl;
        this.rotation = rotation;
        this.margin = margin;
        this.rotates = rotates;
    }

    /** Keys of this instance's own, rotated every {@code rotation}. */
    public static SigningKeys generated(SigningKey first, Instant now, Duration ttl, Duration rotation,
            Duration margin) {
        return new SigningKeys(first, now, ttl, rotation, margin, true);
    }

    /** The configured key, never rotated. */
    public static SigningKeys configured(SigningKey key, Instant now, Duration ttl, Duration margin) {
        return new SigningKeys(key, now, ttl, Duration.ZERO, margin, false);
    }

    /** The key JWTs are signed with now. */
    public SigningKey signing() {
        return signing;
    }

    /** Whether a new key should be made and published ({@link #prepare}). */
    public synchronized boolean needsNext(Instant now) {
        return rotates && next == null && !now.isBefore(signingSince.plus(rotation));
    }

    /** Makes {@code key} the next key: published from now on, signing once announced for long enough. */
    public synchronized void prepare(Supplier<SigningKey> key) {
        if (next == null) {
            next = key.get();
            nextPublishedAt = null;
        }
    }

    /** The publication that included the next key succeeded at {@code at}. */
    public synchronized void published(Instant at) {
        if (next != null && nextPublishedAt == null) {
            nextPublishedAt = at;
        }
    }

    /**
     * Switches to the next key once it has been published for {@code announceFor}, and forgets retired keys whose
     * JWTs have all expired; returns whether the signing key changed.
     */
    public synchronized boolean advance(Instant now, Duration announceFor) {
        retired.removeIf(old -> now.isAfter(retiredUntil(old)));
        if (next == null || nextPublishedAt == null || now.isBefore(nextPublishedAt.plus(announceFor))) {
            return false;
        }
        retired.add(new Retired(signing, now));
        signing = next;
        signingSince = now;
        next = null;
        nextPublishedAt = null;
        return true;
    }

    /** Every key of this instance with the time until which it must be published. */
    public synchronized List<Publication> publications(Instant now) {
        List<Publication> all = new ArrayList<>();
        Instant live = now.plus(ttl).plus(margin);
        all.add(new Publication(signing.publicJwk(), live));
        if (next != null) {
            all.add(new Publication(next.publicJwk(), live));
        }
        for (Retired old : retired) {
            all.add(new Publication(old.key().publicJwk(), retiredUntil(old)));
        }
        return all;
    }

    private Instant retiredUntil(Retired old) {
        return old.at().plus(ttl).plus(margin);
    }
}
