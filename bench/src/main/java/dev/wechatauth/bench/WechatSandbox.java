package dev.wechatauth.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;

import io.netty.handler.codec.http.QueryStringDecoder;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;

/**
 * A stand-in for WeChat's {@code GET /sns/jscode2session} for the benchmark: any non-empty code logs in, after a fixed
 * latency (default 100 ms, WeChat's typical answer time as seen from mainland China), without holding a thread while
 * it waits ({@link Mono#delay}). The openid is {@code o_} and 24 hex digits of SHA-256(code), so the same code is
 * the same user; a code {@code USER~N} counts as {@code USER}, so that distinct codes can log one user in on several
 * devices (bench/soak's sessions listings); the session_key is 16 random bytes in base64, as WeChat's. Answers {@code text/plain} JSON, as WeChat
 * does. Listens on 127.0.0.1 only.
 *
 * <pre>
 * java -cp … dev.wechatauth.bench.WechatSandbox --port 0 --latency-ms 100 [--port-file FILE]
 * </pre>
 * With {@code --port 0} a free port is chosen; it is printed ({@code listening on 127.0.0.1:PORT}) and written to
 * the port file when one is named. Runs until killed.
 */
public final class WechatSandbox implements AutoCloseable {

    private final DisposableServer server;

    /**
     * @param port the port to listen on, 0 for any free one
     * @param latency how long each answer waits
     */
    public WechatSandbox(int port, Duration latency) {
        this.server = HttpServer.create()
                .host("127.0.0.1")
                .port(port)
                .route(routes -> routes.get("/sns/jscode2session", (request, response) -> {
                    String code = new QueryStringDecoder(request.uri()).parameters()
                            .getOrDefault("js_code", List.of("")).get(0);
                    String body = answer(code);
                    Mono<String> delayed = latency.isZero()
                            ? Mono.just(body)
                            : Mono.delay(latency).thenReturn(body);
                    return response.header("Content-Type", "text/plain").sendString(delayed);
                }))
                .bindNow();
    }

    /** The port the sandbox listens on. */
    public int port() {
        return server.port();
    }

    /** WeChat's answer to a code: a session for any non-empty code, errcode 40029 for an empty one. */
    static String answer(String code) {
        if (code.isEmpty()) {
            return "{\"errcode\":40029,\"errmsg\":\"invalid code\"}";
        }
        return "{\"openid\":\"" + openid(code) + "\",\"session_key\":\"" + sessionKey() + "\"}";
    }

    /**
     * {@code o_} and the first 12 bytes of SHA-256(code) in hex: the same code is the same user, and so are
     * {@code USER~1}, {@code USER~2} … (the code up to its first {@code ~}).
     */
    static String openid(String code) {
        int device = code.indexOf('~');
        String user = device < 0 ? code : code.substring(0, device);
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(user.getBytes(StandardCharsets.UTF_8));
            return "o_" + HexFormat.of().formatHex(digest, 0, 12);
        } catch (NoSuchAlgorithmException impossible) {
            throw new IllegalStateException(impossible);
        }
    }

    private static String sessionKey() {
        byte[] key = new byte[16];
        ThreadLocalRandom.current().nextBytes(key); // a stand-in: the key protects nothing here
        return Base64.getEncoder().encodeToString(key);
    }

    @Override
    public void close() {
        server.disposeNow();
    }

    public static void main(String[] args) throws IOException, InterruptedException {
        int port = 0;
        long latencyMs = 100;
        Path portFile = null;
        for (int i = 0; i < args.length; i++) {
            String value = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i]) {
                case "--port" -> port = Integer.parseInt(required(args[i], value));
                case "--latency-ms" -> latencyMs = Long.parseLong(required(args[i], value));
                case "--port-file" -> portFile = Path.of(required(args[i], value));
                default -> {
                    System.err.println("usage: WechatSandbox [--port P] [--latency-ms MS] [--port-file FILE]");
                    System.exit(2);
                }
            }
            i++;
        }
        WechatSandbox sandbox = new WechatSandbox(port, Duration.ofMillis(latencyMs));
        if (portFile != null) {
            Path partial = portFile.resolveSibling(portFile.getFileName() + ".partial");
            Files.writeString(partial, Integer.toString(sandbox.port()));
            Files.move(partial, portFile, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        }
        System.out.println("WeChat sandbox listening on 127.0.0.1:" + sandbox.port() + ", latency " + latencyMs
                + " ms; any code logs in");
        Runtime.getRuntime().addShutdownHook(new Thread(sandbox::close));
        new CountDownLatch(1).await();
    }

    private static String required(String option, String value) {
        if (value == null) {
            System.err.println(option + " needs a value");
            System.exit(2);
        }
        return value;
    }
}
