package dev.wechatauth.plugin.session;

import java.util.function.UnaryOperator;

/**
 * What a login leaves for copies of its code once its session exists: a value made from the new token, set under
 * {@link #key()} keeping that key's time to live, and only if the key still exists (the duplicate window of the login
 * has not ended). A store that can write it together with the session does so and marks it {@linkplain #recorded()
 * recorded}; otherwise whoever asked for it writes it afterwards.
 */
public final class LoginReceipt {

    private final String key;
    private final UnaryOperator<String> valueForToken;
    private volatile boolean recorded;

    /** @param valueForToken the value to set, from the new session's token */
    public LoginReceipt(String key, UnaryOperator<String> valueForToken) {
        this.key = key;
        this.valueForToken = valueForToken;
    }

    public String key() {
        return key;
    }

    /** The value to set for a session of {@code token}. */
    public String valueFor(String token) {
        return valueForToken.apply(token);
    }

    /** Whether the store wrote it with the session. */
    public boolean recorded() {
        return recorded;
    }

    void markRecorded() {
        recorded = true;
    }

    @Override
    public String toString() {
        return "LoginReceipt[key=" + key + ", recorded=" + recorded + "]";
    }
}
