package dev.wechatauth.plugin.decrypt;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;

import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

import dev.wechatauth.plugin.error.GatewayError;
import dev.wechatauth.plugin.error.GatewayErrorException;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Decrypts a mini-program's {@code encryptedData} the way WeChat made it: AES-128-CBC with PKCS#7 padding, the key
 * the base64-decoded session_key (16 bytes), the iv the base64-decoded {@code iv} (16 bytes). A space in any of the
 * three base64 values is read as the {@code +} that form encoding turned into it. The plaintext must be a JSON
 * object whose {@code watermark.appid} is the session's appid (a stale session_key yields garbage or a padding
 * error, so the watermark is what proves the key); the object is returned without its {@code watermark}. Anything
 * else (base64 that is not, a wrong length, a padding error, not UTF-8 JSON, no or another watermark) is 400
 * {@code decrypt_failed}.
 * <p>
 * This uses the JDK's {@code AES/CBC/PKCS5Padding} (the same padding as PKCS#7 for 16-byte blocks) rather than
 * WxJava's {@code WxMaCryptUtils.decrypt}: that one decodes base64 leniently (commons-codec skips characters that are
 * not base64, so a broken value decrypts as other bytes instead of failing) and does not check the padding.
 */
public final class EncryptedData {

    private static final int AES_128_BYTES = 16;
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String WATERMARK = "watermark";

    private EncryptedData() {
    }

    /** The plaintext object of {@code encryptedData}, checked against {@code appid} and without its watermark. */
    public static ObjectNode decrypt(String sessionKey, String encryptedData, String iv, String appid) {
        byte[] key = base64(sessionKey);
        byte[] initVector = base64(iv);
        byte[] data = base64(encryptedData);
        if (key.length != AES_128_BYTES || initVector.length != AES_128_BYTES || data.length == 0
                || data.length % AES_128_BYTES != 0) {
            throw failed();
        }
        byte[] plain;
        try {
            Cipher cipher = Cipher.getInstance("AES/CBC/PKCS5Padding");
            cipher.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key, "AES"), new IvParameterSpec(initVector));
            plain = cipher.doFinal(data);
        } catch (GeneralSecurityException wrongKeyOrData) {
            throw failed();
        }
        JsonNode root;
        try {
            root = JSON.readTree(StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(plain))
                    .toString());
        } catch (CharacterCodingException | JacksonException garbage) {
            throw failed();
        }
        if (!(root instanceof ObjectNode object)) {
            throw failed();
        }
        JsonNode watermark = object.get(WATERMARK);
        JsonNode watermarkAppid = watermark == null ? null : watermark.get("appid");
        if (watermarkAppid == null || !watermarkAppid.isString() || !appid.equals(watermarkAppid.asString())) {
            throw failed();
        }
        object.remove(WATERMARK);
        return object;
    }

    /** Strict base64 (the JDK's basic alphabet; padding optional), a space read as the {@code +} it was. */
    private static byte[] base64(String value) {
        try {
            return Base64.getDecoder().decode(value.replace(' ', '+'));
        } catch (IllegalArgumentException notBase64) {
            throw failed();
        }
    }

    private static GatewayErrorException failed() {
        return new GatewayErrorException(GatewayError.DECRYPT_FAILED);
    }
}
