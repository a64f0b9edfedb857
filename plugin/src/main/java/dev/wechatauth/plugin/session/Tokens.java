package dev.wechatauth.plugin.session;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;

import reactor.core.publisher.Mono;

/**
 * Bearer tokens: 256 random bits from a {@code DRBG} {@link SecureRandom} (NIST SP 800-90A), base64url without
 * padding (43 characters), and the SHA-256 digest under which Redis knows them. The generator takes its seed from
 * the operating system when it is made, at start-up; drawing afterwards is computation only, so it never waits on
 * entropy and runs on the caller's thread, a Netty thread included.
 */
public final class Tokens {

    private static final int TOKEN_BYTES = 32;
    private static final int TOKEN_LENGTH = 43;
    private static final int PUBLIC_ID_BYTES = 16;
    private static final int PUBLIC_ID_LENGTH = 22;
    private static final Base64.Encoder BASE64URL = Base64.getUrlEncoder().withoutPadding();
    /** One digest per thread: looking SHA-256 up in the providers on every request costs more than hashing. */
    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(Tokens::sha256);

    private final SecureRandom random;

    public Tokens() {
        try {
            random = SecureRandom.getInstance("DRBG");
        } catch (NoSuchAlgorithmException impossible) {
            throw new IllegalStateException("every Java 9+ platform has DRBG", impossible);
        }
        random.nextBytes(new byte[1]); // seeds it now, not on the first login
    }

    /** A new token. */
    public Mono<String> next() {
        return Mono.fromSupplier(() -> {
            byte[] bytes = new byte[TOKEN_BYTES];
            random.nextBytes(bytes);
            return BASE64URL.encodeToString(bytes);
        });
    }

    /** Whether {@code token} has the shape of a token this gateway issues. */
    public static boolean isWellFormed(String token) {
        return isBase64url(token, TOKEN_LENGTH);
    }

    /** Whether {@code id} has the shape of a {@linkplain #publicId public id} (22 base64url characters). */
    public static boolean isPublicId(String id) {
        return isBase64url(id, PUBLIC_ID_LENGTH);
    }

    private static boolean isBase64url(String text, int length) {
        if (text.length() != length) {
            return false;
        }
        for (int i = 0; i < length; i++) {
            char c = text.charAt(i);
            boolean base64url = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                    || c == '-' || c == '_';
            if (!base64url) {
                return false;
            }
        }
        return true;
    }

    /** The SHA-256 of the token, base64url: the only form of a token that Redis holds. */
    public static String hash(String token) {
        // digest() resets the instance, so each call starts afresh even after a failure
        return BASE64URL.encodeToString(SHA256.get().digest(token.getBytes(StandardCharsets.US_ASCII)));
    }

    /**
     * The public id of the session whose token hashes to {@code tokenHash}: 128 bits of SHA-256 over a fixed label and
     * the hash, base64url (22 characters). It is stable for the session's life and one-way, so neither the token nor
     * its Redis key can be found from it; the user's own session list and the identity JWT's {@code sid} show it.
     */
    public static String publicId(String tokenHash) {
        byte[] digest = SHA256.get().digest(("session-id:" + tokenHash).getBytes(StandardCharsets.US_ASCII));
        return BASE64URL.encodeToString(Arrays.copyOf(digest, PUBLIC_ID_BYTES));
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException impossible) {
            throw new IllegalStateException("every Java platform has SHA-256", impossible);
        }
    }
}
