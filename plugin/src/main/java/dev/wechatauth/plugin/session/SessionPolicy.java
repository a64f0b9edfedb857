package dev.wechatauth.plugin.session;

import java.time.Duration;

/**
 * How long sessions live and how many a user may hold.
 *
 * @param ttl the idle timeout: a session unused this long ends; every use renews it
 * @param maxLifetime the absolute lifetime: a session ends this long after its login however often it is used
 * @param maxPerUser the most sessions one user may hold in one mini-program; a login past it ends the oldest
 *        ({@code 0}: no limit)
 */
public record SessionPolicy(Duration ttl, Duration maxLifetime, int maxPerUser) {

    public SessionPolicy {
        if (ttl.isNegative() || ttl.isZero() || maxLifetime.isNegative() || maxLifetime.isZero() || maxPerUser < 0) {
            throw new IllegalArgumentException("ttl and maxLifetime must be positive and maxPerUser not negative");
        }
    }

    /** How long a new session lives unused: the idle timeout, unless its whole lifetime is shorter. */
    public Duration firstExpiry() {
        return ttl.compareTo(maxLifetime) < 0 ? ttl : maxLifetime;
    }
}
