package dev.wechatauth.plugin.login;

import java.net.URLDecoder;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

import dev.wechatauth.plugin.error.GatewayError;
import dev.wechatauth.plugin.error.GatewayErrorException;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A login body: the {@code wx.login} code and, optionally, the appid of the mini-program. Read from JSON
 * ({@code {"code":"…","appid":"…"}}) or a form ({@code code=…&appid=…}); a code is 1 to 128 visible ASCII characters.
 * {@link #toString()} masks the code, which is a credential until WeChat has seen it.
 */
public record LoginRequest(String code, String appid) {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final int MAX_CODE_LENGTH = 128;

    /** Parses a JSON body; anything but an object with a string {@code code} is {@code invalid_request}. */
    public static LoginRequest fromJson(byte[] body) {
        JsonNode root;
        try {
            root = JSON.readTree(strictUtf8(body));
        } catch (JacksonException | CharacterCodingException unreadable) {
            throw invalid();
        }
        if (root == null || !root.isObject()) {
            throw invalid();
        }
        return of(text(root.get("code")), text(root.get("appid")));
    }

    /**
     * Decodes the body as UTF-8, refusing anything else: Jackson would accept overlong encodings (reading
     * {@code C0 AF} as {@code /}) and guess UTF-16, so the gateway and a service reading the same bytes could see
     * different codes.
     */
    private static String strictUtf8(byte[] body) throws CharacterCodingException {
        return StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(body))
                .toString();
    }

    private static String text(JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isString()) {
            throw invalid();
        }
        return node.asString();
    }

    /** Parses an {@code application/x-www-form-urlencoded} body; a repeated field is {@code invalid_request}. */
    public static LoginRequest fromForm(byte[] body) {
        String code = null;
        String appid = null;
        for (String pair : new String(body, StandardCharsets.ISO_8859_1).split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int equals = pair.indexOf('=');
            String name = decode(equals < 0 ? pair : pair.substring(0, equals));
            String value = equals < 0 ? "" : decode(pair.substring(equals + 1));
            if (name.equals("code")) {
                if (code != null) {
                    throw invalid();
                }
                code = value;
            } else if (name.equals("appid")) {
                if (appid != null) {
                    throw invalid();
                }
                appid = value;
            }
        }
        return of(code, appid);
    }

    private static String decode(String text) {
        try {
            return URLDecoder.decode(text, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException malformed) {
            throw invalid();
        }
    }

    private static LoginRequest of(String code, String appid) {
        if (code == null || code.isEmpty() || code.length() > MAX_CODE_LENGTH) {
            throw invalid();
        }
        for (int i = 0; i < code.length(); i++) {
            char c = code.charAt(i);
            if (c < 0x21 || c > 0x7E) {
                throw invalid();
            }
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
