package dev.wechatauth.contract;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.wechatauth.gateway.GatewayApplication;
import io.lettuce.core.AbstractRedisClient;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

/**
 * One gateway ({@link GatewayApplication}, in this JVM, on a free port, with Netty resources of its own as in
 * {@link GatewayInstance}) on {@link TopologyBackends}, and a plain {@link HttpClient} to talk to it: each call has a
 * bounded time, and a call that fails on the client side comes back as an {@link Answer} with status {@code -1} and
 * the failure in its body, so that steady-traffic loops can record it instead of dying.
 */
final class TopologyGateway implements AutoCloseable {

    /**
     * The longest the test itself waits for one answer (as {@link GatewayInstance} does): the first requests of a cold
     * JVM on a busy machine can take seconds.
     */
    static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(20);
    /**
     * The longest a steady-traffic client waits for one answer; a slower one is recorded as a client-side failure.
     * Every Redis command is bounded by 1 s and a WeChat call by 2 s here, so only a hang gets near it.
     */
    static final Duration TRAFFIC_TIMEOUT = Duration.ofSeconds(10);

    private final String name;
    private final TopologyBackends backends;
    private final ConfigurableApplicationContext context;
    private final int port;
    private final HttpClient http;

    private TopologyGateway(String name, TopologyBackends backends, ConfigurableApplicationContext context) {
        this.name = name;
        this.backends = backends;
        this.context = context;
        this.port = context.getEnvironment().getRequiredProperty("local.server.port", Integer.class);
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(2))
                .build();
    }

    /** Starts a gateway on {@code backends} with {@code overrides} ({@code "name=value"}) as command-line arguments. */
    static TopologyGateway start(String name, TopologyBackends backends, String... overrides) {
        Map<String, String> properties = new LinkedHashMap<>(backends.gatewayProperties());
        for (String override : overrides) {
            int equals = override.indexOf('=');
            properties.put(override.substring(0, equals), override.substring(equals + 1));
        }
        String[] args = properties.entrySet().stream()
                .map(property -> "--" + property.getKey() + "=" + property.getValue())
                .toArray(String[]::new);
        return new TopologyGateway(name, backends, new SpringApplicationBuilder(GatewayApplication.class,
                GatewayInstance.OwnNettyResources.class).run(args));
    }

    String name() {
        return name;
    }

    int port() {
        return port;
    }

    ConfigurableApplicationContext context() {
        return context;
    }

    LettuceConnectionFactory connectionFactory() {
        return context.getBean(LettuceConnectionFactory.class);
    }

    /** The Lettuce client Spring Boot built from the properties ({@code RedisClient} or {@code RedisClusterClient}). */
    AbstractRedisClient nativeClient() {
        return connectionFactory().getRequiredNativeClient();
    }

    // ---- requests ----

    Answer get(String path, String... headers) {
        return send("GET", path, null, CLIENT_TIMEOUT, headers);
    }

    Answer post(String path, String body, String... headers) {
        return send("POST", path, body, CLIENT_TIMEOUT, headers);
    }

    /** {@code POST /wx/login} with {@code {"code":"…"}}. */
    Answer login(String code) {
        return login(code, CLIENT_TIMEOUT);
    }

    Answer login(String code, Duration timeout) {
        return send("POST", "/wx/login", "{\"code\":\"" + code + "\"}", timeout, "Content-Type: application/json");
    }

    /** Logs a new user in with a fresh code; the answer must be a 200; returns the token. */
    String newToken() {
        Answer answer = login(backends.issueCode(backends.newUser()));
        assertThat(answer.status()).as("login on %s: %s", name, answer).isEqualTo(200);
        return answer.json().get("token").asString();
    }

    /** The authenticated route with {@code token}. */
    Answer withToken(String token) {
        return withToken(token, CLIENT_TIMEOUT);
    }

    Answer withToken(String token, Duration timeout) {
        return send("GET", TopologyBackends.REQUIRED, null, timeout, "Authorization: Bearer " + token);
    }

    Answer send(String method, String path, String body, Duration timeout, String... headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("Connection", "close") // see GatewayInstance: no request after a synchronous answer on one connection
                .timeout(timeout)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        for (String header : headers) {
            int colon = header.indexOf(':');
            request.header(header.substring(0, colon).trim(), header.substring(colon + 1).trim());
        }
        try {
            HttpResponse<String> response = http.send(request.build(),
                    HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            List<Map.Entry<String, String>> received = new ArrayList<>();
            response.headers().map().forEach((key, values) -> values.forEach(v -> received.add(Map.entry(key, v))));
            return new Answer(response.statusCode(), received, response.body());
        } catch (IOException failure) {
            return new Answer(-1, List.of(), failure.getClass().getSimpleName() + ": " + failure.getMessage());
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            return new Answer(-1, List.of(), "interrupted");
        }
    }

    @Override
    public void close() {
        context.close();
    }
}
