package dev.wechatauth.plugin.exchange;

import java.net.URLDecoder;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

import dev.wechatauth.plugin.error.GatewayErrorException;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The string fields of a body the gateway exchanges (login, phone, decrypt), read by the parsers a route hands to
 * {@link BodyReader}: a JSON object or an {@code application/x-www-form-urlencoded} form. Only the named fields are
 * read; the others are left to the service the request may be forwarded to. A body that says nothing usable fails
 * with the route's own {@code invalid} error:
 * <ul>
 * <li>JSON: not strictly UTF-8, not JSON, not an object, or a named field that is neither a string nor
 * {@code null} ({@code null} counts as absent);</li>
 * <li>form: a named field given twice, or an escape (in any field) that does not decode.</li>
 * </ul>
 * A form decodes {@code +} to a space, as form encoding says; a route that expects base64 restores it.
 */
public final class BodyFields {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private BodyFields() {
    }

    /** The named fields of a JSON object body; absent fields are not in the map. */
    public static Map<String, String> fromJson(byte[] body, Set<String> names, Supplier<GatewayErrorException> invalid) {
        JsonNode root;
        try {
            root = JSON.readTree(strictUtf8(body));
        } catch (JacksonException | CharacterCodingException unreadable) {
            throw invalid.get();
        }
        if (root == null || !root.isObject()) {
            throw invalid.get();
        }
        Map<String, String> fields = new HashMap<>();
        for (String name : names) {
            JsonNode node = root.get(name);
            if (node == null || node.isNull()) {
                continue;
            }
            if (!node.isString()) {
                throw invalid.get();
            }
            fields.put(name, node.asString());
        }
        return fields;
    }

    /**
     * Decodes the body as UTF-8, refusing anything else: Jackson would accept overlong encodings (reading
     * {@code C0 AF} as {@code /}) and guess UTF-16, so the gateway and a service reading the same bytes could see
     * different values.
     */
    private static String strictUtf8(byte[] body) throws CharacterCodingException {
        return StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(body))
                .toString();
    }

    /** The named fields of a form body; absent fields are not in the map, a repeated one is {@code invalid}. */
    public static Map<String, String> fromForm(byte[] body, Set<String> names, Supplier<GatewayErrorException> invalid) {
        Map<String, String> fields = new HashMap<>();
        for (String pair : new String(body, StandardCharsets.ISO_8859_1).split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int equals = pair.indexOf('=');
            String name = decode(equals < 0 ? pair : pair.substring(0, equals), invalid);
            String value = equals < 0 ? "" : decode(pair.substring(equals + 1), invalid);
            if (names.contains(name) && fields.putIfAbsent(name, value) != null) {
                throw invalid.get();
            }
        }
        return fields;
    }

    /**
     * Whether {@code value} is 1 to {@code maxLength} visible ASCII characters ({@code !} to {@code ~}): what a WeChat
     * code looks like, and nothing that could break a header, a URL or a JSON string it is put in.
     */
    public static boolean isVisibleAscii(String value, int maxLength) {
        if (value == null || value.isEmpty() || value.length() > maxLength) {
            return false;
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < 0x21 || c > 0x7E) {
                return false;
            }
        }
        return true;
    }

    private static String decode(String text, Supplier<GatewayErrorException> invalid) {
        try {
            return URLDecoder.decode(text, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException malformed) {
            throw invalid.get();
        }
    }
}
