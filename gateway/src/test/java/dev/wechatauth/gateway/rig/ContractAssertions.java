package dev.wechatauth.gateway.rig;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

import dev.wechatauth.testkit.EchoDownstream;
import tools.jackson.databind.JsonNode;

/** The contract's rules for every answer, written once. */
public final class ContractAssertions {

    private static final Pattern STACK_TRACE = Pattern.compile(
            "(\\tat |\\bat [a-z]+\\.[a-zA-Z.$]+\\(|Exception\\b|Caused by:|\\.java:\\d+)");

    private ContractAssertions() {
    }

    /**
     * An error the gateway made itself: that status; {@code Content-Type: application/json} (a charset allowed);
     * the body {@code {"error":code,"message":"<a sentence>"}} and nothing else; no stack trace; on a 401,
     * {@code WWW-Authenticate: Bearer}, with {@code error="invalid_token"} for a bad token; on a 429, {@code Retry-After}
     * in whole seconds.
     */
    public static void assertError(Answer answer, int status, String code) {
        assertThat(answer.status()).as("status of %s", answer).isEqualTo(status);
        assertThat(answer.header("Content-Type")).as("Content-Type of %s", answer).isNotNull();
        assertThat(answer.header("Content-Type").toLowerCase(Locale.ROOT)).as("Content-Type of %s", answer)
                .matches("application/json\\s*(;.*)?");
        JsonNode json = answer.json();
        assertThat(json.isObject()).as("JSON object: %s", answer).isTrue();
        assertThat(json.propertyNames()).as("fields of %s", answer).containsExactlyInAnyOrder("error", "message");
        assertThat(json.get("error").asString()).as("error of %s", answer).isEqualTo(code);
        assertThat(json.get("message").isString()).as("message of %s", answer).isTrue();
        assertThat(json.get("message").asString()).as("message of %s", answer).isNotBlank();
        assertNoStackTrace(answer);
        if (status == 401) {
            assertThat(answer.header("WWW-Authenticate")).as("WWW-Authenticate of %s", answer)
                    .isNotNull().startsWith("Bearer");
        }
        if (status == 429) {
            assertThat(answer.header("Retry-After")).as("Retry-After of %s", answer).isNotNull().matches("[1-9][0-9]*");
        }
        if (code.equals("invalid_token")) {
            assertThat(answer.header("WWW-Authenticate")).as("WWW-Authenticate of %s", answer)
                    .contains("error=\"invalid_token\"");
        }
    }

    /**
     * A refusal before routing: 400, either the gateway's own {@code invalid_request} or, where the HTTP server
     * rejected the request before any gateway code ran, that server's plain 400.
     */
    public static void assertRefusedAsBadRequest(Answer answer) {
        assertThat(answer.status()).as("status of %s", answer).isEqualTo(400);
        String type = answer.header("Content-Type");
        if (type != null && type.toLowerCase(Locale.ROOT).startsWith("application/json")) {
            assertError(answer, 400, "invalid_request");
        } else {
            assertNoStackTrace(answer);
        }
    }

    public static void assertNoStackTrace(Answer answer) {
        assertThat(STACK_TRACE.matcher(answer.body()).find()).as("stack trace text in %s", answer).isFalse();
        assertThat(answer.status()).as("a 500 for %s", answer).isNotEqualTo(500);
    }

    /** The request went through to the echo downstream, which answered 200 with its report. */
    public static EchoDownstream.Received assertForwarded(Answer answer, EchoDownstream echo) {
        assertThat(answer.status()).as("forwarded: %s", answer).isEqualTo(200);
        assertThat(echo.count()).as("requests that reached the echo").isEqualTo(1);
        return echo.last();
    }

    /** No request reached the echo, the service behind the gateway. */
    public static void assertNothingForwarded(EchoDownstream echo) {
        assertThat(echo.count()).as("requests that reached the service").isZero();
    }

    /** The echo saw the user's identity, once each, and no {@code Authorization}. */
    public static void assertIdentity(EchoDownstream.Received received, WechatUser user) {
        assertThat(valuesNamedLike(received, "X-OpenId")).as("X-OpenId at the echo").containsExactly(user.openid());
        assertThat(valuesNamedLike(received, "X-AppId")).as("X-AppId at the echo").containsExactly(user.appid());
        if (user.unionid() == null) {
            assertThat(received.hasHeaderNamedLike("X-UnionId")).as("X-UnionId at the echo").isFalse();
        } else {
            assertThat(valuesNamedLike(received, "X-UnionId")).as("X-UnionId at the echo")
                    .containsExactly(user.unionid());
        }
    }

    /** The echo saw no identity header at all. */
    public static void assertNoIdentity(EchoDownstream.Received received) {
        for (String name : List.of("X-OpenId", "X-UnionId", "X-AppId")) {
            assertThat(received.hasHeaderNamedLike(name)).as("%s at the echo: %s", name, received.headers()).isFalse();
        }
        assertThat(received.headers().stream().anyMatch(h -> h.getKey().toLowerCase(Locale.ROOT).replace('_', '-')
                .startsWith("x-wx-"))).as("X-WX-* at the echo: %s", received.headers()).isFalse();
    }

    /** Values of every header whose name equals {@code name} once {@code _} is read as {@code -}, any case. */
    public static List<String> valuesNamedLike(EchoDownstream.Received received, String name) {
        String wanted = name.replace('_', '-').toLowerCase(Locale.ROOT);
        return received.headers().stream()
                .filter(h -> h.getKey().replace('_', '-').toLowerCase(Locale.ROOT).equals(wanted))
                .map(Map.Entry::getValue).toList();
    }

    /** An ordinary request afterwards (the public route) is served: a refused request left the gateway serving. */
    public static void assertStillServes(Gateway gateway) {
        EchoDownstream echo = gateway.backends().echo;
        echo.clear();
        Answer answer = gateway.raw("GET " + Backends.PUBLIC + " HTTP/1.1");
        assertThat(answer.status()).as("an ordinary request afterwards: %s", answer).isEqualTo(200);
        assertThat(echo.count()).isEqualTo(1);
    }

    /** The session_key appears nowhere in the answer: not in the body, not in a header. */
    public static void assertNoSessionKey(Answer answer, WechatUser user) {
        assertThat(answer.body()).as("body").doesNotContain(user.sessionKey());
        answer.headers().forEach(h -> assertThat(h.getKey() + ": " + h.getValue()).as("header")
                .doesNotContain(user.sessionKey()));
    }
}
