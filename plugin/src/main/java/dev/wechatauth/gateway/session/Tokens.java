package dev.wechatauth.gateway.session;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;

import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * Bearer tokens: 256 random bits from {@link SecureRandom}, base64url without padding (43 characters), and the
 * SHA-256 digest under which Redis knows them. Drawing random bytes may block on entropy, so it runs on a
 * scheduler of its own choosing, never on a Netty thread.
 */
public final class Tokens {

    private static final int TOKEN_BYTES = 32;
    private static final int TOKEN_LENGTH = 43;
    private static final Base64.Encoder BASE64URL = Base64.getUrlEncoder().withoutPadding();

    private final SecureRandom random = new SecureRandom();
    private final Scheduler scheduler;

    public Tokens() {
        this(Schedulers.boundedElastic());
    }

    public Tokens(Scheduler scheduler) {
        this.scheduler = scheduler;
    }

    /** A new token. */
    public Mono<String> next() {
        return Mono.fromSupplier(() -> {
            byte[] bytes = new byte[TOKEN_BYTES];
            random.nextBytes(bytes);
            return BASE64URL.encodeToString(bytes);
        }).subscribeOn(scheduler);
    }

    /** Whether {@code token} has the shape of a token this gateway issues. */
    public static boolean isWellFormed(String token) {
        if (token.length() != TOKEN_LENGTH) {
            return false;
        }
        for (int i = 0; i < TOKEN_LENGTH; i++) {
            char c = token.charAt(i);
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
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.US_ASCII));
            return BASE64URL.encodeToString(digest);
        } catch (NoSuchAlgorithmException impossible) {
            throw new IllegalStateException("every Java platform has SHA-256", impossible);
        }
    }
}
