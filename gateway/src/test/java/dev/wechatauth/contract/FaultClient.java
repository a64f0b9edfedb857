package dev.wechatauth.contract;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The fault tests' HTTP client: the JDK's, over HTTP/1.1 with keep-alive, as a mini-program's backend-for-frontend
 * would be. Every exchange ends in a {@link Reply}, also when no answer came (then {@code status} is -1 and
 * {@code failure} says why), so that a fault that makes the gateway drop a connection is recorded, not thrown.
 */
final class FaultClient {

    /** How long the client waits for any answer; far beyond every bound asserted, so a hang is seen as one. */
    static final Duration GIVE_UP_AFTER = Duration.ofSeconds(10);

    private static final Pattern ERROR = Pattern.compile("\"error\"\\s*:\\s*\"([^\"]*)\"");
    private static final Pattern TOKEN = Pattern.compile("\"token\"\\s*:\\s*\"([^\"]+)\"");
    private static final ExecutorService CALLBACKS = Executors.newCachedThreadPool(runnable -> {
        Thread thread = new Thread(runnable, "fault-client");
        thread.setDaemon(true);
        return thread;
    });

    /**
     * One answer as the client saw it.
     *
     * @param status the HTTP status, -1 when no answer came
     * @param error the {@code error} of a JSON error body the gateway wrote, else null
     * @param token the {@code token} of a login answer, else null
     * @param failure why no answer came, else null
     * @param jsonError whether a 4xx/5xx came as {@code application/json}
     */
    record Reply(int status, String error, String token, String failure, boolean jsonError) {

        /** {@code "200"}, {@code "503 session_store_unavailable"}, {@code "no answer"}. */
        String outcome() {
            if (status < 0) {
                return "no answer";
            }
            return error == null ? Integer.toString(status) : status + " " + error;
        }
    }

    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2))
            .executor(CALLBACKS)
            .build();
    private final String base;

    FaultClient(int port) {
        this.base = "http://127.0.0.1:" + port;
    }

    /** {@code POST /wx/login} with {@code {"code":…}}, and {@code "appid"} when not null. */
    HttpRequest login(String code, String appid) {
        String body = appid == null ? "{\"code\":\"" + code + "\"}"
                : "{\"code\":\"" + code + "\",\"appid\":\"" + appid + "\"}";
        return request("/wx/login").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }

    /** {@code GET path}, with the bearer token when not null. */
    HttpRequest get(String path, String token) {
        HttpRequest.Builder builder = request(path).GET();
        if (token != null) {
            builder.header("Authorization", "Bearer " + token);
        }
        return builder.build();
    }

    Reply send(HttpRequest request) {
        return sendAsync(request).join();
    }

    /** Never completes exceptionally: a failure to get an answer is a {@link Reply} with status -1. */
    CompletableFuture<Reply> sendAsync(HttpRequest request) {
        return http.sendAsync(request, HttpResponse.BodyHandlers.ofString())
                .handle((response, failure) -> failure == null ? reply(response) : noAnswer(failure));
    }

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create(base + path))
                .header("Connection", "close") // see GatewayInstance: no request after a synchronous answer on one connection
                .timeout(GIVE_UP_AFTER);
    }

    private static Reply reply(HttpResponse<String> response) {
        String body = response.body() == null ? "" : response.body();
        int status = response.statusCode();
        String type = response.headers().firstValue("Content-Type").orElse("").toLowerCase(Locale.ROOT);
        boolean json = type.startsWith("application/json");
        String error = null;
        if (status >= 400) {
            Matcher matcher = ERROR.matcher(body);
            error = matcher.find() ? matcher.group(1) : "(no error code: " + abbreviate(body) + ")";
        }
        String token = null;
        if (status == 200) {
            Matcher matcher = TOKEN.matcher(body);
            token = matcher.find() ? matcher.group(1) : null;
        }
        return new Reply(status, error, token, null, status < 400 || json);
    }

    private static Reply noAnswer(Throwable failure) {
        Throwable cause = failure.getCause() != null ? failure.getCause() : failure;
        return new Reply(-1, null, null, cause.getClass().getSimpleName() + ": " + cause.getMessage(), false);
    }

    private static String abbreviate(String body) {
        return body.length() > 80 ? body.substring(0, 80) + "…" : body;
    }
}
