package dev.wechatauth.gateway.identitytoken;

import static dev.wechatauth.gateway.rig.ContractAssertions.assertError;
import static dev.wechatauth.gateway.rig.ContractAssertions.assertForwarded;
import static dev.wechatauth.gateway.rig.IdentityJwt.assertIdentityJwt;
import static dev.wechatauth.gateway.rig.IdentityJwt.from;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.JWTClaimsSet;
import dev.wechatauth.gateway.rig.Answer;
import dev.wechatauth.gateway.rig.Backends;
import dev.wechatauth.gateway.rig.IdentityJwt;
import dev.wechatauth.gateway.rig.OnTheSharedGateway;
import dev.wechatauth.gateway.rig.WechatUser;
import dev.wechatauth.testkit.EchoDownstream;
import org.junit.jupiter.api.Test;

/**
 * docs/reference.md, Signed identity for services: every request forwarded with identity headers carries
 * {@code Authorization: Bearer <jwt>} (ES256, {@code kid}, {@code typ} JWT) whose claims say who, for which route and
 * session, verifiable with {@code /.well-known/jwks.json}; a request forwarded without identity carries none. Over
 * HTTP against the shared gateway; every JWT is verified as a service would.
 */
class IdentityJwtTest extends OnTheSharedGateway {

    @Test
    void aRequiredRouteCarriesAJwtThatVerifiesAndNamesTheUserTheRouteAndTheSession() {
        EchoDownstream.Received received = assertForwarded(gateway.withToken(token), backends.echo);

        JWTClaimsSet claims = assertIdentityJwt(received, gateway, user, token, "orders");
        assertThat(claims.getExpirationTime().getTime() - claims.getIssueTime().getTime()).isEqualTo(300_000);
    }

    @Test
    void aUserWithoutAUnionidGetsNoUnionidClaim() {
        WechatUser withoutUnionid = backends.newUser(Backends.FIRST_APPID, false);
        String itsToken = gateway.tokenFor(withoutUnionid);

        JWTClaimsSet claims = assertIdentityJwt(assertForwarded(gateway.withToken(itsToken), backends.echo), gateway,
                withoutUnionid, itsToken, "orders");

        assertThat(claims.getClaims()).doesNotContainKey("unionid");
    }

    @Test
    void aSessionInUseGetsTheSameJwtAgainUntilHalfItsLifetimeIsGone() {
        String first = from(assertForwarded(gateway.withToken(token), backends.echo)).serialize();
        backends.echo.clear();
        String second = from(assertForwarded(gateway.withToken(token), backends.echo)).serialize();

        assertThat(second).as("the JWT of a second request in the same session on the same route").isEqualTo(first);
    }

    @Test
    void eachRouteAndEachSessionHasAJwtOfItsOwn() {
        String otherDevice = gateway.tokenFor(user);
        backends.echo.clear();

        JWTClaimsSet orders = assertIdentityJwt(assertForwarded(gateway.withToken(token), backends.echo), gateway,
                user, token, "orders");
        backends.echo.clear();
        JWTClaimsSet catalog = assertIdentityJwt(assertForwarded(gateway.get(Backends.OPTIONAL,
                "Authorization: Bearer " + token), backends.echo), gateway, user, token, "catalog");
        backends.echo.clear();
        JWTClaimsSet onTheOtherDevice = assertIdentityJwt(assertForwarded(gateway.withToken(otherDevice),
                backends.echo), gateway, user, otherDevice, "orders");

        assertThat(orders.getClaim("sid")).isEqualTo(catalog.getClaim("sid"));
        assertThat(onTheOtherDevice.getClaim("sid")).isNotEqualTo(orders.getClaim("sid"));
    }

    @Test
    void aRequestForwardedWithoutIdentityCarriesNoJwt() {
        EchoDownstream.Received optional = assertForwarded(gateway.get(Backends.OPTIONAL), backends.echo);
        assertThat(optional.headerValues("Authorization")).isEmpty();
        backends.echo.clear();

        EchoDownstream.Received publicRoute = assertForwarded(gateway.get(Backends.PUBLIC,
                "Authorization: Bearer " + token), backends.echo);

        assertThat(publicRoute.headerValues("Authorization")).containsExactly("Bearer " + token);
    }

    @Test
    void aRefusedRequestGetsNoJwtBack() {
        Answer answer = gateway.get(Backends.REQUIRED, "Authorization: Bearer " + Backends.unknownToken());

        assertError(answer, 401, "invalid_token");
        assertThat(answer.body()).doesNotContain("eyJ");
        assertThat(answer.headers()).noneMatch(header -> header.getValue().contains("eyJ"));
    }

    @Test
    void theJwkSetHoldsPublicP256SigningKeysOnlyAndMayBeCachedForAtMostFiveMinutes() {
        Answer answer = gateway.get("/.well-known/jwks.json");

        assertThat(answer.status()).isEqualTo(200);
        assertThat(answer.header("Content-Type")).startsWith("application/json");
        String cacheControl = answer.header("Cache-Control");
        assertThat(cacheControl).containsPattern("max-age=\\d+");
        assertThat(Integer.parseInt(cacheControl.replaceAll(".*max-age=(\\d+).*", "$1"))).isBetween(1, 300);
        JWKSet keys = IdentityJwt.jwkSet(gateway);
        assertThat(keys.getKeys()).isNotEmpty();
        for (JWK key : keys.getKeys()) {
            Map<String, Object> json = key.toJSONObject();
            assertThat(json).containsEntry("kty", "EC").containsEntry("crv", "P-256").containsEntry("use", "sig")
                    .containsEntry("alg", "ES256").containsKeys("kid", "x", "y").doesNotContainKey("d");
            assertThat(key).isInstanceOf(ECKey.class);
        }
        assertThat(answer.body()).doesNotContain("\"d\"");
    }

    @Test
    void theJwkSetRefusesMethodsOtherThanGetAndHead() {
        Answer post = gateway.post("/.well-known/jwks.json", "{}", "Content-Type: application/json");

        assertError(post, 405, "invalid_request");
        assertThat(post.header("Allow")).contains("GET").contains("HEAD");
    }
}
