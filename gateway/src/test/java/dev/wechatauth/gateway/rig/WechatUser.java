package dev.wechatauth.gateway.rig;

/**
 * A user as the WeChat stand-in knows them in one mini-program. {@code unionid} is null when WeChat gives none;
 * {@code sessionKey} is what WeChat hands the gateway, and must never come back out of it.
 */
public record WechatUser(String appid, String openid, String unionid, String sessionKey) {

    /** What code2Session answers for this user: openid, session_key, and the unionid when there is one. */
    public String code2SessionReply() {
        return "{\"openid\":\"" + openid + "\",\"session_key\":\"" + sessionKey + "\""
                + (unionid == null ? "" : ",\"unionid\":\"" + unionid + "\"") + "}";
    }
}
