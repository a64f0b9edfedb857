package dev.wechatauth.plugin.admin;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;

import dev.wechatauth.plugin.error.GatewayError;
import dev.wechatauth.plugin.error.GatewayErrorException;
import org.springframework.http.HttpHeaders;

/**
 * The admin API's bearer token, and the check of a request's {@code Authorization} against it. The comparison is of
 * the SHA-256 digests with {@link MessageDigest#isEqual} (constant time), so that neither the content nor the length
 * of the token shows in how long a refusal takes. {@link #toString()} masks it.
 */
public final class AdminToken {

    private static final String SCHEME = "Bearer ";

    private final byte[] digest;

    public AdminToken(String token) {
        this.digest = sha256(token);
    }

    /**
     * Checks {@code headers}: no {@code Authorization} (or another scheme) is 401 {@code missing_token}, a wrong token
     * 401 {@code invalid_token}, two {@code Authorization} headers 400 {@code invalid_request}.
     */
    public void check(HttpHeaders headers) {
        List<String> values = headers.get(HttpHeaders.AUTHORIZATION);
        if (values == null || values.isEmpty()) {
            throw new GatewayErrorException(GatewayError.MISSING_TOKEN);
        }
        if (values.size() > 1) {
            throw new GatewayErrorException(GatewayError.DUPLICATE_AUTHORIZATION);
        }
        String value = values.get(0);
        if (!value.regionMatches(true, 0, SCHEME, 0, SCHEME.length())) {
            throw new GatewayErrorException(GatewayError.MISSING_TOKEN);
        }
        if (!MessageDigest.isEqual(digest, sha256(value.substring(SCHEME.length()).strip()))) {
            throw new GatewayErrorException(GatewayError.INVALID_TOKEN);
        }
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException impossible) {
            throw new IllegalStateException("every Java platform has SHA-256", impossible);
        }
    }

    @Override
    public String toString() {
        return "AdminToken[******]";
    }
}
