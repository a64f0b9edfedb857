package dev.wechatauth.plugin.wechat;

import java.time.Duration;

/**
 * An access_token as WeChat's stable_token API gave it, and how long it had left then. It is a credential for every
 * API of the mini-program: it never leaves the gateway but for WeChat, and {@link #toString()} masks it.
 */
public record AccessToken(String value, Duration expiresIn) {

    @Override
    public String toString() {
        return "AccessToken[value=******, expiresIn=" + expiresIn + "]";
    }
}
