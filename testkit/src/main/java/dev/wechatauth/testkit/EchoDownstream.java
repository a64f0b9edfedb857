package dev.wechatauth.testkit;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import reactor.core.publisher.Mono;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;

/**
 * A real HTTP server playing a backend service behind the gateway. Any method on any path answers 200
 * {@code application/json} describing what it received:
 * {@code {"method":"GET","path":"/api/orders/1","query":"a=b","headers":[["Name","value"],…],"body":"…"}}, with the
 * path and query raw as the request line carried them (query null when absent) and the header lines in received order
 * and case.
 *
 * <p>Path segments change the answer, wherever they appear in the path (values are percent-decoded):
 * <ul>
 *   <li>{@code /__slow/{ms}/…} answers after that many milliseconds;</li>
 *   <li>{@code /__hang/…} never answers;</li>
 *   <li>{@code /__reset/…} closes the connection at once without answering;</li>
 *   <li>{@code /__status/{code}/…} answers that status (with the echo body);</li>
 *   <li>{@code /__header/{name}/{value}/…} adds that response header (may repeat).</li>
 * </ul>
 */
public final class EchoDownstream implements AutoCloseable {

    /**
     * One request as it reached the downstream.
     *
     * @param method   the request method
     * @param path     the raw path from the request line, before any {@code ?}
     * @param rawQuery the raw query string, or null when the request line had no {@code ?}
     * @param headers  every header line in received order, names in received case
     * @param body     the body as UTF-8 text, {@code ""} when none
     */
    public record Received(String method, String path, String rawQuery, List<Map.Entry<String, String>> headers,
                           String body) {

        public Received {
            headers = List.copyOf(headers);
        }

        /** The values of every header line named {@code name}, compared case-insensitively, in received order. */
        public List<String> headerValues(String name) {
            return headers.stream().filter(h -> h.getKey().equalsIgnoreCase(name)).map(Map.Entry::getValue).toList();
        }

        /** The first value of header {@code name} (case-insensitive), or null. */
        public String header(String name) {
            List<String> values = headerValues(name);
            return values.isEmpty() ? null : values.get(0);
        }

        /**
         * Whether a header's name matches {@code normalized} once both have {@code _} replaced by {@code -}, compared
         * case-insensitively: {@code X-WX-OPENID}, {@code x_wx_openid} and {@code X_Wx-OpenId} all match each other.
         */
        public boolean hasHeaderNamedLike(String normalized) {
            String wanted = normalize(normalized);
            return headers.stream().anyMatch(h -> normalize(h.getKey()).equals(wanted));
        }

        private static String normalize(String name) {
            return name.replace('_', '-').toLowerCase(Locale.ROOT);
        }
    }

    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final LocalHttpServer server;

    private EchoDownstream() {
        this.server = new LocalHttpServer(this::handle);
    }

    /** Starts an echo server on 127.0.0.1 and a free port. */
    public static EchoDownstream start() {
        return new EchoDownstream();
    }

    /** {@code http://127.0.0.1:PORT}, no trailing slash. */
    public String baseUrl() {
        return server.baseUrl();
    }

    /** Every request received since the start or the last {@link #clear()}, in order of arrival. */
    public List<Received> received() {
        return List.copyOf(received);
    }

    /** How many requests were received. */
    public int count() {
        return received.size();
    }

    /** The last request received, or null if none. */
    public Received last() {
        List<Received> all = received();
        return all.isEmpty() ? null : all.get(all.size() - 1);
    }

    /** Forgets the requests received so far. */
    public void clear() {
        received.clear();
    }

    /** Stops the server and closes its connections. */
    @Override
    public void close() {
        server.close();
    }

    private Mono<Void> handle(HttpServerRequest request, HttpServerResponse response) {
        String uri = request.uri();
        int question = uri.indexOf('?');
        String path = question < 0 ? uri : uri.substring(0, question);
        String rawQuery = question < 0 ? null : uri.substring(question + 1);
        List<Map.Entry<String, String>> headers = new ArrayList<>();
        request.requestHeaders().forEach(h -> headers.add(Map.entry(h.getKey(), h.getValue())));
        return request.receive().aggregate().asString(StandardCharsets.UTF_8).defaultIfEmpty("").flatMap(body -> {
            Received got = new Received(request.method().name(), path, rawQuery, headers, body);
            received.add(got);
            return answer(got, response);
        });
    }

    private static Mono<Void> answer(Received got, HttpServerResponse response) {
        String[] segments = got.path().split("/");
        int status = 200;
        long delayMillis = 0;
        try {
            for (int i = 0; i < segments.length; i++) {
                switch (segments[i]) {
                    case "__hang" -> {
                        return Mono.never();
                    }
                    case "__reset" -> {
                        return LocalHttpServer.reset(response);
                    }
                    case "__slow" -> delayMillis = Long.parseLong(segments[++i]);
                    case "__status" -> status = Integer.parseInt(segments[++i]);
                    case "__header" -> {
                        String name = decode(segments[++i]);
                        response.addHeader(name, decode(segments[++i]));
                    }
                    default -> {
                    }
                }
            }
        } catch (RuntimeException badPath) { // a number that is none, a segment missing
            return Reply.sendText(response, 400, "bad special path: " + got.path());
        }
        byte[] echo = Reply.json(report(got)).getBytes(StandardCharsets.UTF_8);
        Mono<Void> send = response.status(status)
                .header(HttpHeaderNames.CONTENT_TYPE, "application/json")
                .header(HttpHeaderNames.CONTENT_LENGTH, Integer.toString(echo.length))
                .sendByteArray(Mono.just(echo))
                .then();
        return delayMillis > 0 ? Mono.delay(Duration.ofMillis(delayMillis)).then(send) : send;
    }

    private static Map<String, Object> report(Received got) {
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("method", got.method());
        report.put("path", got.path());
        report.put("query", got.rawQuery());
        report.put("headers", got.headers().stream().map(h -> List.of(h.getKey(), h.getValue())).toList());
        report.put("body", got.body());
        return report;
    }

    private static String decode(String segment) {
        return QueryStringDecoder.decodeComponent(segment);
    }
}
