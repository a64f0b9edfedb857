package dev.wechatauth.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class RedisProcessTest {

    private RedisProcess redis;

    @BeforeEach
    void startRedis() {
        redis = RedisProcess.start();
    }

    @AfterEach
    void stopRedis() {
        redis.close();
    }

    @Test
    void startsAnswersPingAndNamesItsUrl() throws Exception {
        assertThat(redis.url()).isEqualTo("redis://127.0.0.1:" + redis.port());
        assertThat(redis.isRunning()).isTrue();
        assertThat(command(redis.port(), 2000, "PING")).isEqualTo("+PONG");
        assertThat(command(redis.port(), 2000, "CONFIG", "GET", "save")).contains("$4\r\nsave\r\n$0\r\n");
        assertThat(command(redis.port(), 2000, "CONFIG", "GET", "appendonly")).contains("$2\r\nno\r\n");
    }

    @Test
    void stopClosesThePortAndRestartComesBackEmptyOnTheSamePort() throws Exception {
        assertThat(command(redis.port(), 2000, "SET", "k", "v")).isEqualTo("+OK");

        redis.stop();
        assertThat(redis.isRunning()).isFalse();
        assertThatThrownBy(() -> command(redis.port(), 2000, "PING")).isInstanceOf(ConnectException.class);

        redis.restart();
        assertThat(command(redis.port(), 2000, "PING")).isEqualTo("+PONG");
        assertThat(command(redis.port(), 2000, "GET", "k")).isEqualTo("$-1");
    }

    @Test
    void restartOfARunningServerEmptiesIt() throws Exception {
        assertThat(command(redis.port(), 2000, "SET", "k", "v")).isEqualTo("+OK");

        redis.restart();

        assertThat(command(redis.port(), 2000, "GET", "k")).isEqualTo("$-1");
    }

    @Test
    void pausedServerAcceptsButNeverAnswersUntilResumed() throws Exception {
        redis.pause();

        assertThatThrownBy(() -> command(redis.port(), 300, "PING")).isInstanceOf(SocketTimeoutException.class);

        try (Socket waiting = connect(redis.port(), 5000)) {
            send(waiting, "PING");
            redis.resume();
            assertThat(readLine(waiting.getInputStream())).isEqualTo("+PONG");
        }
        assertThat(command(redis.port(), 2000, "PING")).isEqualTo("+PONG");
    }

    @Test
    void aPausedServerStillStops() {
        redis.pause();

        redis.stop();

        assertThat(redis.isRunning()).isFalse();
        assertThatThrownBy(() -> command(redis.port(), 2000, "PING")).isInstanceOf(ConnectException.class);
    }

    @Test
    void killEndsTheProcessAtOnceAndRestartComesBackEmptyOnTheSamePort() throws Exception {
        assertThat(command(redis.port(), 2000, "SET", "k", "v")).isEqualTo("+OK");
        long pid = Long.parseLong(Resp.string(redis.port(), "INFO", "server").lines()
                .filter(line -> line.startsWith("process_id:")).findFirst().orElseThrow().substring(11).trim());

        redis.kill();

        assertThat(ProcessHandle.of(pid).filter(ProcessHandle::isAlive)).isEmpty();
        assertThat(redis.isRunning()).isFalse();
        assertThatThrownBy(() -> command(redis.port(), 2000, "PING")).isInstanceOf(ConnectException.class);
        redis.restart();
        assertThat(command(redis.port(), 2000, "GET", "k")).isEqualTo("$-1");
    }

    /** Sends one RESP command and returns the first line of the reply (the whole reply for a bulk CONFIG GET). */
    private static String command(int port, int timeoutMillis, String... args) throws IOException {
        try (Socket socket = connect(port, timeoutMillis)) {
            send(socket, args);
            InputStream in = socket.getInputStream();
            String first = readLine(in);
            if (!first.startsWith("*")) {
                return first;
            }
            StringBuilder all = new StringBuilder(first).append("\r\n");
            for (int i = 0; i < 2 * Integer.parseInt(first.substring(1)); i++) {
                all.append(readLine(in)).append("\r\n");
            }
            return all.toString();
        }
    }

    private static Socket connect(int port, int timeoutMillis) throws IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", port), 1000);
        socket.setSoTimeout(timeoutMillis);
        return socket;
    }

    private static void send(Socket socket, String... args) throws IOException {
        StringBuilder command = new StringBuilder("*").append(args.length).append("\r\n");
        for (String arg : args) {
            command.append('$').append(arg.length()).append("\r\n").append(arg).append("\r\n");
        }
        OutputStream out = socket.getOutputStream();
        out.write(command.toString().getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b = in.read(); b != '\n'; b = in.read()) {
            if (b < 0) {
                throw new IOException("connection closed");
            }
            if (b != '\r') {
                line.write(b);
            }
        }
        return line.toString(StandardCharsets.UTF_8);
    }
}
