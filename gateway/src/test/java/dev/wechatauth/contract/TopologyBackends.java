package dev.wechatauth.contract;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import dev.wechatauth.testkit.EchoDownstream;
import dev.wechatauth.testkit.WechatStandIn;

/**
 * What a gateway under a Redis topology test talks to, like {@link Backends} but with the session store given as
 * Spring properties (Sentinel or Cluster) instead of a standalone Redis process: a WeChat stand-in knowing one
 * mini-program, an echo downstream and a routes file.
 *
 * <pre>
 * /wx/login            login     no://op
 * /api/orders/**       required  the echo
 * </pre>
 *
 * No {@code spring.data.redis.url} is set here: the one {@code application.yml} ships ({@code redis://localhost:6379})
 * stays in place, and the tests check that Sentinel and Cluster settings win over it.
 */
final class TopologyBackends implements AutoCloseable {

    static final String APPID = "wx_topology_app";
    static final String SECRET = "topology-Secret-4b2d";
    static final String REQUIRED = "/api/orders/1";

    private static final AtomicLong SEQUENCE = new AtomicLong();
    private static final SecureRandom RANDOM = new SecureRandom();

    final WechatStandIn wechat;
    final EchoDownstream echo;
    final Path routesFile;
    private final Map<String, String> redisProperties;

    private TopologyBackends(Map<String, String> redisProperties) {
        this.redisProperties = new LinkedHashMap<>(redisProperties);
        this.wechat = WechatStandIn.start();
        this.echo = EchoDownstream.start();
        wechat.registerApp(APPID, SECRET);
        this.routesFile = writeRoutes(echo.baseUrl());
    }

    /** A WeChat stand-in and an echo downstream; gateways on them use {@code redisProperties} for the session store. */
    static TopologyBackends start(Map<String, String> redisProperties) {
        return new TopologyBackends(redisProperties);
    }

    /** The properties of a gateway on these backends and that Redis topology. */
    Map<String, String> gatewayProperties() {
        Map<String, String> properties = new LinkedHashMap<>();
        properties.put("server.port", "0");
        properties.putAll(redisProperties);
        properties.put("wechat.auth.api-base-url", wechat.baseUrl());
        properties.put("wechat.auth.apps[0].appid", APPID);
        properties.put("wechat.auth.apps[0].secret", SECRET);
        properties.put("wechat.auth.timeout", "2s");
        properties.put("wechat.auth.login-limit.requests", "1000000");
        properties.put("gateway.routes-file", routesFile.toString());
        return properties;
    }

    /** A new user of the mini-program, with a unionid. */
    WechatUser newUser() {
        long n = SEQUENCE.incrementAndGet();
        byte[] key = new byte[16];
        RANDOM.nextBytes(key);
        return new WechatUser(APPID, "t" + n + "_" + random(8), "u" + n + "-" + random(8),
                Base64.getEncoder().encodeToString(key));
    }

    /** A fresh code for {@code user}, accepted once by the stand-in. */
    String issueCode(WechatUser user) {
        String code = "tc" + SEQUENCE.incrementAndGet() + random(10);
        wechat.issueCode(user.appid(), code, user.openid(), user.unionid(), user.sessionKey());
        return code;
    }

    static String random(int bytes) {
        byte[] value = new byte[bytes];
        RANDOM.nextBytes(value);
        return HexFormat.of().formatHex(value);
    }

    private static Path writeRoutes(String echo) {
        String yaml = """
                routes:
                  - id: login
                    uri: no://op
                    predicates: [Path=/wx/login]
                    metadata: { auth: login }
                  - id: orders
                    uri: %1$s
                    predicates: [Path=/api/orders/**]
                    metadata: { auth: required }
                """.formatted(echo);
        try {
            Path directory = Files.createTempDirectory("topology-routes-");
            directory.toFile().deleteOnExit();
            Path file = directory.resolve("routes.yml");
            Files.writeString(file, yaml);
            file.toFile().deleteOnExit();
            return file;
        } catch (IOException failure) {
            throw new UncheckedIOException(failure);
        }
    }

    @Override
    public void close() {
        echo.close();
        wechat.close();
    }
}
