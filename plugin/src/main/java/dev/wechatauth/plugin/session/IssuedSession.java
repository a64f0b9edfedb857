package dev.wechatauth.plugin.session;

import java.time.Duration;

/**
 * A session just created: the bearer token, which exists only here and in the client's hands, and how long it
 * lives unused. {@link #toString()} masks the token.
 */
public record IssuedSession(String token, Duration expiresIn, Session session) {

    @Override
    public String toString() {
        return "IssuedSession[token=******, expiresIn=" + expiresIn + ", session=" + session + "]";
    }
}
