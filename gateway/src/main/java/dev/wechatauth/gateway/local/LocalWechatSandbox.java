package dev.wechatauth.gateway.local;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

import io.netty.handler.codec.http.QueryStringDecoder;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;
import reactor.netty.http.server.HttpServerResponse;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * A stand-in for WeChat's APIs for the {@code local} profile only. Listens on 127.0.0.1 only and answers
 * {@code text/plain} JSON as WeChat does.
 * <ul>
 * <li>{@code GET /sns/jscode2session}: any code logs in; the openid is derived from the code ({@code local_} + 24 hex
 * digits of its SHA-256), so the same code is the same user; a code {@code name:anything} is the user of the code
 * {@code name}, so that one user can log in again and again with fresh codes (as the playground's {@code wx.login}
 * does: the login's duplicate window would answer a code sent twice with its first session); the session_key is
 * derived from the openid
 * ({@link #sessionKey(String)}), so that anyone can make encryptedData for a sandbox user.</li>
 * <li>{@code POST /cgi-bin/stable_token}: a made-up access_token for any app, valid for 7200 s.</li>
 * <li>{@code POST /wxa/business/getuserphonenumber}: any code with one of its access_tokens answers a fake mainland
 * number derived from the code ({@code +86 1} and 10 digits); an unknown token is 40001, an empty code 40029.</li>
 * <li>{@code POST /sandbox/encrypt?code=…} (or {@code ?openid=…}), a JSON object as the body: answers
 * {@code {"encryptedData","iv"}} of that object with a watermark naming the sandbox mini-program, encrypted as WeChat
 * would for the user of that login code; what a {@code decrypt} route takes. Not a WeChat API.</li>
 * </ul>
 */
final class LocalWechatSandbox implements AutoCloseable {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final SecureRandom random = new SecureRandom();
    private final Map<String, String> accessTokens = new ConcurrentHashMap<>();
    private final String appid;
    private final DisposableServer server;

    /** @param appid the sandbox mini-program, named in the watermarks the sandbox writes */
    LocalWechatSandbox(String appid) {
        this.appid = appid;
        this.server = HttpServer.create()
                .host("127.0.0.1")
                .port(0)
                .route(routes -> routes
                        .get("/sns/jscode2session", (request, response) -> {
                            String code = param(request.uri(), "js_code");
                            String body = code.isEmpty()
                                    ? "{\"errcode\":40029,\"errmsg\":\"invalid code\"}"
                                    : "{\"openid\":\"" + openid(code) + "\",\"session_key\":\""
                                            + sessionKey(openid(code)) + "\"}";
                            return text(response, body);
                        })
                        .post("/cgi-bin/stable_token", (request, response) -> request.receive().aggregate()
                                .asString(StandardCharsets.UTF_8).defaultIfEmpty("")
                                .flatMap(body -> text(response, stableToken(body))))
                        .post("/wxa/business/getuserphonenumber", (request, response) -> request.receive().aggregate()
                                .asString(StandardCharsets.UTF_8).defaultIfEmpty("")
                                .flatMap(body -> text(response, phoneNumber(param(request.uri(), "access_token"), body))))
                        .post("/sandbox/encrypt", (request, response) -> request.receive().aggregate()
                                .asString(StandardCharsets.UTF_8).defaultIfEmpty("")
                                .flatMap(body -> {
                                    String code = param(request.uri(), "code");
                                    String openid = code.isEmpty() ? param(request.uri(), "openid") : openid(code);
                                    return text(response, encrypt(openid, body));
                                })))
                .bindNow();
    }

    String baseUrl() {
        return "http://127.0.0.1:" + server.port();
    }

    static String openid(String code) {
        int colon = code.indexOf(':');
        return "local_" + HexFormat.of().formatHex(sha256(colon < 0 ? code : code.substring(0, colon)), 0, 12);
    }

    /** A sandbox user's session_key: base64 of the first 16 bytes of SHA-256("local-session-key:" + openid). */
    static String sessionKey(String openid) {
        return Base64.getEncoder().encodeToString(Arrays.copyOf(sha256("local-session-key:" + openid), 16));
    }

    /** A fake mainland number for a phone code: {@code +861} and 10 digits derived from the code. */
    static String phoneDigits(String code) {
        long value = 0;
        for (byte b : Arrays.copyOf(sha256("local-phone:" + code), 8)) {
            value = (value << 8) | (b & 0xFF);
        }
        return "1" + String.format("%010d", Math.floorMod(value, 10_000_000_000L));
    }

    private String stableToken(String body) {
        JsonNode request = read(body);
        String app = request == null ? null : text(request, "appid");
        if (app == null || app.isEmpty()) {
            return "{\"errcode\":40013,\"errmsg\":\"invalid appid\"}";
        }
        byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        String token = "local_sandbox_" + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
        accessTokens.put(token, app);
        return "{\"access_token\":\"" + token + "\",\"expires_in\":7200}";
    }

    private String phoneNumber(String accessToken, String body) {
        String app = accessTokens.get(accessToken);
        if (app == null) {
            return "{\"errcode\":40001,\"errmsg\":\"invalid credential, access_token is invalid or not latest\"}";
        }
        JsonNode request = read(body);
        String code = request == null ? null : text(request, "code");
        if (code == null || code.isEmpty()) {
            return "{\"errcode\":40029,\"errmsg\":\"invalid code\"}";
        }
        String pure = phoneDigits(code);
        return "{\"errcode\":0,\"errmsg\":\"ok\",\"phone_info\":{\"phoneNumber\":\"+86" + pure
                + "\",\"purePhoneNumber\":\"" + pure + "\",\"countryCode\":\"86\",\"watermark\":{\"timestamp\":"
                + Instant.now().getEpochSecond() + ",\"appid\":\"" + app + "\"}}}";
    }

    /** {@code /sandbox/encrypt}'s answer: {@code {"encryptedData","iv"}} of {@code body} for {@code openid}'s session_key. */
    String encrypt(String openid, String body) {
        JsonNode plain = read(body);
        if (openid.isEmpty() || !(plain instanceof ObjectNode object)) {
            return "{\"errcode\":47001,\"errmsg\":\"POST a JSON object, with ?code=<the login code> or ?openid=…\"}";
        }
        object.putObject("watermark").put("timestamp", Instant.now().getEpochSecond()).put("appid", appid);
        try {
            byte[] iv = new byte[16];
            random.nextBytes(iv);
            Cipher cipher = Cipher.getInstance("AES/CBC/PKCS5Padding");
            cipher.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(Base64.getDecoder().decode(sessionKey(openid)), "AES"),
                    new IvParameterSpec(iv));
            byte[] sealed = cipher.doFinal(JSON.writeValueAsBytes(object));
            return JSON.writeValueAsString(JSON.createObjectNode()
                    .put("encryptedData", Base64.getEncoder().encodeToString(sealed))
                    .put("iv", Base64.getEncoder().encodeToString(iv)));
        } catch (GeneralSecurityException impossible) {
            throw new IllegalStateException("AES-CBC is part of every Java platform", impossible);
        }
    }

    private static JsonNode read(String body) {
        try {
            return JSON.readTree(body);
        } catch (JacksonException notJson) {
            return null;
        }
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value != null && value.isString() ? value.asString() : null;
    }

    private static String param(String uri, String name) {
        return new QueryStringDecoder(uri).parameters().getOrDefault(name, List.of("")).get(0);
    }

    private static Mono<Void> text(HttpServerResponse response, String body) {
        return response.header("Content-Type", "text/plain").sendString(Mono.just(body)).then();
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException impossible) {
            throw new IllegalStateException(impossible);
        }
    }

    @Override
    public void close() {
        server.disposeNow();
    }
}
