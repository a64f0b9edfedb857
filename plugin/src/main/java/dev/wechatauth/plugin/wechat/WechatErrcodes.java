package dev.wechatauth.plugin.wechat;

import dev.wechatauth.plugin.error.GatewayError;

/**
 * What each {@code errcode} means for the gateway (code2Session, stable_token, getuserphonenumber): see "WeChat facts"
 * in docs/reference.md. The values are
 * WxJava's ({@code WxMpErrorMsgEnum.CODE_1}, {@code WxMaErrorMsgEnum.CODE_40029}, ...), written out: loading those
 * enums runs Guava in their static initialisers, and Guava is the only reason the jar would carry it.
 */
final class WechatErrcodes {

    /** {@code -1}: system busy. */
    static final int SYSTEM_BUSY = -1;
    /** {@code 40029}: invalid code. */
    static final int INVALID_CODE = 40029;
    /** {@code 40163}: code already used (undocumented for code2Session, widely reported). */
    static final int CODE_USED = 40163;
    /** {@code 45011}: frequency limit. */
    static final int FREQUENCY_LIMIT = 45011;
    /** {@code 40226}: high-risk user; not in WxJava's enums. */
    static final int HIGH_RISK_USER = 40226;
    /** {@code 40001}: invalid credential, the access_token is not (or no longer) valid. */
    static final int INVALID_CREDENTIAL = 40001;
    /** {@code 42001}: the access_token expired. */
    static final int ACCESS_TOKEN_EXPIRED = 42001;

    private WechatErrcodes() {
    }

    /** Whether an API called with an access_token refused the token: take a new one and call once more. */
    static boolean isAccessTokenRefused(int errcode) {
        return errcode == INVALID_CREDENTIAL || errcode == ACCESS_TOKEN_EXPIRED;
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
