package dev.wechatauth.plugin.session;

/**
 * A logged-in user as the session store holds it. {@code unionid} is null when WeChat gave none;
 * {@code sessionKey} is the one this login obtained and never leaves the gateway ({@link #toString()} masks it).
 *
 * @param createdAt when the session was created, in epoch seconds
 */
public record Session(String openid, String unionid, String appid, String sessionKey, long createdAt) {

    @Override
    public String toString() {
        return "Session[openid=" + openid + ", unionid=" + unionid + ", appid=" + appid + ", sessionKey=******, createdAt="
                + createdAt + "]";
    }
}
