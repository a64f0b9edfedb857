package dev.wechatauth.plugin.login;

import java.util.Map;
import java.util.Set;

import dev.wechatauth.plugin.error.GatewayError;
import dev.wechatauth.plugin.error.GatewayErrorException;
import dev.wechatauth.plugin.exchange.BodyFields;

/**
 * A login body: the {@code wx.login} code and, optionally, the appid of the mini-program. Read from JSON
 * ({@code {"code":"…","appid":"…"}}) or a form ({@code code=…&appid=…}); a code is 1 to 128 visible ASCII characters.
 * {@link #toString()} masks the code, which is a credential until WeChat has seen it.
 */
public record LoginRequest(String code, String appid) {

    private static final int MAX_CODE_LENGTH = 128;
    private static final String CODE = "code";
    private static final String APPID = "appid";
    private static final Set<String> FIELDS = Set.of(CODE, APPID);

    /** Parses a JSON body; anything but an object with a string {@code code} is {@code invalid_request}. */
    public static LoginRequest fromJson(byte[] body) {
        return of(BodyFields.fromJson(body, FIELDS, LoginRequest::invalid));
    }

    /** Parses an {@code application/x-www-form-urlencoded} body; a repeated field is {@code invalid_request}. */
    public static LoginRequest fromForm(byte[] body) {
        return of(BodyFields.fromForm(body, FIELDS, LoginRequest::invalid));
    }

    private static LoginRequest of(Map<String, String> fields) {
        return of(fields.get(CODE), fields.get(APPID));
    }

    private static LoginRequest of(String code, String appid) {
        if (!BodyFields.isVisibleAscii(code, MAX_CODE_LENGTH)) {
            throw invalid();
        }
        return new LoginRequest(code, appid == null || appid.isEmpty() ? null : appid);
    }

    private static GatewayErrorException invalid() {
        return new GatewayErrorException(GatewayError.INVALID_LOGIN_BODY);
    }

    @Override
    public String toString() {
        return "LoginRequest[code=******, appid=" + appid + "]";
    }
}
