package dev.wechatauth.bench;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.util.Arrays;

/**
 * What one ES256 signature (ECDSA on P-256 with SHA-256, the identity JWT's) costs with the JDK's own provider on the
 * JVM that runs this, in microseconds: after a warm-up it signs a JWT-sized input in rounds on one thread and prints
 * the median round. The gateway itself signs with Bouncy Castle's P-256 arithmetic, several times faster on JDK 17;
 * this shows what the JDK would cost instead.
 *
 * <pre>
 * java -cp … dev.wechatauth.bench.SigningCost [--rounds N] [--per-round N]
 * </pre>
 *
 * Prints one line: {@code SIGNING java=<version> es256_us=<median µs per signature>}.
 */
public final class SigningCost {

    private SigningCost() {
    }

    public static void main(String[] args) throws GeneralSecurityException {
        int rounds = 7;
        int perRound = 500;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--rounds" -> rounds = Integer.parseInt(args[i + 1]);
                case "--per-round" -> perRound = Integer.parseInt(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        System.out.printf("SIGNING java=%s es256_us=%.1f%n", System.getProperty("java.version"),
                medianMicrosPerSignature(rounds, perRound));
    }

    /** The median over {@code rounds} (after as many of warm-up) of the µs per signature of {@code perRound} ones. */
    static double medianMicrosPerSignature(int rounds, int perRound) throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair pair = generator.generateKeyPair();
        byte[] signingInput = new byte[420]; // a JWT's header and claims, base64url
        Arrays.fill(signingInput, (byte) 'e');
        double[] micros = new double[rounds];
        for (int round = -rounds; round < rounds; round++) {
            long started = System.nanoTime();
            for (int i = 0; i < perRound; i++) {
                Signature signature = Signature.getInstance("SHA256withECDSA");
                signature.initSign(pair.getPrivate());
                signature.update(signingInput);
                signature.sign();
            }
            if (round >= 0) {
                micros[round] = (System.nanoTime() - started) / 1000.0 / perRound;
            }
        }
        Arrays.sort(micros);
        return micros[rounds / 2];
    }
}
