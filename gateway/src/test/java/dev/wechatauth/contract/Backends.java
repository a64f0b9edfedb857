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
import dev.wechatauth.testkit.FreePort;
import dev.wechatauth.testkit.RedisProcess;
import dev.wechatauth.testkit.WechatStandIn;

/**
 * What a gateway under test talks to, all real servers: a Redis process, a WeChat stand-in knowing two
 * mini-programs, an echo downstream, and the routes file that points the contract's routes at it.
 *
 * <pre>
 * /wx/login            login     no://op
 * /wx/login-forward    login     the echo
 * /api/orders/**       required  the echo
 * /api/catalog/**      optional  the echo
 * /api/status/**       public    the echo
 * /api/default/**      (no metadata.auth: required) the echo
 * /api/slow/**         required, response-timeout 500 ms, the echo
 * /api/dead/**         public    a port nothing listens on
 * </pre>
 */
final class Backends implements AutoCloseable {

    static final String FIRST_APPID = "wx_contract_first";
    static final String FIRST_SECRET = "first-Secret-9f3a";
    static final String SECOND_APPID = "wx_contract_second";
    static final String SECOND_SECRET = "second-Secret-7c1e";
    static final String UNCONFIGURED_APPID = "wx_contract_unknown";

    static final String REQUIRED = "/api/orders/1";
    static final String OPTIONAL = "/api/catalog/1";
    static final String PUBLIC = "/api/status/1";
    static final String DEFAULT = "/api/default/1";

    private static final AtomicLong SEQUENCE = new AtomicLong();
    private static final SecureRandom RANDOM = new SecureRandom();

    final RedisProcess redis;
    final WechatStandIn wechat;
    final EchoDownstream echo;
    final Path routesFile;

    private Backends(RedisProcess redis) {
        this.redis = redis;
        this.wechat = WechatStandIn.start();
        this.echo = EchoDownstream.start();
        wechat.registerApp(FIRST_APPID, FIRST_SECRET);
        wechat.registerApp(SECOND_APPID, SECOND_SECRET);
        this.routesFile = writeRoutes(echo.baseUrl(), "http://127.0.0.1:" + FreePort.next());
    }

    /** Starts a Redis process, a WeChat stand-in and an echo downstream. */
    static Backends start() {
        return new Backends(RedisProcess.start());
    }

    /**
     * The properties of a gateway on these backends: both mini-programs, a WeChat timeout of 1 s, a login limit high
     * enough never to be reached by the tests that do not test it, and the gateway's own logging at DEBUG.
     */
    Map<String, String> gatewayProperties() {
        Map<String, String> properties = new LinkedHashMap<>();
        properties.put("server.port", "0");
        properties.put("spring.data.redis.url", redis.url());
        properties.put("wechat.auth.api-base-url", wechat.baseUrl());
        properties.put("wechat.auth.apps[0].appid", FIRST_APPID);
        properties.put("wechat.auth.apps[0].secret", FIRST_SECRET);
        properties.put("wechat.auth.apps[1].appid", SECOND_APPID);
        properties.put("wechat.auth.apps[1].secret", SECOND_SECRET);
        properties.put("wechat.auth.timeout", "1s");
        properties.put("wechat.auth.login-limit.requests", "1000000");
        properties.put("gateway.routes-file", routesFile.toString());
        // the gateway's own log lines at their most talkative, for the tests that read them
        properties.put("logging.level.dev.wechatauth", "DEBUG");
        return properties;
    }

    /** A new user of the first mini-program, with a unionid. */
    WechatUser newUser() {
        return newUser(FIRST_APPID, true);
    }

    /** A new user of {@code appid}, with a unionid or not. */
    WechatUser newUser(String appid, boolean withUnionid) {
        long n = SEQUENCE.incrementAndGet();
        String openid = "o" + n + "_" + random(10);
        String unionid = withUnionid ? "u" + n + "-" + random(10) : null;
        byte[] key = new byte[16];
        RANDOM.nextBytes(key);
        return new WechatUser(appid, openid, unionid, Base64.getEncoder().encodeToString(key));
    }

    /** A fresh code for {@code user}, as {@code wx.login()} would give: the stand-in accepts it once. */
    String issueCode(WechatUser user) {
        String code = "c" + SEQUENCE.incrementAndGet() + random(12);
        wechat.issueCode(user.appid(), code, user.openid(), user.unionid(), user.sessionKey());
        return code;
    }

    /** A code the stand-in never issued. */
    static String unknownCode() {
        return "never-issued-" + random(12);
    }

    static String random(int bytes) {
        byte[] value = new byte[bytes];
        RANDOM.nextBytes(value);
        return HexFormat.of().formatHex(value);
    }

    private static Path writeRoutes(String echo, String nothingListens) {
        String yaml = """
                routes:
                  - id: login
                    uri: no://op
                    predicates: [Path=/wx/login]
                    metadata: { auth: login }
                  - id: login-forward
                    uri: %1$s
                    predicates: [Path=/wx/login-forward]
                    metadata: { auth: login }
                  - id: orders
                    uri: %1$s
                    predicates: [Path=/api/orders/**]
                    metadata: { auth: required }
                  - id: catalog
                    uri: %1$s
                    predicates: [Path=/api/catalog/**]
                    metadata: { auth: optional }
                  - id: status
                    uri: %1$s
                    predicates: [Path=/api/status/**]
                    metadata: { auth: public }
                  - id: default
                    uri: %1$s
                    predicates: [Path=/api/default/**]
                  - id: slow
                    uri: %1$s
                    predicates: [Path=/api/slow/**]
                    metadata: { auth: required, response-timeout: 500 }
                  - id: dead
                    uri: %2$s
                    predicates: [Path=/api/dead/**]
                    metadata: { auth: public }
                """.formatted(echo, nothingListens);
        try {
            Path directory = Files.createTempDirectory("contract-routes-");
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
        redis.close();
    }
}
