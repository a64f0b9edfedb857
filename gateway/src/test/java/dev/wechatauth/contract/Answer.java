package dev.wechatauth.contract;

import java.util.List;
import java.util.Map;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * What the gateway answered, as the client saw it: the status, every header line in received order, and the body
 * as UTF-8 text ({@code ""} when there was none).
 */
record Answer(int status, List<Map.Entry<String, String>> headers, String body) {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    Answer {
        headers = List.copyOf(headers);
        body = body == null ? "" : body;
    }

    /** Every value of the header {@code name}, compared case-insensitively. */
    List<String> headerValues(String name) {
        return headers.stream().filter(h -> h.getKey().equalsIgnoreCase(name)).map(Map.Entry::getValue).toList();
    }

    /** The first value of header {@code name}, or null. */
    String header(String name) {
        List<String> values = headerValues(name);
        return values.isEmpty() ? null : values.get(0);
    }

    /** The body parsed as JSON; fails the test when it is not JSON. */
    JsonNode json() {
        try {
            return JSON.readTree(body);
        } catch (RuntimeException notJson) {
            throw new AssertionError("expected a JSON body, got: " + abbreviated(), notJson);
        }
    }

    String abbreviated() {
        return body.length() > 400 ? body.substring(0, 400) + "…" : body;
    }

    @Override
    public String toString() {
        return "Answer[" + status + " " + headers + " " + abbreviated() + "]";
    }
}
