package dev.wechatauth.gateway.rig;

import static org.assertj.core.api.Assertions.assertThat;

import java.text.ParseException;
import java.time.Instant;
import java.util.List;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.wechatauth.plugin.session.Tokens;
import dev.wechatauth.testkit.EchoDownstream;

/**
 * The identity JWT as a service checks it: read from what the echo received, verified (ES256) with the key its
 * {@code kid} names in a gateway's JWK Set ({@code /.well-known/jwks.json}), the way a resource server would.
 */
public final class IdentityJwt {

    private IdentityJwt() {
    }

    /** The JWT of {@code Authorization: Bearer <jwt>}, the only {@code Authorization} the echo received. */
    public static SignedJWT from(EchoDownstream.Received received) {
        List<String> values = received.headerValues("Authorization");
        assertThat(values).as("Authorization at the echo: %s", received.headers()).hasSize(1);
        assertThat(values.get(0)).startsWith("Bearer ");
        return parse(values.get(0).substring("Bearer ".length()));
    }

    public static SignedJWT parse(String compact) {
        try {
            return SignedJWT.parse(compact);
        } catch (ParseException unreadable) {
            throw new AssertionError("not a JWS: " + compact, unreadable);
        }
    }

    /** The JWK Set {@code gateway} serves. */
    public static JWKSet jwkSet(Gateway gateway) {
        Answer answer = gateway.get("/.well-known/jwks.json");
        assertThat(answer.status()).as("the JWK Set of %s: %s", gateway, answer).isEqualTo(200);
        try {
            return JWKSet.parse(answer.body());
        } catch (ParseException unreadable) {
            throw new AssertionError("not a JWK Set: " + answer.body(), unreadable);
        }
    }

    /** The kids of the JWK Set {@code gateway} serves. */
    public static List<String> kids(Gateway gateway) {
        return jwkSet(gateway).getKeys().stream().map(JWK::getKeyID).toList();
    }

    /** Whether {@code jwt} is an ES256 JWT signed by a key of {@code keys}. */
    public static boolean verifies(SignedJWT jwt, JWKSet keys) {
        JWK key = keys.getKeyByKeyId(jwt.getHeader().getKeyID());
        if (!(key instanceof ECKey ec) || !JWSAlgorithm.ES256.equals(jwt.getHeader().getAlgorithm())) {
            return false;
        }
        try {
            return jwt.verify(new ECDSAVerifier(ec.toECPublicKey()));
        } catch (JOSEException failure) {
            return false;
        }
    }

    /** The claims of {@code jwt}, once its header and signature were checked against {@code gateway}'s JWK Set. */
    public static JWTClaimsSet verified(SignedJWT jwt, Gateway gateway) {
        assertThat(jwt.getHeader().getAlgorithm()).isEqualTo(JWSAlgorithm.ES256);
        assertThat(jwt.getHeader().getType()).isEqualTo(JOSEObjectType.JWT);
        assertThat(jwt.getHeader().getKeyID()).isNotBlank();
        assertThat(verifies(jwt, jwkSet(gateway))).as("%s verifies with the JWK Set of %s", jwt.getHeader(), gateway)
                .isTrue();
        try {
            return jwt.getJWTClaimsSet();
        } catch (ParseException unreadable) {
            throw new AssertionError("claims that cannot be read", unreadable);
        }
    }

    /**
     * The echo received a JWT that verifies with {@code gateway}'s JWK Set and says: {@code user}, on the route
     * {@code routeId}, in the session of {@code token}, with the default issuer and a lifetime of 5 minutes of which at
     * least half is left.
     */
    public static JWTClaimsSet assertIdentityJwt(EchoDownstream.Received received, Gateway gateway, WechatUser user,
            String token, String routeId) {
        JWTClaimsSet claims = verified(from(received), gateway);
        assertThat(claims.getIssuer()).isEqualTo("wechat-auth-gateway");
        assertThat(claims.getSubject()).isEqualTo(user.openid());
        assertThat(claims.getAudience()).containsExactly(routeId);
        assertThat(claims.getClaim("appid")).isEqualTo(user.appid());
        assertThat(claims.getClaim("unionid")).isEqualTo(user.unionid());
        assertThat(claims.getClaim("sid")).isEqualTo(Tokens.publicId(Tokens.hash(token)));
        Instant issuedAt = claims.getIssueTime().toInstant();
        Instant expires = claims.getExpirationTime().toInstant();
        assertThat(expires).isBeforeOrEqualTo(issuedAt.plusSeconds(300));
        assertThat(expires).isAfterOrEqualTo(Instant.now().plusSeconds(150).minusSeconds(1));
        assertThat(claims.getClaims().keySet()).isSubsetOf("iss", "sub", "aud", "appid", "unionid", "sid", "iat", "exp");
        return claims;
    }
}
