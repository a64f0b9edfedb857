package dev.wechatauth.gateway.rig;

import java.util.List;
import java.util.Locale;
import java.util.Map;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * What the gateway answered, as the client saw it: the status, every header line in received order, and the body
 * as UTF-8 text ({@code ""} when there was none). From a {@linkplain Http#tolerant() tolerant} client, an exchange that
 * got no answer at all is an {@code Answer} too: status {@value #NO_ANSWER}, no headers, and why in {@link #failure()}.
 */
public record Answer(int status, List<Map.Entry<String, String>> headers, String body) {

    /** The status of an exchange that got no answer (a timeout, a reset before any byte). */
    public static final int NO_ANSWER = -1;

    private static final JsonMapper JSON = JsonMapper.builder().build();

    public Answer {
        headers = List.copyOf(headers);
        body = body == null ? "" : body;
    }

    /** No answer came: {@code why} is kept as the body. */
    public static Answer none(String why) {
        return new Answer(NO_ANSWER, List.of(), why);
    }

    /** Every value of the header {@code name}, compared case-insensitively. */
    public List<String> headerValues(String name) {
        return headers.stream().filter(h -> h.getKey().equalsIgnoreCase(name)).map(Map.Entry::getValue).toList();
    }

    /** The first value of header {@code name}, or null. */
    public String header(String name) {
        List<String> values = headerValues(name);
        return values.isEmpty() ? null : values.get(0);
    }

    /** The body parsed as JSON; fails the test when it is not JSON. */
    public JsonNode json() {
        try {
            return JSON.readTree(body);
        } catch (RuntimeException notJson) {
            throw new AssertionError("expected a JSON body, got: " + abbreviated(), notJson);
        }
    }

    /** Why no answer came, or null when one did. */
    public String failure() {
        return status == NO_ANSWER ? body : null;
    }

    /** The {@code token} of a login answered 200 with a JSON body, else null. */
    public String token() {
        JsonNode token = status == 200 ? jsonOrNull("token") : null;
        return token == null ? null : token.asString();
    }

    /**
     * The {@code error} of an answer of 400 or more: the field of the gateway's JSON error body, or, when there is
     * none, {@code "(no error code: <the body>)"}; null below 400 and without an answer.
     */
    public String error() {
        if (status < 400) {
            return null;
        }
        JsonNode error = jsonOrNull("error");
        return error != null && error.isString() ? error.asString() : "(no error code: " + abbreviated() + ")";
    }

    /** {@code "200"}, {@code "503 session_store_unavailable"}, {@code "no answer"}. */
    public String outcome() {
        if (status == NO_ANSWER) {
            return "no answer";
        }
        return status < 400 ? Integer.toString(status) : status + " " + error();
    }

    /** Whether an answer of 400 or more came as {@code application/json} (true below 400). */
    public boolean isJsonWhereAnError() {
        String type = header("Content-Type");
        return status < 400 || type != null && type.toLowerCase(Locale.ROOT).startsWith("application/json");
    }

    public String abbreviated() {
        return body.length() > 400 ? body.substring(0, 400) + "…" : body;
    }

    private JsonNode jsonOrNull(String field) {
        try {
            JsonNode json = JSON.readTree(body);
            return json != null && json.isObject() ? json.get(field) : null;
        } catch (RuntimeException notJson) {
            return null;
        }
    }

    @Override
    public String toString() {
        return "Answer[" + status + " " + headers + " " + abbreviated() + "]";
    }
}
