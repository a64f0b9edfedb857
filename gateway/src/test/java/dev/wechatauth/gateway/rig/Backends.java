package dev.wechatauth.gateway.rig;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import dev.wechatauth.testkit.ClosedPort;
import dev.wechatauth.testkit.EchoDownstream;
import dev.wechatauth.testkit.RedisProcess;
import dev.wechatauth.testkit.WechatStandIn;

/**
 * What a gateway under test talks to, all real servers: a session store (a Redis process of its own, or the
 * Sentinel or Cluster a test names by its Spring properties), a WeChat stand-in knowing two mini-programs, an echo
 * downstream, and the routes file that points the contract's routes at it:
 *
 * <pre>
 * /wx/login            login     no://op
 * /wx/login-forward    login     the echo
 * /api/orders/**       required  the echo
 * /api/catalog/**      optional  the echo
 * /api/status/**       public    the echo
 * /api/default/**      (no metadata.auth: required) the echo
 * /api/slow/**         required, response-timeout 500 ms, the echo
 * /api/dead/**         public    a port that refuses every connection (reserved, never listening)
 * /wx/phone            phone     no://op
 * /wx/phone-forward    phone     the echo
 * /wx/decrypt          decrypt   no://op
 * /wx/decrypt-forward  decrypt   the echo
 * </pre>
 *
 * Gateways are started on them by {@link GatewayLauncher#on(Backends)}.
 */
public final class Backends implements AutoCloseable {

    public static final String FIRST_APPID = "wx_contract_first";
    public static final String FIRST_SECRET = "first-Secret-9f3a";
    public static final String SECOND_APPID = "wx_contract_second";
    public static final String SECOND_SECRET = "second-Secret-7c1e";
    public static final String UNCONFIGURED_APPID = "wx_contract_unknown";
    /** The admin API's token of every gateway on these backends (the management port's {@code /admin/...}). */
    public static final String ADMIN_TOKEN = "contract-admin-token-7f3e9a0c1b5d2468";

    public static final String REQUIRED = "/api/orders/1";
    public static final String OPTIONAL = "/api/catalog/1";
    public static final String PUBLIC = "/api/status/1";
    public static final String DEFAULT = "/api/default/1";
    public static final String PHONE = "/wx/phone";
    public static final String PHONE_FORWARD = "/wx/phone-forward";
    public static final String DECRYPT = "/wx/decrypt";
    public static final String DECRYPT_FORWARD = "/wx/decrypt-forward";

    private static final AtomicLong SEQUENCE = new AtomicLong();
    private static final SecureRandom RANDOM = new SecureRandom();

    /** The Redis process of these backends; null when the store is given by properties (Sentinel, Cluster). */
    public final RedisProcess redis;
    public final WechatStandIn wechat;
    public final EchoDownstream echo;
    public final Path routesFile;
    private final ClosedPort dead = ClosedPort.reserve();
    private final Map<String, String> storeProperties;

    private Backends(RedisProcess redis, Map<String, String> storeProperties) {
        this.redis = redis;
        this.storeProperties = new LinkedHashMap<>(storeProperties);
        this.wechat = WechatStandIn.start();
        this.echo = EchoDownstream.start();
        wechat.registerApp(FIRST_APPID, FIRST_SECRET);
        wechat.registerApp(SECOND_APPID, SECOND_SECRET);
        this.routesFile = Routes.withLogin()
                .route("login-forward", "/wx/login-forward", echo.baseUrl(), "login")
                .route("orders", "/api/orders/**", echo.baseUrl(), "required")
                .route("catalog", "/api/catalog/**", echo.baseUrl(), "optional")
                .route("status", "/api/status/**", echo.baseUrl(), "public")
                .route("default", "/api/default/**", echo.baseUrl(), null)
                .route("slow", "/api/slow/**", echo.baseUrl(), "required", Duration.ofMillis(500))
                .route("dead", "/api/dead/**", "http://127.0.0.1:" + dead.port(), "public")
                .route("phone", PHONE, "no://op", "phone")
                .route("phone-forward", PHONE_FORWARD, echo.baseUrl(), "phone")
                .route("decrypt", DECRYPT, "no://op", "decrypt")
                .route("decrypt-forward", DECRYPT_FORWARD, echo.baseUrl(), "decrypt")
                .write();
    }

    /** Starts a Redis process, a WeChat stand-in and an echo downstream. */
    public static Backends start() {
        RedisProcess redis = RedisProcess.start();
        return new Backends(redis, Map.of("spring.data.redis.url", redis.url()));
    }

    /**
     * Starts a WeChat stand-in and an echo downstream; gateways on them find their session store by
     * {@code storeProperties} ({@code spring.data.redis.sentinel.*}, {@code .cluster.*}), and keep the
     * {@code spring.data.redis.url} that {@code application.yml} ships.
     */
    public static Backends onStore(Map<String, String> storeProperties) {
        return new Backends(null, storeProperties);
    }

    /**
     * The properties of a gateway on these backends: the session store, both mini-programs, a WeChat timeout of 1 s, a
     * login limit high enough never to be reached by the tests that do not test it, the admin token, and the gateway's
     * own logging at DEBUG.
     */
    public Map<String, String> gatewayProperties() {
        Map<String, String> properties = new LinkedHashMap<>(storeProperties);
        properties.put("wechat.auth.api-base-url", wechat.baseUrl());
        properties.put("wechat.auth.apps[0].appid", FIRST_APPID);
        properties.put("wechat.auth.apps[0].secret", FIRST_SECRET);
        properties.put("wechat.auth.apps[1].appid", SECOND_APPID);
        properties.put("wechat.auth.apps[1].secret", SECOND_SECRET);
        properties.put("wechat.auth.timeout", "1s");
        properties.put("wechat.auth.login-limit.requests", "1000000");
        properties.put("gateway.routes-file", routesFile.toString());
        properties.put("wechat.auth.admin.token", ADMIN_TOKEN);
        // the gateway's own log lines at their most talkative, for the tests that read them
        properties.put("logging.level.dev.wechatauth", "DEBUG");
        return properties;
    }

    /** Forgets what earlier tests did: the requests the echo received and the calls WeChat counted. */
    public void forgetRequests() {
        echo.clear();
        wechat.resetCounters();
    }

    /** A new user of the first mini-program, with a unionid. */
    public WechatUser newUser() {
        return newUser(FIRST_APPID, true);
    }

    /** A new user of {@code appid}, with a unionid or not. */
    public WechatUser newUser(String appid, boolean withUnionid) {
        long n = SEQUENCE.incrementAndGet();
        String openid = "o" + n + "_" + random(10);
        String unionid = withUnionid ? "u" + n + "-" + random(10) : null;
        byte[] key = new byte[16];
        RANDOM.nextBytes(key);
        return new WechatUser(appid, openid, unionid, Base64.getEncoder().encodeToString(key));
    }

    /** A fresh code for {@code user}, as {@code wx.login()} would give: the stand-in accepts it once. */
    public String issueCode(WechatUser user) {
        String code = "c" + SEQUENCE.incrementAndGet() + random(12);
        wechat.issueCode(user.appid(), code, user.openid(), user.unionid(), user.sessionKey());
        return code;
    }

    /** A fresh code for a new user of the first mini-program. */
    public String newCode() {
        return issueCode(newUser());
    }

    /** A fresh code for a new user of {@code appid}, without a unionid. */
    public String newCode(String appid) {
        return issueCode(newUser(appid, false));
    }

    /**
     * A fresh phone code for a user of {@code appid}, as the {@code getPhoneNumber} button would give: the stand-in
     * accepts it once, with a valid access_token of that mini-program, and answers this number.
     */
    public String issuePhoneCode(String appid, String phoneNumber, String purePhoneNumber, String countryCode) {
        String code = "p" + SEQUENCE.incrementAndGet() + random(12);
        wechat.issuePhoneCode(appid, code, phoneNumber, purePhoneNumber, countryCode);
        return code;
    }

    /** A code the stand-in never issued. */
    public static String unknownCode() {
        return "never-issued-" + random(12);
    }

    /** A token of the gateway's shape (32 random bytes, base64url) that it never issued. */
    public static String unknownToken() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /** {@code bytes} random bytes in hex. */
    public static String random(int bytes) {
        byte[] value = new byte[bytes];
        RANDOM.nextBytes(value);
        return HexFormat.of().formatHex(value);
    }

    @Override
    public void close() {
        echo.close();
        wechat.close();
        dead.close();
        if (redis != null) {
            redis.close();
        }
    }
}
