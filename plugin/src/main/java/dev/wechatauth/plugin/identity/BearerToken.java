package dev.wechatauth.plugin.identity;

import java.util.List;

import dev.wechatauth.plugin.error.GatewayError;
import dev.wechatauth.plugin.error.GatewayErrorException;
import dev.wechatauth.plugin.session.Tokens;
import org.springframework.http.HttpHeaders;

/**
 * What a request's {@code Authorization} header says about a bearer token. The scheme is matched in any letter
 * case; another scheme counts as no token; {@code Bearer} with an empty or malformed value is {@link Kind#MALFORMED};
 * two {@code Authorization} headers are {@link Kind#DUPLICATE}. A token in the query string is never looked at.
 */
public record BearerToken(Kind kind, String token) {

    /** The outcomes of reading the header. */
    public enum Kind { NONE, PRESENT, MALFORMED, DUPLICATE }

    private static final BearerToken NONE = new BearerToken(Kind.NONE, null);
    private static final BearerToken MALFORMED = new BearerToken(Kind.MALFORMED, null);
    private static final BearerToken DUPLICATE = new BearerToken(Kind.DUPLICATE, null);
    private static final String SCHEME = "Bearer";

    /** Reads the {@code Authorization} headers. */
    public static BearerToken from(HttpHeaders headers) {
        List<String> values = headers.get(HttpHeaders.AUTHORIZATION);
        if (values == null || values.isEmpty()) {
            return NONE;
        }
        if (values.size() > 1) {
            return DUPLICATE;
        }
        return parse(values.get(0));
    }

    /**
     * The token, where one is needed: no token is {@code missing_token}, a malformed one {@code invalid_token}, two
     * {@code Authorization} headers {@code invalid_request}.
     */
    public String require() {
        return switch (kind) {
            case PRESENT -> token;
            case NONE -> throw new GatewayErrorException(GatewayError.MISSING_TOKEN);
            case MALFORMED -> throw new GatewayErrorException(GatewayError.INVALID_TOKEN);
            case DUPLICATE -> throw new GatewayErrorException(GatewayError.DUPLICATE_AUTHORIZATION);
        };
    }

    static BearerToken parse(String value) {
        if (!value.regionMatches(true, 0, SCHEME, 0, SCHEME.length())) {
            return NONE;
        }
        if (value.length() > SCHEME.length() && value.charAt(SCHEME.length()) != ' ') {
            return NONE;
        }
        String token = value.substring(SCHEME.length()).strip();
        return Tokens.isWellFormed(token) ? new BearerToken(Kind.PRESENT, token) : MALFORMED;
    }

    @Override
    public String toString() {
        return "BearerToken[" + kind + "]";
    }
}
