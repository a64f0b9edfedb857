package dev.wechatauth.contract;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.wechatauth.gateway.GatewayApplication;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.client.ReactorResourceFactory;
import org.springframework.http.HttpMethod;
import org.springframework.test.web.reactive.server.EntityExchangeResult;
import org.springframework.http.client.reactive.ReactorClientHttpConnector;
import org.springframework.test.web.reactive.server.WebTestClient;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;

/**
 * One running gateway ({@link GatewayApplication}, in this JVM, on a free port) and the ways a client talks to it:
 * {@link WebTestClient} for ordinary requests, {@link RawHttp} for what a client library would tidy up.
 * Header arguments are written as on the wire: {@code "Name: value"}.
 */
final class GatewayInstance implements AutoCloseable {

    private final Backends backends;
    private final ConfigurableApplicationContext context;
    private final int port;
    private final WebTestClient web;

    private GatewayInstance(Backends backends, ConfigurableApplicationContext context) {
        this.backends = backends;
        this.context = context;
        this.port = context.getEnvironment().getRequiredProperty("local.server.port", Integer.class);
        // one connection per request: Reactor Netty 1.3.6 can stop reading a keep-alive connection when a request
        // was answered synchronously (reactor/reactor-netty#4361, #4347), and the next request on it then hangs
        this.web = WebTestClient.bindToServer(
                        new ReactorClientHttpConnector(HttpClient.create(ConnectionProvider.newConnection())))
                .baseUrl("http://127.0.0.1:" + port)
                .responseTimeout(Duration.ofSeconds(20))
                .build();
    }

    /**
     * Starts a gateway on {@code backends} ({@link Backends#gatewayProperties()}), with {@code overrides} written
     * {@code "name=value"}. They are passed as command-line arguments, which win over {@code application.yml}.
     */
    static GatewayInstance start(Backends backends, String... overrides) {
        Map<String, String> properties = new LinkedHashMap<>(backends.gatewayProperties());
        for (String override : overrides) {
            int equals = override.indexOf('=');
            properties.put(override.substring(0, equals), override.substring(equals + 1));
        }
        String[] args = properties.entrySet().stream()
                .map(property -> "--" + property.getKey() + "=" + property.getValue())
                .toArray(String[]::new);
        return new GatewayInstance(backends,
                new SpringApplicationBuilder(GatewayApplication.class, OwnNettyResources.class).run(args));
    }

    /**
     * Several gateways run in this JVM, and Spring's default {@link ReactorResourceFactory} shares Reactor Netty's
     * global event loops, which closing one gateway would dispose of under the others. Each gateway here gets loops
     * of its own instead; nothing else of the application changes.
     */
    @Configuration(proxyBeanMethods = false)
    static class OwnNettyResources {

        @Bean
        ReactorResourceFactory reactorResourceFactory() {
            ReactorResourceFactory resources = new ReactorResourceFactory();
            resources.setUseGlobalResources(false);
            resources.setShutdownQuietPeriod(Duration.ZERO);
            return resources;
        }
    }

    int port() {
        return port;
    }

    Backends backends() {
        return backends;
    }

    // ---- requests through WebTestClient ----

    Answer get(String path, String... headers) {
        return send(HttpMethod.GET, path, null, headers);
    }

    Answer post(String path, String body, String... headers) {
        return send(HttpMethod.POST, path, body == null ? null : body.getBytes(StandardCharsets.UTF_8), headers);
    }

    Answer send(HttpMethod method, String path, byte[] body, String... headers) {
        WebTestClient.RequestBodySpec request = web.method(method).uri(path);
        for (String header : headers) {
            int colon = header.indexOf(':');
            request = request.header(header.substring(0, colon).trim(), header.substring(colon + 1).trim());
        }
        WebTestClient.RequestHeadersSpec<?> ready = body == null ? request : request.bodyValue(body);
        EntityExchangeResult<byte[]> result = ready.exchange().expectBody().returnResult();
        List<Map.Entry<String, String>> received = new ArrayList<>();
        result.getResponseHeaders().forEach((name, values) -> values.forEach(v -> received.add(Map.entry(name, v))));
        byte[] content = result.getResponseBody();
        return new Answer(result.getStatus().value(), received,
                content == null ? "" : new String(content, StandardCharsets.UTF_8));
    }

    // ---- requests written by hand ----

    /** {@code requestLine} (e.g. {@code GET /x HTTP/1.1}) and header lines, no body. */
    Answer raw(String requestLine, String... headers) {
        return RawHttp.exchange(port, requestLine, Arrays.asList(headers), null);
    }

    /** {@code requestLine}, header lines and a body sent exactly as given. */
    Answer raw(String requestLine, byte[] body, String... headers) {
        return RawHttp.exchange(port, requestLine, Arrays.asList(headers), body);
    }

    // ---- the login exchange ----

    /** {@code POST /wx/login} with the JSON body {@code {"code":"…"}}. */
    Answer login(String code, String... headers) {
        return loginWithBody("{\"code\":\"" + code + "\"}", headers);
    }

    Answer loginWithBody(String json, String... headers) {
        String[] all = Arrays.copyOf(headers, headers.length + 1);
        all[headers.length] = "Content-Type: application/json";
        return post("/wx/login", json, all);
    }

    /** Logs {@code user} in with a fresh code and returns the token. */
    String tokenFor(WechatUser user) {
        String code = backends.issueCode(user);
        String body = user.appid().equals(Backends.FIRST_APPID)
                ? "{\"code\":\"" + code + "\"}"
                : "{\"code\":\"" + code + "\",\"appid\":\"" + user.appid() + "\"}";
        Answer answer = loginWithBody(body);
        assertThat(answer.status()).as("login of %s: %s", user.openid(), answer).isEqualTo(200);
        return answer.json().get("token").asString();
    }

    /** Logs in a new user of the first mini-program (with a unionid) and returns the token. */
    String newToken() {
        return tokenFor(backends.newUser());
    }

    /** The running application, for tests of what it is made of. */
    ConfigurableApplicationContext context() {
        return context;
    }

    @Override
    public void close() {
        context.close();
    }
}
