package dev.wechatauth.plugin.identitytoken;

import java.time.Clock;
import java.time.Duration;
import java.util.Date;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.wechatauth.plugin.session.Session;
import dev.wechatauth.plugin.session.Tokens;

/**
 * The identity JWT a service receives with a request (JWS compact, ES256, {@code typ} JWT, {@code kid} of the signing
 * key): {@code iss}, {@code sub} (the openid), {@code aud} (the route id), {@code appid}, {@code unionid} when the
 * session has one, {@code sid} (the session's public id, {@link Tokens#publicId}), {@code iat} and
 * {@code exp = iat + ttl}.
 * <p>
 * Each JWT is kept in memory per session and route, and signed again only once half its lifetime is gone, so that
 * every JWT handed out has at least half of it left and a session in use costs one signature per half lifetime, not
 * one per request.
 */
public class IdentityTokens {

    private final IdentityKeys keys;
    private final String issuer;
    private final long ttlSeconds;
    private final Clock clock;
    private final Cache<Key, Signed> signed;

    private record Key(String tokenHash, String audience) {
    }

    /** A JWT and the moment (epoch ms) from which it has less than half its lifetime left. */
    private record Signed(String jwt, long staleAt) {
    }

    /**
     * @param ttl the lifetime of a JWT, whole seconds, at least 2
     * @param maximumSize the most JWTs kept in memory
     */
    public IdentityTokens(IdentityKeys keys, String issuer, Duration ttl, long maximumSize, Clock clock) {
        this.keys = keys;
        this.issuer = issuer;
        this.ttlSeconds = ttl.toSeconds();
        this.clock = clock;
        this.signed = Caffeine.newBuilder()
                .maximumSize(maximumSize)
                .expireAfterWrite(Duration.ofSeconds(ttlSeconds / 2))
                .build();
    }

    /**
     * The JWT for {@code session}, whose token hashes to {@code tokenHash} ({@link Tokens#hash}), on the route
     * {@code audience}.
     */
    public String jwtFor(Session session, String tokenHash, String audience) {
        Key key = new Key(tokenHash, audience);
        Signed cached = signed.getIfPresent(key);
        long now = clock.millis();
        if (cached != null && now < cached.staleAt()) {
            return cached.jwt();
        }
        Signed fresh = sign(session, tokenHash, audience, now);
        signed.put(key, fresh);
        return fresh.jwt();
    }

    private Signed sign(Session session, String tokenHash, String audience, long now) {
        long issuedAt = now / 1000;
        long expires = issuedAt + ttlSeconds;
        JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder()
                .issuer(issuer)
                .subject(session.openid())
                .audience(audience)
                .claim("appid", session.appid())
                .claim("sid", Tokens.publicId(tokenHash))
                .issueTime(new Date(issuedAt * 1000))
                .expirationTime(new Date(expires * 1000));
        if (session.unionid() != null) {
            claims.claim("unionid", session.unionid());
        }
        SigningKey key = keys.signing();
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(key.kid())
                .type(JOSEObjectType.JWT).build(), claims.build());
        try {
            jwt.sign(key.signer());
        } catch (JOSEException failure) {
            throw new IllegalStateException("an ES256 signature failed", failure);
        }
        return new Signed(jwt.serialize(), (expires - (ttlSeconds + 1) / 2) * 1000);
    }
}
