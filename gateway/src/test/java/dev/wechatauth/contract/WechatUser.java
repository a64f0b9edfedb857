package dev.wechatauth.contract;

/**
 * A user as the WeChat stand-in knows them in one mini-program. {@code unionid} is null when WeChat gives none;
 * {@code sessionKey} is what WeChat hands the gateway, and must never come back out of it.
 */
record WechatUser(String appid, String openid, String unionid, String sessionKey) {
}
