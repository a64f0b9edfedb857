package dev.wechatauth.gateway.identitytoken;

import static dev.wechatauth.gateway.rig.ContractAssertions.assertForwarded;
import static dev.wechatauth.gateway.rig.IdentityJwt.from;
import static dev.wechatauth.gateway.rig.IdentityJwt.jwkSet;
import static dev.wechatauth.gateway.rig.IdentityJwt.kids;
import static dev.wechatauth.gateway.rig.IdentityJwt.verified;
import static dev.wechatauth.gateway.rig.IdentityJwt.verifies;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import com.nimbusds.jwt.SignedJWT;
import dev.wechatauth.gateway.rig.Backends;
import dev.wechatauth.gateway.rig.Gateway;
import dev.wechatauth.gateway.rig.GatewayLauncher;
import dev.wechatauth.gateway.rig.RedisView;
import dev.wechatauth.gateway.rig.Timing;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * docs/reference.md, Signed identity for services, across instances on one Redis: every instance's JWK Set holds every
 * instance's keys, so a service may fetch it from any of them; a new instance's key is in every JWK Set within about
 * a second (announced over pub/sub: the instance that reads it here re-reads Redis on its own only every 30 s); a
 * rotating instance switches to a key every JWK Set already has, and its old key stays until its last JWT has expired.
 * Only public keys reach Redis.
 * <p>
 * {@code rotating} makes a new key every 4 s and signs 8 s JWTs; {@code steady} has the defaults (5 min JWTs, 24 h
 * rotation). Their own gateways and Redis.
 */
class KeysAcrossInstancesTest {

    private static final Duration ROTATION = Duration.ofSeconds(4);
    private static final Duration JWT_TTL = Duration.ofSeconds(8);

    private static Backends backends;
    private static Gateway rotating;
    private static Gateway steady;

    @BeforeAll
    static void startTwoInstances() {
        backends = Backends.start();
        rotating = GatewayLauncher.on(backends).named("rotating")
                .with("wechat.auth.identity-token.rotation=" + ROTATION.toSeconds() + "s",
                        "wechat.auth.identity-token.ttl=" + JWT_TTL.toSeconds() + "s")
                .start();
        steady = GatewayLauncher.on(backends).named("steady").start();
    }

    @AfterAll
    static void stopThem() {
        steady.close();
        rotating.close();
        backends.close();
    }

    @Test
    void eachInstancesJwtVerifiesWithTheJwkSetOfEveryInstance() {
        SignedJWT fromSteady = jwtThrough(steady);
        SignedJWT fromRotating = jwtThrough(rotating);

        await("both keys in both JWK Sets").atMost(Timing.generous(Duration.ofSeconds(1)))
                .pollInterval(Duration.ofMillis(50))
                .until(() -> verifies(fromSteady, jwkSet(rotating)) && verifies(fromRotating, jwkSet(steady))
                        && verifies(fromSteady, jwkSet(steady)) && verifies(fromRotating, jwkSet(rotating)));
    }

    @Test
    void aNewInstancesKeyIsInEveryJwkSetWithinASecond() {
        try (Gateway added = GatewayLauncher.on(backends).named("added").start()) {
            SignedJWT itsJwt = jwtThrough(added);

            await("the added instance's key in the steady instance's JWK Set")
                    .atMost(Timing.generous(Duration.ofSeconds(1))).pollInterval(Duration.ofMillis(50))
                    .until(() -> verifies(itsJwt, jwkSet(steady)));
            verified(itsJwt, rotating);
        }
    }

    @Test
    void aRotatingInstanceSignsWithANewKeyOnlyOnceEveryJwkSetHasItAndKeepsTheOldOneUntilItsJwtsExpired() {
        String firstKid = jwtThrough(rotating).getHeader().getKeyID();
        Set<String> kids = new LinkedHashSet<>();
        List<String> unverified = new ArrayList<>();
        Instant oldKeysLastExpiry = Instant.EPOCH;
        Instant deadline = Instant.now().plus(ROTATION.multipliedBy(6));
        while (kids.size() < 2 && Instant.now().isBefore(deadline)) {
            SignedJWT jwt = jwtThrough(rotating);
            kids.add(jwt.getHeader().getKeyID());
            if (!verifies(jwt, jwkSet(steady)) || !verifies(jwt, jwkSet(rotating))) {
                unverified.add(jwt.getHeader().getKeyID());
            }
            if (jwt.getHeader().getKeyID().equals(firstKid)) {
                oldKeysLastExpiry = expiry(jwt);
            }
        }

        assertThat(kids).as("the keys the rotating instance signed with").hasSize(2).first().isEqualTo(firstKid);
        assertThat(unverified).as("JWTs that a JWK Set could not verify when they arrived").isEmpty();
        List<String> afterTheSwitch = kids(steady);
        if (Instant.now().isBefore(oldKeysLastExpiry)) { // unless this JVM stalled for a whole JWT lifetime
            assertThat(afterTheSwitch).as("the old key while its last JWT is valid").contains(firstKid);
        }
        await("the old key gone from both JWK Sets once its JWTs expired").atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(500))
                .until(() -> !kids(steady).contains(firstKid) && !kids(rotating).contains(firstKid));
        assertThat(Instant.now()).isAfter(oldKeysLastExpiry);
    }

    @Test
    void redisHoldsOnlyPublicKeys() {
        jwtThrough(rotating);
        jwtThrough(steady);

        String published = RedisView.dump(backends.redis.port(), RedisView.NAMESPACE + ":jwks");

        assertThat(published).contains("\"kty\":\"EC\"").doesNotContain("\"d\"");
        assertThat(RedisView.pttl(backends.redis.port(), RedisView.NAMESPACE + ":jwks")).isPositive();
    }

    /** The JWT a new session's first request through {@code gateway} carries. */
    private static SignedJWT jwtThrough(Gateway gateway) {
        backends.echo.clear();
        SignedJWT jwt = from(assertForwarded(gateway.withToken(gateway.newToken()), backends.echo));
        backends.echo.clear();
        return jwt;
    }

    private static Instant expiry(SignedJWT jwt) {
        try {
            return jwt.getJWTClaimsSet().getExpirationTime().toInstant();
        } catch (java.text.ParseException unreadable) {
            throw new AssertionError(unreadable);
        }
    }
}
