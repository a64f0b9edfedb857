package dev.wechatauth.testkit;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.http.server.HttpServerResponse;
import tools.jackson.databind.json.JsonMapper;

/**
 * A canned answer of the {@link WechatStandIn}, for fault tests: a WeChat error code, an HTTP status, a raw body, a
 * huge body, a redirect, a delay, an answer that never comes, or a connection reset.
 */
public final class Reply {

    static final String TEXT_PLAIN = "text/plain";
    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** Writes this reply to a response; Reactor Netty subscribes to the result. */
    @FunctionalInterface
    interface Responder {
        Publisher<Void> respond(HttpServerResponse response);
    }

    private final String description;
    private final Responder responder;

    private Reply(String description, Responder responder) {
        this.description = description;
        this.responder = responder;
    }

    /** HTTP 200, {@code text/plain}, {@code {"errcode":N,"errmsg":"…, rid: …"}}, as WeChat reports an error. */
    public static Reply errcode(int errcode) {
        return new Reply("errcode " + errcode, response -> sendText(response, 200, errorJson(errcode)));
    }

    /** That HTTP status with a short {@code text/plain} body such as {@code 503 Service Unavailable}. */
    public static Reply status(int httpStatus) {
        String text = HttpResponseStatus.valueOf(httpStatus).toString();
        return new Reply("status " + httpStatus, response -> sendText(response, httpStatus, text));
    }

    /** HTTP 200, {@code text/plain}, exactly this body (garbage, or JSON with odd values). */
    public static Reply body(String text) {
        Objects.requireNonNull(text, "text");
        return new Reply("body " + text, response -> sendText(response, 200, text));
    }

    /**
     * HTTP 200, {@code text/plain}, a body of exactly {@code bytes} bytes streamed in chunks without a
     * Content-Length: it starts like a success ({@code {"openid":"}) and goes on with {@code x}.
     */
    public static Reply largeBody(int bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("bytes < 0");
        }
        return new Reply("largeBody " + bytes, response -> response
                .status(200)
                .header(HttpHeaderNames.CONTENT_TYPE, TEXT_PLAIN)
                .sendByteArray(chunks(bytes)));
    }

    /** HTTP 302 to {@code location}. */
    public static Reply redirect(String location) {
        Objects.requireNonNull(location, "location");
        return new Reply("redirect " + location, response -> response.sendRedirect(location));
    }

    /** Answers {@code then} after {@code delay}, without holding a Netty thread meanwhile. */
    public static Reply delayed(Duration delay, Reply then) {
        Objects.requireNonNull(delay, "delay");
        Objects.requireNonNull(then, "then");
        return new Reply("delayed " + delay + " then " + then.description,
                response -> Mono.delay(delay).then(Mono.defer(() -> Mono.from(then.respond(response)))));
    }

    /** Never answers and keeps the connection open (until the client gives up or the stand-in closes). */
    public static Reply hang() {
        return new Reply("hang", response -> Mono.never());
    }

    /** Closes the connection at once without answering (a TCP reset). */
    public static Reply reset() {
        return new Reply("reset", LocalHttpServer::reset);
    }

    Publisher<Void> respond(HttpServerResponse response) {
        return responder.respond(response);
    }

    /** A WeChat error body for {@code errcode}, with WeChat's errmsg for the known codes and a random rid. */
    static String errorJson(int errcode) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("errcode", errcode);
        body.put("errmsg", errmsg(errcode) + ", rid: " + rid());
        return json(body);
    }

    static String json(Object value) {
        return JSON.writeValueAsString(value);
    }

    static Mono<Void> sendText(HttpServerResponse response, int status, String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        return response.status(status)
                .header(HttpHeaderNames.CONTENT_TYPE, TEXT_PLAIN)
                .header(HttpHeaderNames.CONTENT_LENGTH, Integer.toString(bytes.length))
                .sendByteArray(Mono.just(bytes))
                .then();
    }

    private static String errmsg(int errcode) {
        return switch (errcode) {
            case -1 -> "system error";
            case 40001 -> "invalid credential, access_token is invalid or not latest";
            case 40002 -> "invalid grant_type";
            case 40013 -> "invalid appid";
            case 40029 -> "invalid code";
            case 40125 -> "invalid appsecret";
            case 40163 -> "code been used";
            case 40226 -> "high risk user blocked";
            case 41008 -> "missing code";
            case 42001 -> "access_token expired";
            case 47001 -> "data format error";
            case 45011 -> "api minute-quota reach limit  mustslower  retry next minute";
            default -> "error";
        };
    }

    private static String rid() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        return String.format("%08x-%08x-%08x", random.nextInt(), random.nextInt(), random.nextInt());
    }

    private static Flux<byte[]> chunks(int bytes) {
        int chunkSize = 64 * 1024;
        byte[] filler = new byte[chunkSize];
        Arrays.fill(filler, (byte) 'x');
        byte[] prefix = "{\"openid\":\"".getBytes(StandardCharsets.US_ASCII);
        int count = (bytes + chunkSize - 1) / chunkSize;
        return Flux.range(0, count).map(index -> {
            byte[] chunk = Arrays.copyOf(filler, Math.min(chunkSize, bytes - index * chunkSize));
            if (index == 0) {
                System.arraycopy(prefix, 0, chunk, 0, Math.min(prefix.length, chunk.length));
            }
            return chunk;
        });
    }

    @Override
    public String toString() {
        return "Reply[" + description + "]";
    }
}
