package dev.wechatauth.gateway.local;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

import io.netty.handler.codec.http.HttpHeaders;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;
import reactor.netty.http.server.HttpServerRequest;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The {@code local} profile's backend service, standing in for every service of the example {@code routes.yml}:
 * listens on 127.0.0.1 only and answers any request with 200 JSON showing what a backend behind the gateway received:
 * <pre>
 * {"method","path","query",
 *  "identity": {"X-OpenId","X-UnionId","X-AppId"}      (the identity headers that arrived; {} when none)
 *  "phone":    {"X-Phone-Number","X-Pure-Phone-Number","X-Phone-Country-Code"}   (likewise)
 *  "jwt":      {"in","header","claims","verified":false}  or null (the first header carrying a JWT, decoded)
 *  "headers":  {name: value, …}                          (every header, a repeated one joined by ", ")
 *  "body":     the body as JSON when it is JSON, else as text, or null}
 * </pre>
 * The JWT is decoded, not verified: a real service verifies it against the gateway's key set.
 */
final class LocalEchoBackend implements AutoCloseable {

    static final List<String> IDENTITY_HEADERS = List.of("X-OpenId", "X-UnionId", "X-AppId");
    static final List<String> PHONE_HEADERS = List.of("X-Phone-Number", "X-Pure-Phone-Number", "X-Phone-Country-Code");

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Pattern JWT = Pattern.compile("[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]*");

    private final DisposableServer server;

    LocalEchoBackend() {
        this.server = HttpServer.create()
                .host("127.0.0.1")
                .port(0)
                .handle((request, response) -> request.receive().aggregate().asString(StandardCharsets.UTF_8)
                        .defaultIfEmpty("")
                        .flatMap(body -> response.header("Content-Type", "application/json")
                                .header("Cache-Control", "no-store")
                                .sendString(Mono.just(describe(request, body))).then()))
                .bindNow();
    }

    String baseUrl() {
        return "http://127.0.0.1:" + server.port();
    }

    static String describe(HttpServerRequest request, String body) {
        HttpHeaders headers = request.requestHeaders();
        String uri = request.uri();
        int question = uri.indexOf('?');
        ObjectNode answer = JSON.createObjectNode()
                .put("method", request.method().name())
                .put("path", question < 0 ? uri : uri.substring(0, question))
                .put("query", question < 0 ? null : uri.substring(question + 1));
        answer.set("identity", named(headers, IDENTITY_HEADERS));
        answer.set("phone", named(headers, PHONE_HEADERS));
        answer.set("jwt", decodedJwt(headers));
        ObjectNode all = answer.putObject("headers");
        for (String name : headers.names()) {
            all.put(name, String.join(", ", headers.getAll(name)));
        }
        answer.set("body", body.isEmpty() ? null : jsonOrText(body));
        return JSON.writeValueAsString(answer);
    }

    private static ObjectNode named(HttpHeaders headers, List<String> names) {
        ObjectNode found = JSON.createObjectNode();
        names.forEach(name -> {
            if (headers.contains(name)) {
                found.put(name, String.join(", ", headers.getAll(name)));
            }
        });
        return found;
    }

    /** The first header whose value is a JWT (bare or after {@code Bearer }), decoded without checking it; or null. */
    static ObjectNode decodedJwt(HttpHeaders headers) {
        for (Map.Entry<String, String> header : headers) {
            String value = header.getValue().trim();
            if (value.toLowerCase(Locale.ROOT).startsWith("bearer ")) {
                value = value.substring("bearer ".length()).trim();
            }
            if (!JWT.matcher(value).matches()) {
                continue;
            }
            String[] parts = value.split("\\.", -1);
            JsonNode jose = base64UrlJson(parts[0]);
            JsonNode claims = base64UrlJson(parts[1]);
            if (jose instanceof ObjectNode && jose.has("alg") && claims instanceof ObjectNode) {
                ObjectNode jwt = JSON.createObjectNode().put("in", header.getKey());
                jwt.set("header", jose);
                jwt.set("claims", claims);
                return jwt.put("verified", false);
            }
        }
        return null;
    }

    private static JsonNode base64UrlJson(String part) {
        try {
            return JSON.readTree(new String(Base64.getUrlDecoder().decode(part), StandardCharsets.UTF_8));
        } catch (IllegalArgumentException | JacksonException notJson) {
            return null;
        }
    }

    private static JsonNode jsonOrText(String body) {
        try {
            JsonNode json = JSON.readTree(body);
            return json == null ? JSON.getNodeFactory().stringNode(body) : json;
        } catch (JacksonException notJson) {
            return JSON.getNodeFactory().stringNode(body);
        }
    }

    @Override
    public void close() {
        server.disposeNow();
    }
}
