package dev.wechatauth.contract;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A keep-alive client keeps being served whatever the gateway answered before on its connection: a request queued
 * behind a forwarded one and answered at once by the gateway itself (a 401) must not stop the connection from being
 * read. Reactor Netty 1.3.6 and 1.3.7 did (reactor/reactor-netty#4361): the client's next request hung until its
 * own timeout. The requests go over one socket, written by hand, as a browser or {@code wx.request} would reuse it.
 */
class KeepAliveContractTest {

    private static final Pattern CONTENT_LENGTH = Pattern.compile("(?im)^content-length:\\s*(\\d+)\\s*$");
    private static GatewayInstance gateway;
    private static String token;

    @BeforeAll
    static void startGateway() {
        gateway = SharedGateway.get();
        token = gateway.tokenFor(gateway.backends().newUser());
    }

    @Test
    void aRequestAfterAQueuedSynchronousAnswerIsServedOnTheSameConnection() throws IOException {
        try (Socket socket = new Socket("127.0.0.1", gateway.port())) {
            socket.setSoTimeout(5_000);
            // one write: a forwarded request (answered later), then one the gateway refuses itself (answered at once)
            write(socket, get(Backends.REQUIRED, "Authorization: Bearer " + token) + get(Backends.REQUIRED));
            List<Integer> first = readAnswers(socket, 2);

            write(socket, get(Backends.REQUIRED, "Authorization: Bearer " + token));
            List<Integer> next = readAnswers(socket, 1);

            assertThat(first).containsExactly(200, 401);
            assertThat(next).as("the next request on the same connection").containsExactly(200);
        }
    }

    @Test
    void manySynchronousAnswersInARowKeepTheConnectionUsable() throws IOException {
        try (Socket socket = new Socket("127.0.0.1", gateway.port())) {
            socket.setSoTimeout(5_000);
            List<Integer> statuses = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                write(socket, get(Backends.REQUIRED) + get(Backends.REQUIRED, "Authorization: Bearer " + token));
                statuses.addAll(readAnswers(socket, 2));
            }

            assertThat(statuses).containsExactly(401, 200, 401, 200, 401, 200, 401, 200, 401, 200);
        }
    }

    private static String get(String path, String... headers) {
        StringBuilder request = new StringBuilder("GET ").append(path).append(" HTTP/1.1\r\n")
                .append("Host: 127.0.0.1:").append(gateway.port()).append("\r\n");
        for (String header : headers) {
            request.append(header).append("\r\n");
        }
        return request.append("\r\n").toString();
    }

    private static void write(Socket socket, String requests) throws IOException {
        socket.getOutputStream().write(requests.getBytes(StandardCharsets.ISO_8859_1));
        socket.getOutputStream().flush();
    }

    /** Reads {@code count} answers (each with a Content-Length) and returns their statuses; a hang fails the test. */
    private static List<Integer> readAnswers(Socket socket, int count) throws IOException {
        InputStream in = socket.getInputStream();
        List<Integer> statuses = new ArrayList<>();
        try {
            for (int i = 0; i < count; i++) {
                String head = readHead(in);
                statuses.add(Integer.parseInt(head.substring(9, 12)));
                Matcher length = CONTENT_LENGTH.matcher(head);
                assertThat(length.find()).as("Content-Length in %s", head).isTrue();
                in.readNBytes(Integer.parseInt(length.group(1)));
            }
        } catch (SocketTimeoutException hung) {
            throw new AssertionError("no answer within 5 s after " + statuses + " on a keep-alive connection", hung);
        }
        return statuses;
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                throw new AssertionError("the gateway closed the connection; head so far: " + head);
            }
            head.write(b);
            matched = (b == "\r\n\r\n".charAt(matched)) ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }
}
