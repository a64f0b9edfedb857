package dev.wechatauth.plugin.identitytoken;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.wechatauth.plugin.session.Session;
import dev.wechatauth.plugin.session.Tokens;
import org.junit.jupiter.api.Test;

class IdentityTokensTest {

    private static final Duration TTL = Duration.ofMinutes(5);
    private static final Session WITH_UNIONID = new Session("o_user", "u_user", "wx_app", "c2Vzc2lvbktleQ==", 1L, 0L, 0L, null);
    private static final Session WITHOUT_UNIONID = new Session("o_other", null, "wx_app", "c2Vzc2lvbktleQ==", 1L, 0L, 0L, null);
    private static final String HASH = Tokens.hash("A".repeat(43));

    private final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00.400Z"));
    private final SigningKey key = SigningKey.generate();
    private final IdentityTokens tokens = new IdentityTokens(keysSigningWith(key), "the-issuer", TTL, 1000, clock);

    @Test
    void jwtForWhenASessionThenAnEs256JwtWithItsClaims() throws Exception {
        SignedJWT jwt = SignedJWT.parse(tokens.jwtFor(WITH_UNIONID, HASH, "orders"));

        assertThat(jwt.getHeader().getAlgorithm()).isEqualTo(JWSAlgorithm.ES256);
        assertThat(jwt.getHeader().getType()).isEqualTo(JOSEObjectType.JWT);
        assertThat(jwt.getHeader().getKeyID()).isEqualTo(key.kid());
        assertThat(jwt.verify(new ECDSAVerifier(key.publicJwk()))).isTrue();
        JWTClaimsSet claims = jwt.getJWTClaimsSet();
        assertThat(claims.getIssuer()).isEqualTo("the-issuer");
        assertThat(claims.getSubject()).isEqualTo("o_user");
        assertThat(claims.getAudience()).containsExactly("orders");
        assertThat(claims.getClaim("appid")).isEqualTo("wx_app");
        assertThat(claims.getClaim("unionid")).isEqualTo("u_user");
        assertThat(claims.getClaim("sid")).isEqualTo(Tokens.publicId(HASH));
        assertThat(claims.getIssueTime().toInstant()).isEqualTo(Instant.parse("2026-01-01T00:00:00Z"));
        assertThat(claims.getExpirationTime().toInstant()).isEqualTo(Instant.parse("2026-01-01T00:05:00Z"));
        assertThat(jwt.getPayload().toString()).doesNotContain("c2Vzc2lvbktleQ==");
    }

    @Test
    void jwtForWhenNoUnionidThenNoUnionidClaim() throws Exception {
        JWTClaimsSet claims = SignedJWT.parse(tokens.jwtFor(WITHOUT_UNIONID, HASH, "orders")).getJWTClaimsSet();

        assertThat(claims.getClaims()).doesNotContainKey("unionid");
    }

    @Test
    void jwtForWhenLessThanHalfTheLifetimeIsGoneThenTheSameJwtElseANewOne() throws Exception {
        String first = tokens.jwtFor(WITH_UNIONID, HASH, "orders");
        clock.advance(Duration.ofSeconds(149));
        String stillValid = tokens.jwtFor(WITH_UNIONID, HASH, "orders");
        clock.advance(Duration.ofSeconds(1));
        String renewed = tokens.jwtFor(WITH_UNIONID, HASH, "orders");

        assertThat(stillValid).isSameAs(first);
        assertThat(renewed).isNotEqualTo(first);
        Instant expires = SignedJWT.parse(renewed).getJWTClaimsSet().getExpirationTime().toInstant();
        assertThat(Duration.between(clock.instant(), expires)).isGreaterThanOrEqualTo(TTL.dividedBy(2));
    }

    @Test
    void jwtForWhenAnotherRouteOrSessionThenAnotherJwt() throws Exception {
        String orders = tokens.jwtFor(WITH_UNIONID, HASH, "orders");
        String catalog = tokens.jwtFor(WITH_UNIONID, HASH, "catalog");
        String otherSession = tokens.jwtFor(WITH_UNIONID, Tokens.hash("B".repeat(43)), "orders");

        assertThat(SignedJWT.parse(catalog).getJWTClaimsSet().getAudience()).containsExactly("catalog");
        assertThat(catalog).isNotEqualTo(orders);
        assertThat(SignedJWT.parse(otherSession).getJWTClaimsSet().getClaim("sid"))
                .isNotEqualTo(SignedJWT.parse(orders).getJWTClaimsSet().getClaim("sid"));
    }

    private IdentityKeys keysSigningWith(SigningKey signing) {
        return new IdentityKeys(SigningKeys.configured(signing, clock.instant(), TTL, Duration.ofMinutes(1)),
                new PublishedKeys(null, "unused", Duration.ofSeconds(1)), null, clock, Duration.ofSeconds(30),
                Duration.ofSeconds(2));
    }

    /** A clock the test moves. */
    static final class MutableClock extends Clock {

        private Instant now;

        MutableClock(Instant start) {
            this.now = start;
        }

        void advance(Duration by) {
            now = now.plus(by);
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }
}
