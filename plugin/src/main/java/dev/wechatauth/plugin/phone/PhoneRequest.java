package dev.wechatauth.plugin.phone;

import java.util.Set;

import dev.wechatauth.plugin.error.GatewayError;
import dev.wechatauth.plugin.error.GatewayErrorException;
import dev.wechatauth.plugin.exchange.BodyFields;

/**
 * A phone body: the code the mini-program's {@code <button open-type="getPhoneNumber">} handed over
 * ({@code e.detail.code}), as JSON {@code {"code":"…"}} or a form {@code code=…}; 1 to 128 visible ASCII characters.
 * {@link #toString()} masks the code, which is a credential until WeChat has seen it.
 */
public record PhoneRequest(String code) {

    private static final int MAX_CODE_LENGTH = 128;
    private static final String CODE = "code";
    private static final Set<String> FIELDS = Set.of(CODE);

    /** Parses a JSON body; anything but an object with a string {@code code} is {@code invalid_request}. */
    public static PhoneRequest fromJson(byte[] body) {
        return of(BodyFields.fromJson(body, FIELDS, PhoneRequest::invalid).get(CODE));
    }

    /** Parses an {@code application/x-www-form-urlencoded} body; a repeated {@code code} is {@code invalid_request}. */
    public static PhoneRequest fromForm(byte[] body) {
        return of(BodyFields.fromForm(body, FIELDS, PhoneRequest::invalid).get(CODE));
    }

    private static PhoneRequest of(String code) {
        if (!BodyFields.isVisibleAscii(code, MAX_CODE_LENGTH)) {
            throw invalid();
        }
        return new PhoneRequest(code);
    }

    private static GatewayErrorException invalid() {
        return new GatewayErrorException(GatewayError.INVALID_PHONE_BODY);
    }

    @Override
    public String toString() {
        return "PhoneRequest[code=******]";
    }
}
