package dev.wechatauth.gateway.routing;

import static dev.wechatauth.gateway.rig.Backends.REQUIRED;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import dev.wechatauth.gateway.rig.Answer;
import dev.wechatauth.gateway.rig.Http;
import dev.wechatauth.gateway.rig.OnTheSharedGateway;
import org.junit.jupiter.api.Test;

/**
 * A keep-alive client keeps being served whatever the gateway answered before on its connection: a request queued
 * behind a forwarded one and answered at once by the gateway itself (a 401) must not stop the connection from being
 * read. Reactor Netty 1.3.6 and 1.3.7 did (reactor/reactor-netty#4361): the client's next request hung until its
 * own timeout. The requests go over one socket, written by hand, as a browser or {@code wx.request} would reuse it.
 */
class KeepAliveTest extends OnTheSharedGateway {

    /** Far beyond any answer's time: a connection no longer read is a hang, which fails the test. */
    private static final Duration HUNG_AFTER = Duration.ofSeconds(10);

    @Test
    void aRequestAfterAQueuedSynchronousAnswerIsServedOnTheSameConnection() throws IOException {
        try (Http.Connection connection = gateway.http().timeout(HUNG_AFTER).open()) {
            // one write: a forwarded request (answered later), then one the gateway refuses itself (answered at once)
            connection.write(get(REQUIRED, "Authorization: Bearer " + token) + get(REQUIRED));
            List<Integer> first = readAnswers(connection, 2);

            connection.write(get(REQUIRED, "Authorization: Bearer " + token));
            List<Integer> next = readAnswers(connection, 1);

            assertThat(first).containsExactly(200, 401);
            assertThat(next).as("the next request on the same connection").containsExactly(200);
        }
    }

    @Test
    void manySynchronousAnswersInARowKeepTheConnectionUsable() throws IOException {
        try (Http.Connection connection = gateway.http().timeout(HUNG_AFTER).open()) {
            List<Integer> statuses = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                connection.write(get(REQUIRED) + get(REQUIRED, "Authorization: Bearer " + token));
                statuses.addAll(readAnswers(connection, 2));
            }

            assertThat(statuses).containsExactly(401, 200, 401, 200, 401, 200, 401, 200, 401, 200);
        }
    }

    /** A keep-alive {@code GET} (no {@code Connection} header) as written on the wire. */
    private static String get(String path, String... headers) {
        StringBuilder request = new StringBuilder("GET ").append(path).append(" HTTP/1.1\r\n")
                .append("Host: 127.0.0.1:").append(gateway.port()).append("\r\n");
        for (String header : headers) {
            request.append(header).append("\r\n");
        }
        return request.append("\r\n").toString();
    }

    /** Reads {@code count} answers, each with a Content-Length, and returns their statuses; a hang fails the test. */
    private static List<Integer> readAnswers(Http.Connection connection, int count) {
        List<Integer> statuses = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Answer answer;
            try {
                answer = connection.readAnswer();
            } catch (RuntimeException hung) {
                throw new AssertionError("no answer within " + HUNG_AFTER.toSeconds() + " s after " + statuses
                        + " on a keep-alive connection", hung);
            }
            assertThat(answer.header("Content-Length")).as("Content-Length of %s", answer).isNotNull();
            statuses.add(answer.status());
        }
        return statuses;
    }
}
