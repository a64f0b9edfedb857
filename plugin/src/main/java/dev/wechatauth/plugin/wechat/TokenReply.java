package dev.wechatauth.plugin.wechat;

/**
 * The answer of a WeChat API called with an access_token: its value, or WeChat refusing the token (errcode 40001,
 * invalid credential, or 42001, expired), after which the caller takes a new token and calls once more. A refusal is
 * an answer, not a failure: WeChat is working, so no circuit breaker counts it.
 */
public record TokenReply<T>(T value, boolean tokenRefused) {

    private static final TokenReply<?> REFUSED = new TokenReply<>(null, true);

    public static <T> TokenReply<T> of(T value) {
        return new TokenReply<>(value, false);
    }

    @SuppressWarnings("unchecked")
    public static <T> TokenReply<T> refused() {
        return (TokenReply<T>) REFUSED;
    }
}
