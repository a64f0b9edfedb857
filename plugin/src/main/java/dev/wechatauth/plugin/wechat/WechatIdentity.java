package dev.wechatauth.plugin.wechat;

import java.util.regex.Pattern;

/**
 * Who WeChat says the user is, from a successful code2Session: the openid, the unionid when WeChat gave one, the
 * appid asked about, and the {@code session_key}, which never leaves the gateway ({@link #toString()} masks it).
 */
public record WechatIdentity(String appid, String openid, String unionid, String sessionKey) {

    /** What WeChat identifiers (appid, openid, unionid) must look like before they are stored or sent. */
    public static final Pattern IDENTIFIER = Pattern.compile("^[A-Za-z0-9_-]{1,64}$");

    @Override
    public String toString() {
        return "WechatIdentity[appid=" + appid + ", openid=" + openid + ", unionid=" + unionid + ", sessionKey=******]";
    }
}
