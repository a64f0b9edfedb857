package dev.wechatauth.plugin.identitytoken;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SigningKeyTest {

    @Test
    void fromPemWhenAP256Pkcs8KeyThenItsPublicHalfAndThumbprintAreThoseOfThePair() throws Exception {
        KeyPair pair = pair("EC", new ECGenParameterSpec("secp256r1"));

        SigningKey key = SigningKey.fromPem(pem(pair));

        ECKey expected = new ECKey.Builder(Curve.P_256, (ECPublicKey) pair.getPublic()).build();
        assertThat(key.publicJwk().toECPublicKey()).isEqualTo(pair.getPublic());
        assertThat(key.kid()).isEqualTo(expected.computeThumbprint().toString());
        assertThat(key.publicJwk().isPrivate()).isFalse();
        assertThat(key.toString()).doesNotContain(key.publicJwk().getX().toString());
    }

    @Test
    void generateWhenCalledTwiceThenTwoKeysOfSignatureUse() {
        SigningKey one = SigningKey.generate();
        SigningKey two = SigningKey.generate();

        assertThat(one.kid()).isNotEqualTo(two.kid());
        assertThat(one.publicJwk().toJSONObject()).containsEntry("use", "sig").containsEntry("alg", "ES256")
                .containsEntry("crv", "P-256").doesNotContainKey("d");
    }

    @Test
    void fromPemWhenAnotherCurveOrAlgorithmThenRefusedWithoutQuotingIt() throws Exception {
        String p384 = pem(pair("EC", new ECGenParameterSpec("secp384r1")));
        KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
        rsa.initialize(2048);
        String rsaPem = pem(rsa.generateKeyPair());

        assertThatThrownBy(() -> SigningKey.fromPem(p384)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("P-256");
        assertThatThrownBy(() -> SigningKey.fromPem(rsaPem)).isInstanceOf(IllegalArgumentException.class)
                .satisfies(failure -> assertThat(failure.getMessage()).doesNotContain(rsaPem.substring(40, 80)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "not a key", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----",
            "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEI\n-----END EC PRIVATE KEY-----",
            "-----BEGIN PRIVATE KEY-----\n!!!\n-----END PRIVATE KEY-----"})
    void fromPemWhenNotAPkcs8KeyThenRefused(String pem) {
        assertThatThrownBy(() -> SigningKey.fromPem(pem)).isInstanceOf(IllegalArgumentException.class);
    }

    static KeyPair pair(String algorithm, ECGenParameterSpec spec) throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance(algorithm);
        generator.initialize(spec);
        return generator.generateKeyPair();
    }

    static String pem(KeyPair pair) {
        return "-----BEGIN PRIVATE KEY-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(pair.getPrivate().getEncoded())
                + "\n-----END PRIVATE KEY-----\n";
    }
}
