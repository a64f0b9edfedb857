package dev.wechatauth.plugin.wechat;

/**
 * One mini-program the gateway serves: its appid ({@link WechatIdentity#IDENTIFIER}) and AppSecret. The secret is
 * never printed ({@link #toString()} masks it).
 */
public record MiniProgram(String appid, String secret) {

    @Override
    public String toString() {
        return "MiniProgram[appid=" + appid + ", secret=******]";
    }
}
