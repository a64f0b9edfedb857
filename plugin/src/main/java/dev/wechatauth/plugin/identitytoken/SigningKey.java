package dev.wechatauth.plugin.identitytoken;

import java.math.BigInteger;
import java.security.KeyFactory;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import org.bouncycastle.jce.ECNamedCurveTable;

/**
 * A P-256 key pair that signs identity JWTs (ES256). Its {@code kid} is its RFC 7638 thumbprint, so that every
 * instance holding the same configured key names it alike. The private half never leaves the instance's memory:
 * {@link #publicJwk()} is what is published, and {@link #toString()} shows the {@code kid} only.
 */
public final class SigningKey {

    private static final String PEM_HEADER = "-----BEGIN PRIVATE KEY-----";
    private static final String PEM_FOOTER = "-----END PRIVATE KEY-----";

    private final ECKey jwk;
    private final JWSSigner signer;

    private SigningKey(ECKey jwk) {
        this.jwk = jwk;
        try {
            this.signer = new P256Signer(jwk.toECPrivateKey());
        } catch (JOSEException impossible) {
            throw new IllegalStateException("a P-256 JWK with its private half always has an EC private key", impossible);
        }
    }

    /** A new random key pair (the JDK's default {@code SecureRandom}). */
    public static SigningKey generate() {
        try {
            return new SigningKey(new ECKeyGenerator(Curve.P_256).keyUse(KeyUse.SIGNATURE).algorithm(JWSAlgorithm.ES256)
                    .keyIDFromThumbprint(true).generate());
        } catch (JOSEException impossible) {
            throw new IllegalStateException("every Java platform makes P-256 keys", impossible);
        }
    }

    /**
     * The key of a PEM PKCS#8 P-256 private key ({@code -----BEGIN PRIVATE KEY-----}); its public half is computed
     * from it. Anything else fails with an {@link IllegalArgumentException} whose message never quotes the input.
     */
    public static SigningKey fromPem(String pem) {
        String text = pem == null ? "" : pem.strip();
        if (!text.startsWith(PEM_HEADER) || !text.endsWith(PEM_FOOTER)) {
            throw new IllegalArgumentException("not a PEM PKCS#8 private key (-----BEGIN PRIVATE KEY-----)");
        }
        String body = text.substring(PEM_HEADER.length(), text.length() - PEM_FOOTER.length()).replaceAll("\\s", "");
        ECPrivateKey privateKey;
        try {
            privateKey = (ECPrivateKey) KeyFactory.getInstance("EC")
                    .generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(body)));
        } catch (ClassCastException | IllegalArgumentException | java.security.GeneralSecurityException unreadable) {
            throw new IllegalArgumentException("not a readable PKCS#8 EC private key");
        }
        if (!Curve.P_256.equals(Curve.forECParameterSpec(privateKey.getParams()))) {
            throw new IllegalArgumentException("not a P-256 key");
        }
        try {
            ECKey jwk = new ECKey.Builder(Curve.P_256, publicHalf(privateKey)).privateKey(privateKey)
                    .keyUse(KeyUse.SIGNATURE).algorithm(JWSAlgorithm.ES256).keyIDFromThumbprint().build();
            return new SigningKey(jwk);
        } catch (JOSEException impossible) {
            throw new IllegalStateException("a P-256 public key always has a thumbprint", impossible);
        }
    }

    /** The public key of {@code privateKey}: its scalar times the curve's generator (Bouncy Castle's arithmetic). */
    private static ECPublicKey publicHalf(ECPrivateKey privateKey) throws JOSEException {
        org.bouncycastle.math.ec.ECPoint point = ECNamedCurveTable.getParameterSpec("P-256").getG()
                .multiply(privateKey.getS()).normalize();
        BigInteger x = point.getAffineXCoord().toBigInteger();
        BigInteger y = point.getAffineYCoord().toBigInteger();
        try {
            return (ECPublicKey) KeyFactory.getInstance("EC")
                    .generatePublic(new ECPublicKeySpec(new ECPoint(x, y), privateKey.getParams()));
        } catch (java.security.GeneralSecurityException impossible) {
            throw new JOSEException("the public half of a P-256 key", impossible);
        }
    }

    public String kid() {
        return jwk.getKeyID();
    }

    /** The public JWK: {@code kty} EC, {@code crv} P-256, {@code kid}, {@code use} sig, {@code alg} ES256. */
    public ECKey publicJwk() {
        return jwk.toPublicJWK();
    }

    JWSSigner signer() {
        return signer;
    }

    @Override
    public String toString() {
        return "SigningKey[kid=" + kid() + "]";
    }
}
