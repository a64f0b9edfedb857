package dev.wechatauth.plugin.wechat;

import dev.wechatauth.plugin.error.GatewayError;
import me.chanjar.weixin.common.error.WxMaErrorMsgEnum;
import me.chanjar.weixin.common.error.WxMpErrorMsgEnum;

/** What each code2Session {@code errcode} means for the login: see "WeChat facts" in docs/reference.md. */
final class WechatErrcodes {

    static final int SYSTEM_BUSY = WxMpErrorMsgEnum.CODE_1.getCode();
    static final int INVALID_CODE = WxMaErrorMsgEnum.CODE_40029.getCode();
    static final int CODE_USED = WxMpErrorMsgEnum.CODE_40163.getCode();
    static final int FREQUENCY_LIMIT = WxMaErrorMsgEnum.CODE_45011.getCode();
    /** High-risk user: not in WxJava's enums. */
    static final int HIGH_RISK_USER = 40226;

    private WechatErrcodes() {
    }

    /** The gateway's answer to an errcode other than 0. */
    static GatewayError toError(int errcode) {
        if (errcode == SYSTEM_BUSY) {
            return GatewayError.WECHAT_UNAVAILABLE;
        }
        if (errcode == INVALID_CODE || errcode == CODE_USED) {
            return GatewayError.INVALID_CODE;
        }
        if (errcode == FREQUENCY_LIMIT) {
            return GatewayError.WECHAT_RATE_LIMITED;
        }
        if (errcode == HIGH_RISK_USER) {
            return GatewayError.USER_BLOCKED;
        }
        return GatewayError.WECHAT_ERROR;
    }
}
