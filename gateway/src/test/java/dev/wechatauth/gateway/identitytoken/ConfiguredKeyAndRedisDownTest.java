package dev.wechatauth.gateway.identitytoken;

import static dev.wechatauth.gateway.rig.ContractAssertions.assertForwarded;
import static dev.wechatauth.gateway.rig.IdentityJwt.from;
import static dev.wechatauth.gateway.rig.IdentityJwt.jwkSet;
import static dev.wechatauth.gateway.rig.IdentityJwt.kids;
import static dev.wechatauth.gateway.rig.IdentityJwt.verifies;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.util.Base64;

import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jwt.SignedJWT;
import dev.wechatauth.gateway.rig.Answer;
import dev.wechatauth.gateway.rig.Backends;
import dev.wechatauth.gateway.rig.Gateway;
import dev.wechatauth.gateway.rig.GatewayLauncher;
import dev.wechatauth.gateway.rig.Timing;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * docs/reference.md, Signed identity for services: a configured key ({@code identity-token.signing-key}, PEM PKCS#8
 * P-256) replaces the generated ones on every instance that has it, and is never rotated; with Redis down, every JWK
 * Set still answers from memory, and an instance started meanwhile publishes its key once Redis is back. Two
 * instances with the configured key (one rotating every second, which must not apply to it) and one with a key of its
 * own, on their own Redis, which the tests stop and restart.
 */
class ConfiguredKeyAndRedisDownTest {

    private static KeyPair configured;
    private static Backends backends;
    private static Gateway first;
    private static Gateway second;
    private static Gateway ownKey;

    @BeforeAll
    static void startInstances() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        configured = generator.generateKeyPair();
        String pem = "-----BEGIN PRIVATE KEY-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(configured.getPrivate().getEncoded())
                + "\n-----END PRIVATE KEY-----\n";
        backends = Backends.start();
        first = GatewayLauncher.on(backends).named("first with the key")
                .with("wechat.auth.identity-token.signing-key=" + pem).start();
        second = GatewayLauncher.on(backends).named("second with the key")
                .with("wechat.auth.identity-token.signing-key=" + pem, "wechat.auth.identity-token.rotation=1s")
                .start();
        ownKey = GatewayLauncher.on(backends).named("own key").start();
    }

    @AfterAll
    static void stopThem() {
        ownKey.close();
        second.close();
        first.close();
        backends.close();
    }

    @AfterEach
    void redisRunsAgain() {
        if (!backends.redis.isRunning()) {
            backends.redis.restart();
        }
    }

    @Test
    void instancesWithTheConfiguredKeySignWithItAloneAndNeverRotateIt() throws Exception {
        String thumbprint = new ECKey.Builder(Curve.P_256, (ECPublicKey) configured.getPublic()).build()
                .computeThumbprint().toString();
        SignedJWT fromFirst = jwtThrough(first);
        SignedJWT fromSecond = jwtThrough(second);

        ECDSAVerifier theConfiguredKey = new ECDSAVerifier((ECPublicKey) configured.getPublic());
        assertThat(fromFirst.verify(theConfiguredKey)).isTrue();
        assertThat(fromSecond.verify(theConfiguredKey)).isTrue();
        assertThat(fromFirst.getHeader().getKeyID()).isEqualTo(thumbprint);
        assertThat(fromSecond.getHeader().getKeyID()).isEqualTo(thumbprint);
        assertThat(kids(first)).contains(thumbprint);
        await("past the rotation period of the second instance").pollDelay(Duration.ofSeconds(3)).until(() -> true);
        assertThat(jwtThrough(second).getHeader().getKeyID()).as("the key after 3 rotation periods")
                .isEqualTo(thumbprint);
        await("the instance with a key of its own verifies them").atMost(Timing.generous(Duration.ofSeconds(1)))
                .until(() -> verifies(fromSecond, jwkSet(ownKey)));
    }

    @Test
    void withRedisDownEveryJwkSetAnswersFromMemoryAndAKeyMadeMeanwhileIsPublishedOnceRedisIsBack() {
        SignedJWT fromOwnKey = jwtThrough(ownKey);
        SignedJWT fromFirst = jwtThrough(first);
        await("both keys known everywhere").atMost(Timing.generous(Duration.ofSeconds(1)))
                .until(() -> verifies(fromOwnKey, jwkSet(first)) && verifies(fromFirst, jwkSet(ownKey)));

        backends.redis.stop();
        Answer whileDown = first.get("/.well-known/jwks.json");
        try (Gateway startedWhileDown = GatewayLauncher.on(backends).named("started while Redis is down")
                .with("wechat.auth.identity-token.ttl=8s").start()) {
            assertThat(whileDown.status()).isEqualTo(200);
            assertThat(verifies(fromOwnKey, jwkSet(first))).as("the other instance's key, from memory").isTrue();
            assertThat(verifies(fromFirst, jwkSet(ownKey))).isTrue();
            assertThat(kids(startedWhileDown)).as("its own key, before Redis ever answered it").hasSize(1);
            String itsKid = kids(startedWhileDown).get(0);

            backends.redis.restart();

            await("the key of the instance started while Redis was down, everywhere").atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(200))
                    .until(() -> kids(ownKey).contains(itsKid) && kids(first).contains(itsKid));
            SignedJWT itsJwt = jwtThrough(startedWhileDown);
            assertThat(itsJwt.getHeader().getKeyID()).isEqualTo(itsKid);
            assertThat(verifies(itsJwt, jwkSet(ownKey))).isTrue();
        }
    }

    /** The JWT a new session's first request through {@code gateway} carries. */
    private static SignedJWT jwtThrough(Gateway gateway) {
        String token = await("a login on " + gateway).atMost(Duration.ofSeconds(20))
                .pollInterval(Duration.ofMillis(200)).until(() -> {
                    Answer login = gateway.login(backends.newCode());
                    return login.status() == 200 ? login.json().get("token").asString() : null;
                }, java.util.Objects::nonNull);
        backends.echo.clear();
        SignedJWT jwt = from(assertForwarded(gateway.withToken(token), backends.echo));
        backends.echo.clear();
        return jwt;
    }
}
