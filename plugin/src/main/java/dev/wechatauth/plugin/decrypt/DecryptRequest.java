package dev.wechatauth.plugin.decrypt;

import java.util.Map;
import java.util.Set;

import dev.wechatauth.plugin.error.GatewayError;
import dev.wechatauth.plugin.error.GatewayErrorException;
import dev.wechatauth.plugin.exchange.BodyFields;

/**
 * A decrypt body: {@code encryptedData} and {@code iv} as the mini-program got them (share info, WeRun data, …), as
 * JSON {@code {"encryptedData":"…","iv":"…"}} or a form {@code encryptedData=…&iv=…}. Both must be non-empty strings;
 * whether they are base64 that decrypts is the decryption's question ({@code decrypt_failed}).
 */
public record DecryptRequest(String encryptedData, String iv) {

    private static final String ENCRYPTED_DATA = "encryptedData";
    private static final String IV = "iv";
    private static final Set<String> FIELDS = Set.of(ENCRYPTED_DATA, IV);

    /** Parses a JSON body; anything but an object with string {@code encryptedData} and {@code iv} is {@code invalid_request}. */
    public static DecryptRequest fromJson(byte[] body) {
        return of(BodyFields.fromJson(body, FIELDS, DecryptRequest::invalid));
    }

    /** Parses an {@code application/x-www-form-urlencoded} body; a repeated field is {@code invalid_request}. */
    public static DecryptRequest fromForm(byte[] body) {
        return of(BodyFields.fromForm(body, FIELDS, DecryptRequest::invalid));
    }

    private static DecryptRequest of(Map<String, String> fields) {
        String encryptedData = fields.get(ENCRYPTED_DATA);
        String iv = fields.get(IV);
        if (encryptedData == null || encryptedData.isEmpty() || iv == null || iv.isEmpty()) {
            throw invalid();
        }
        return new DecryptRequest(encryptedData, iv);
    }

    private static GatewayErrorException invalid() {
        return new GatewayErrorException(GatewayError.INVALID_DECRYPT_BODY);
    }

    @Override
    public String toString() {
        return "DecryptRequest[" + encryptedData.length() + " characters]";
    }
}
