package dev.wechatauth.testkit;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A minimal RESP2 client over a plain socket, for tests that want to send raw commands to a Redis process (there is
 * no {@code redis-cli} here): {@code Resp.command(port, "INFO", "commandstats")}.
 *
 * <p>Each command is sent as an array of bulk strings (UTF-8). Replies map to Java as follows:
 * <ul>
 *   <li>simple string ({@code +OK}) and bulk string: {@link String}; a null bulk string ({@code $-1}): {@code null};</li>
 *   <li>integer: {@link Long};</li>
 *   <li>array: an unmodifiable {@link List} of these (elements may be {@code null}); a null array: {@code null};</li>
 *   <li>error ({@code -ERR ...}): thrown as {@link ErrorReply} when it is the whole reply; inside an array (as in
 *       the reply to {@code EXEC}) it is an {@link ErrorReply} element, not thrown.</li>
 * </ul>
 * RESP3 types are not understood (never send {@code HELLO 3}).
 */
public final class Resp implements AutoCloseable {

    /** How long {@link #connect(int)} waits for the TCP connection. */
    public static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(1);
    /** How long a reply may take by default before {@link UncheckedIOException} (a socket timeout). */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);

    /** An error reply from the server, such as {@code ERR unknown command} or {@code MOVED 3999 127.0.0.1:7002}. */
    public static final class ErrorReply extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public ErrorReply(String message) {
            super(message);
        }

        /** The first word of the error: {@code ERR}, {@code WRONGTYPE}, {@code MOVED}, {@code LOADING}... */
        public String kind() {
            String message = getMessage();
            int space = message.indexOf(' ');
            return space < 0 ? message : message.substring(0, space);
        }
    }

    private final int port;
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    private Resp(int port, Socket socket) throws IOException {
        this.port = port;
        this.socket = socket;
        this.in = new BufferedInputStream(socket.getInputStream());
        this.out = new BufferedOutputStream(socket.getOutputStream());
    }

    /** Opens a connection to 127.0.0.1:port with the {@link #DEFAULT_TIMEOUT} per reply. */
    public static Resp connect(int port) {
        return connect(port, DEFAULT_TIMEOUT);
    }

    /** Opens a connection to 127.0.0.1:port; a reply slower than {@code replyTimeout} fails the call. */
    public static Resp connect(int port, Duration replyTimeout) {
        Socket socket = new Socket();
        try {
            socket.connect(new InetSocketAddress("127.0.0.1", port), (int) CONNECT_TIMEOUT.toMillis());
            socket.setSoTimeout((int) Math.max(1, replyTimeout.toMillis()));
            socket.setTcpNoDelay(true);
            return new Resp(port, socket);
        } catch (IOException e) {
            closeQuietly(socket);
            throw new UncheckedIOException("cannot connect to Redis on 127.0.0.1:" + port, e);
        }
    }

    /** Sends one command on a new connection, returns its reply (see the class comment) and closes the connection. */
    public static Object command(int port, String... args) {
        try (Resp resp = connect(port)) {
            return resp.call(args);
        }
    }

    /** {@link #command(int, String...)} for a command whose reply is a (simple or bulk) string or null. */
    public static String string(int port, String... args) {
        Object reply = command(port, args);
        if (reply != null && !(reply instanceof String)) {
            throw new IllegalStateException(String.join(" ", args) + " answered " + reply + ", not a string");
        }
        return (String) reply;
    }

    /** Sends one command on this connection and reads its reply (see the class comment). */
    public Object call(String... args) {
        if (args.length == 0) {
            throw new IllegalArgumentException("no command");
        }
        try {
            write(args);
            out.flush();
            Object reply = read();
            if (reply instanceof ErrorReply error) {
                throw new ErrorReply(error.getMessage()); // thrown here, so its stack trace shows the caller
            }
            return reply;
        } catch (IOException e) {
            throw new UncheckedIOException("Redis on 127.0.0.1:" + port + " did not answer " + args[0], e);
        }
    }

    /**
     * Sends several commands at once and then reads their replies, in order. Error replies are returned as
     * {@link ErrorReply} elements, not thrown.
     */
    public List<Object> pipeline(List<String[]> commands) {
        try {
            for (String[] args : commands) {
                write(args);
            }
            out.flush();
            List<Object> replies = new ArrayList<>(commands.size());
            for (int i = 0; i < commands.size(); i++) {
                replies.add(read());
            }
            return Collections.unmodifiableList(replies);
        } catch (IOException e) {
            throw new UncheckedIOException("Redis on 127.0.0.1:" + port + " did not answer a pipeline", e);
        }
    }

    /** The port this connection talks to. */
    public int port() {
        return port;
    }

    @Override
    public void close() {
        closeQuietly(socket);
    }

    private void write(String[] args) throws IOException {
        out.write(("*" + args.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
        for (String arg : args) {
            byte[] bytes = arg.getBytes(StandardCharsets.UTF_8);
            out.write(("$" + bytes.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(bytes);
            out.write('\r');
            out.write('\n');
        }
    }

    private Object read() throws IOException {
        int type = in.read();
        if (type < 0) {
            throw new EOFException("connection closed");
        }
        String line = readLine();
        switch (type) {
            case '+':
                return line;
            case '-':
                return new ErrorReply(line);
            case ':':
                return Long.parseLong(line);
            case '$': {
                int length = Integer.parseInt(line);
                if (length < 0) {
                    return null;
                }
                byte[] payload = in.readNBytes(length);
                if (payload.length < length || in.read() != '\r' || in.read() != '\n') {
                    throw new EOFException("bulk string cut short");
                }
                return new String(payload, StandardCharsets.UTF_8);
            }
            case '*': {
                int count = Integer.parseInt(line);
                if (count < 0) {
                    return null;
                }
                List<Object> elements = new ArrayList<>(count);
                for (int i = 0; i < count; i++) {
                    elements.add(read());
                }
                return Collections.unmodifiableList(elements);
            }
            default:
                throw new IOException("unexpected RESP type '" + (char) type + "' (RESP3 is not supported): " + line);
        }
    }

    private String readLine() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b = in.read(); b != '\r'; b = in.read()) {
            if (b < 0) {
                throw new EOFException("connection closed");
            }
            line.write(b);
        }
        if (in.read() != '\n') {
            throw new IOException("line not ended by CRLF");
        }
        return line.toString(StandardCharsets.UTF_8);
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // nothing to do
        }
    }
}
