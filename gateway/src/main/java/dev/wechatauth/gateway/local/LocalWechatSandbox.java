package dev.wechatauth.gateway.local;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;

import io.netty.handler.codec.http.QueryStringDecoder;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;

/**
 * A stand-in for WeChat's {@code /sns/jscode2session} for the {@code local} profile only: any code logs in, and the
 * openid is derived from the code ({@code local_} + 24 hex digits of its SHA-256), so the same code is the same user.
 * Answers {@code text/plain} JSON as WeChat does. Listens on 127.0.0.1 only.
 */
final class LocalWechatSandbox implements AutoCloseable {

    private final SecureRandom random = new SecureRandom();
    private final DisposableServer server;

    LocalWechatSandbox() {
        this.server = HttpServer.create()
                .host("127.0.0.1")
                .port(0)
                .route(routes -> routes.get("/sns/jscode2session", (request, response) -> {
                    String code = new QueryStringDecoder(request.uri()).parameters()
                            .getOrDefault("js_code", java.util.List.of("")).get(0);
                    String body = code.isEmpty()
                            ? "{\"errcode\":40029,\"errmsg\":\"invalid code\"}"
                            : "{\"openid\":\"" + openid(code) + "\",\"session_key\":\"" + sessionKey() + "\"}";
                    return response.header("Content-Type", "text/plain").sendString(Mono.just(body));
                }))
                .bindNow();
    }

    String baseUrl() {
        return "http://127.0.0.1:" + server.port();
    }

    static String openid(String code) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(code.getBytes(StandardCharsets.UTF_8));
            return "local_" + HexFormat.of().formatHex(digest, 0, 12);
        } catch (NoSuchAlgorithmException impossible) {
            throw new IllegalStateException(impossible);
        }
    }

    private String sessionKey() {
        byte[] key = new byte[16];
        random.nextBytes(key);
        return Base64.getEncoder().encodeToString(key);
    }

    @Override
    public void close() {
        server.disposeNow();
    }
}
