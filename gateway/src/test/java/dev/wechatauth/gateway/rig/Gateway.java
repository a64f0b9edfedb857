package dev.wechatauth.gateway.rig;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A running gateway, in this JVM or in a process of its own ({@link GatewayLauncher}), and the ways a test talks to
 * it: {@link #http()} on the public port, {@link #management()} on the management port, and shortcuts for the
 * requests most tests send. Header arguments are written as on the wire: {@code "Name: value"}.
 */
public abstract class Gateway implements AutoCloseable {

    private final String name;
    private final Backends backends;
    private final int port;
    private final int managementPort;
    private final Http http;

    protected Gateway(String name, Backends backends, int port, int managementPort) {
        this.name = name;
        this.backends = backends;
        this.port = port;
        this.managementPort = managementPort;
        this.http = Http.to(port);
    }

    public String name() {
        return name;
    }

    /** What the gateway talks to; null for a gateway started {@link GatewayLauncher#withoutBackends()}. */
    public Backends backends() {
        return backends;
    }

    /** The public port. */
    public int port() {
        return port;
    }

    /** The port of the actuator ({@code management.server.port}); -1 when it is off. */
    public int managementPort() {
        return managementPort;
    }

    /** The client of the public port. */
    public Http http() {
        return http;
    }

    /** A client of the management port. */
    public Http management() {
        return Http.to(managementPort);
    }

    // ---- shortcuts through http() ----

    public Answer get(String path, String... headers) {
        return http.get(path, headers);
    }

    public Answer post(String path, String body, String... headers) {
        return http.post(path, body, headers);
    }

    public Answer send(String method, String path, byte[] body, String... headers) {
        return http.send(method, path, body, headers);
    }

    public Answer raw(String requestLine, String... headers) {
        return http.raw(requestLine, headers);
    }

    public Answer raw(String requestLine, byte[] body, String... headers) {
        return http.raw(requestLine, body, headers);
    }

    public Answer login(String code, String... headers) {
        return http.login(code, headers);
    }

    public Answer loginTo(String appid, String code) {
        return http.loginTo(appid, code);
    }

    public Answer loginWithBody(String json, String... headers) {
        return http.loginWithBody(json, headers);
    }

    /** {@code GET} of the {@code required} route with {@code token}. */
    public Answer withToken(String token) {
        return http.get(Backends.REQUIRED, "Authorization: Bearer " + token);
    }

    // ---- sessions ----

    /** Logs {@code user} in with a fresh code (naming its mini-program unless it is the first) and returns the token. */
    public String tokenFor(WechatUser user) {
        String code = backends.issueCode(user);
        Answer answer = user.appid().equals(Backends.FIRST_APPID) ? login(code) : loginTo(user.appid(), code);
        assertThat(answer.status()).as("login of %s on %s: %s", user.openid(), name, answer).isEqualTo(200);
        return answer.json().get("token").asString();
    }

    /** Logs in a new user of the first mini-program (with a unionid) and returns the token. */
    public String newToken() {
        return tokenFor(backends.newUser());
    }

    @Override
    public abstract void close();

    @Override
    public String toString() {
        return name + " (port " + port + ", management port " + managementPort + ")";
    }
}
