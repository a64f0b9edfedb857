package dev.wechatauth.plugin.identitytoken;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.AlgorithmParameters;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPrivateKeySpec;
import java.util.HexFormat;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.util.Base64URL;
import org.junit.jupiter.api.Test;

class P256SignerTest {

    private static final JWSHeader ES256 = new JWSHeader(JWSAlgorithm.ES256);

    /** RFC 6979, A.2.5: P-256, SHA-256, the message "sample". */
    @Test
    void signWhenTheKeyAndMessageOfRfc6979ThenItsDeterministicSignature() throws Exception {
        ECPrivateKey key = privateKey(new BigInteger(
                "C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721", 16));

        Base64URL signature = new P256Signer(key).sign(ES256, "sample".getBytes(StandardCharsets.US_ASCII));

        assertThat(HexFormat.of().withUpperCase().formatHex(signature.decode())).isEqualTo(
                "EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716"
                        + "F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8");
    }

    @Test
    void signWhenManyInputsThenEverySignatureIs64BytesAndVerifiesWithTheJdk() throws Exception {
        KeyPair pair = SigningKeyTest.pair("EC", new ECGenParameterSpec("secp256r1"));
        P256Signer signer = new P256Signer((ECPrivateKey) pair.getPrivate());
        ECDSAVerifier verifier = new ECDSAVerifier((ECPublicKey) pair.getPublic());

        // 1,000 signatures: R or S below 2^248 (a leading zero byte to keep) about eight times on average
        for (int i = 0; i < 1000; i++) {
            byte[] input = ("eyJhbGciOiJFUzI1NiJ9.claims-" + i).getBytes(StandardCharsets.US_ASCII);
            Base64URL signature = signer.sign(ES256, input);
            assertThat(signature.decode()).hasSize(64);
            assertThat(verifier.verify(ES256, input, signature)).as("signature %d", i).isTrue();
        }
    }

    @Test
    void signWhenTheHeaderNamesAnotherAlgorithmThenRefused() throws Exception {
        KeyPair pair = SigningKeyTest.pair("EC", new ECGenParameterSpec("secp256r1"));

        assertThatThrownBy(() -> new P256Signer((ECPrivateKey) pair.getPrivate())
                .sign(new JWSHeader(JWSAlgorithm.ES384), new byte[] {1}))
                .isInstanceOf(JOSEException.class).hasMessageContaining("ES384");
    }

    private static ECPrivateKey privateKey(BigInteger scalar) throws Exception {
        AlgorithmParameters parameters = AlgorithmParameters.getInstance("EC");
        parameters.init(new ECGenParameterSpec("secp256r1"));
        return (ECPrivateKey) KeyFactory.getInstance("EC").generatePrivate(
                new ECPrivateKeySpec(scalar, parameters.getParameterSpec(ECParameterSpec.class)));
    }
}
