package dev.wechatauth.testkit;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Objects;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Makes {@code encryptedData} the way WeChat gives it to a mini-program: the plaintext (JSON with a
 * {@code watermark}) encrypted with AES-128-CBC and PKCS#7 padding under the user's session_key (base64, 16 bytes),
 * with a random 16-byte iv; both in standard base64.
 */
public final class WechatEncryptedData {

    private static final SecureRandom RANDOM = new SecureRandom();

    /** {@code encryptedData} and {@code iv}, standard base64 (so they may contain {@code +}, {@code /} and {@code =}). */
    public record Sealed(String encryptedData, String iv) {
    }

    private WechatEncryptedData() {
    }

    /** Encrypts {@code plaintext} under {@code sessionKey} with a fresh random iv. */
    public static Sealed seal(String sessionKey, String plaintext) {
        byte[] iv = new byte[16];
        RANDOM.nextBytes(iv);
        return seal(sessionKey, plaintext, iv);
    }

    /** Encrypts {@code plaintext} (its UTF-8 bytes) under {@code sessionKey} with the given 16-byte iv. */
    public static Sealed seal(String sessionKey, String plaintext, byte[] iv) {
        return seal(sessionKey, Objects.requireNonNull(plaintext, "plaintext").getBytes(StandardCharsets.UTF_8), iv);
    }

    /** Encrypts the bytes {@code plaintext} (not necessarily UTF-8) under {@code sessionKey} with a random iv. */
    public static Sealed seal(String sessionKey, byte[] plaintext) {
        byte[] iv = new byte[16];
        RANDOM.nextBytes(iv);
        return seal(sessionKey, plaintext, iv);
    }

    /** Encrypts the bytes {@code plaintext} under {@code sessionKey} with the given 16-byte iv. */
    public static Sealed seal(String sessionKey, byte[] plaintext, byte[] iv) {
        Objects.requireNonNull(plaintext, "plaintext");
        try {
            Cipher cipher = Cipher.getInstance("AES/CBC/PKCS5Padding");
            cipher.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(Base64.getDecoder().decode(sessionKey), "AES"),
                    new IvParameterSpec(iv));
            byte[] sealed = cipher.doFinal(plaintext);
            return new Sealed(Base64.getEncoder().encodeToString(sealed), Base64.getEncoder().encodeToString(iv));
        } catch (GeneralSecurityException failure) {
            throw new IllegalArgumentException("cannot encrypt with this session_key: " + failure.getMessage(), failure);
        }
    }

    /** A random session_key as WeChat gives them: 16 random bytes, base64. */
    public static String randomSessionKey() {
        byte[] key = new byte[16];
        RANDOM.nextBytes(key);
        return Base64.getEncoder().encodeToString(key);
    }

    /** The JSON of a watermark naming {@code appid}, to put in a plaintext: {@code "watermark":{…}}. */
    public static String watermark(String appid) {
        return "\"watermark\":{\"timestamp\":" + (System.currentTimeMillis() / 1000) + ",\"appid\":\"" + appid + "\"}";
    }
}
