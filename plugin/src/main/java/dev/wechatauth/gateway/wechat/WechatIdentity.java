package dev.wechatauth.gateway.wechat;

/**
 * Who WeChat says the user is, from a successful code2Session: the openid, the unionid when WeChat gave one, the
 * appid asked about, and the {@code session_key}, which never leaves the gateway ({@link #toString()} masks it).
 */
public record WechatIdentity(String appid, String openid, String unionid, String sessionKey) {

    @Override
    public String toString() {
        return "WechatIdentity[appid=" + appid + ", openid=" + openid + ", unionid=" + unionid + ", sessionKey=******]";
    }
}
