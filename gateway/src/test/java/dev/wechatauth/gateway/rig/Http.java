package dev.wechatauth.gateway.rig;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * The tests' one HTTP client: HTTP/1.1 written by hand over a socket, so that a request reaches the server exactly as
 * written, also what a client library would normalize or refuse to send (raw paths, duplicate or odd header names, a
 * body without {@code Content-Type}, chunked uploads). Header arguments are written as on the wire:
 * {@code "Name: value"}.
 * <p>
 * Each exchange is one connection: the client adds {@code Host} (unless given), {@code Connection: close} and, for a
 * body without {@code Content-Length} or {@code Transfer-Encoding}, its {@code Content-Length}; it reads the answer
 * while still writing, so that a server answering early (a 413) and closing does not lose its answer. A
 * {@link #open() connection} of its own keeps a socket open for several requests (keep-alive, streamed uploads).
 * <p>
 * An exchange that gets no answer throws, unless the client is {@link #tolerant()}: then it is an {@link Answer} of
 * status {@link Answer#NO_ANSWER}, so that steady-traffic loops record it instead of dying.
 */
public final class Http {

    /** How long an exchange may wait for its answer unless told otherwise: a hang is seen as one, a cold JVM is not. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(20);
    /**
     * Requests larger than this are written while another thread already reads the answer: a server that refuses a
     * large head or body answers before it has read it all, and may reset the connection once it has answered.
     */
    private static final int WRITE_WHILE_READING = 4 * 1024;

    private static final ExecutorService BACKGROUND = Executors.newCachedThreadPool(runnable -> {
        Thread thread = new Thread(runnable, "http-client");
        thread.setDaemon(true);
        return thread;
    });

    private final int port;
    private final String source;
    private final Duration timeout;
    private final boolean tolerant;

    private Http(int port, String source, Duration timeout, boolean tolerant) {
        this.port = port;
        this.source = source;
        this.timeout = timeout;
        this.tolerant = tolerant;
    }

    /** A client of the server on 127.0.0.1:{@code port}. */
    public static Http to(int port) {
        return new Http(port, null, DEFAULT_TIMEOUT, false);
    }

    /** A client of the server at {@code http://127.0.0.1:PORT} (a stand-in's {@code baseUrl()}). */
    public static Http to(String baseUrl) {
        return to(URI.create(baseUrl).getPort());
    }

    /**
     * The same client, its connections leaving from {@code sourceAddress} (any {@code 127.x.y.z}: all of 127.0.0.0/8
     * is this machine), so that one test JVM can be many clients, each with a login budget of its own.
     */
    public Http from(String sourceAddress) {
        return new Http(port, sourceAddress, timeout, tolerant);
    }

    /** The same client, waiting at most {@code answerTimeout} for each answer. */
    public Http timeout(Duration answerTimeout) {
        return new Http(port, source, answerTimeout, tolerant);
    }

    /** The same client, answering {@link Answer#none} instead of throwing when no answer comes. */
    public Http tolerant() {
        return new Http(port, source, timeout, true);
    }

    public int port() {
        return port;
    }

    // ---- requests ----

    public Answer get(String path, String... headers) {
        return raw("GET " + path + " HTTP/1.1", null, headers);
    }

    /** {@code POST path} with {@code body} as UTF-8 (none when null). */
    public Answer post(String path, String body, String... headers) {
        return send("POST", path, body == null ? null : body.getBytes(StandardCharsets.UTF_8), headers);
    }

    public Answer send(String method, String path, byte[] body, String... headers) {
        return raw(method + " " + path + " HTTP/1.1", body, headers);
    }

    /** {@code requestLine} (e.g. {@code GET /x HTTP/1.1}) and header lines, no body. */
    public Answer raw(String requestLine, String... headers) {
        return raw(requestLine, null, headers);
    }

    /** {@code requestLine}, header lines and a body sent exactly as given (may be null). */
    public Answer raw(String requestLine, byte[] body, String... headers) {
        try {
            return exchange(requestLine, List.of(headers), body);
        } catch (IOException | RuntimeException failure) {
            if (tolerant) {
                return Answer.none(failure.getClass().getSimpleName() + ": " + failure.getMessage());
            }
            throw new IllegalStateException(requestLine + " to port " + port + (source == null ? "" : " from " + source)
                    + " got no answer", failure);
        }
    }

    /** {@code POST /wx/login} with the JSON body {@code {"code":"…"}}. */
    public Answer login(String code, String... headers) {
        return loginWithBody("{\"code\":\"" + code + "\"}", headers);
    }

    /** {@code POST /wx/login} with {@code {"code":"…","appid":"…"}}: a login into the mini-program {@code appid}. */
    public Answer loginTo(String appid, String code) {
        return loginWithBody("{\"code\":\"" + code + "\",\"appid\":\"" + appid + "\"}");
    }

    /** {@code POST /wx/login} with {@code json} and {@code Content-Type: application/json}. */
    public Answer loginWithBody(String json, String... headers) {
        List<String> all = new ArrayList<>(List.of(headers));
        all.add("Content-Type: application/json");
        return post("/wx/login", json, all.toArray(String[]::new));
    }

    /** Runs {@code exchange} on a thread of the client's own, for requests that must be in flight together. */
    public static CompletableFuture<Answer> inBackground(Supplier<Answer> exchange) {
        return CompletableFuture.supplyAsync(exchange, BACKGROUND);
    }

    /** Chunked transfer encoding of {@code body} in chunks of {@code chunkSize} bytes. */
    public static byte[] chunked(byte[] body, int chunkSize) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int start = 0; start < body.length; start += chunkSize) {
            int length = Math.min(chunkSize, body.length - start);
            out.writeBytes((Integer.toHexString(length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(body, start, length);
            out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        out.writeBytes("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }

    // ---- one exchange ----

    private Answer exchange(String requestLine, List<String> headerLines, byte[] body) throws IOException {
        StringBuilder head = new StringBuilder(requestLine).append("\r\n");
        boolean hasHost = false;
        boolean hasLength = false;
        for (String line : headerLines) {
            String lower = line.toLowerCase(Locale.ROOT);
            hasHost |= lower.startsWith("host:");
            hasLength |= lower.startsWith("content-length:") || lower.startsWith("transfer-encoding:");
            head.append(line).append("\r\n");
        }
        if (!hasHost) {
            head.append("Host: 127.0.0.1:").append(port).append("\r\n");
        }
        if (body != null && !hasLength) {
            head.append("Content-Length: ").append(body.length).append("\r\n");
        }
        head.append("Connection: close\r\n\r\n");
        ByteArrayOutputStream request = new ByteArrayOutputStream();
        request.writeBytes(head.toString().getBytes(StandardCharsets.ISO_8859_1));
        if (body != null) {
            request.writeBytes(body);
        }
        try (Connection connection = open()) {
            if (request.size() <= WRITE_WHILE_READING) {
                connection.write(request.toByteArray());
                return connection.readAnswer();
            }
            CompletableFuture<Answer> answer = CompletableFuture.supplyAsync(connection::readAnswer, BACKGROUND);
            try {
                connection.write(request.toByteArray());
            } catch (IOException answeredEarly) {
                // the server stopped reading; its answer is what counts
            }
            return answer.get(timeout.toMillis() + 5000, TimeUnit.MILLISECONDS);
        } catch (ExecutionException failed) {
            throw failed.getCause() instanceof RuntimeException cause ? cause : new IllegalStateException(failed);
        } catch (TimeoutException | InterruptedException noAnswer) {
            throw new IllegalStateException("no answer within " + timeout, noAnswer);
        }
    }

    /** A connection of its own to the server, for several requests in a row or a body streamed by the test. */
    public Connection open() throws IOException {
        Socket socket = new Socket();
        try {
            if (source != null) {
                socket.bind(new InetSocketAddress(source, 0));
            }
            socket.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            socket.setSoTimeout((int) timeout.toMillis());
            return new Connection(socket);
        } catch (IOException failure) {
            socket.close();
            throw failure;
        }
    }

    /**
     * One open connection: requests are written as given, answers read one at a time (the head, then a body of its
     * {@code Content-Length}, chunked, or up to the end of the connection).
     */
    public static final class Connection implements AutoCloseable {

        private final Socket socket;
        private final InputStream in;
        private final OutputStream out;

        private Connection(Socket socket) throws IOException {
            this.socket = socket;
            this.in = socket.getInputStream();
            this.out = socket.getOutputStream();
        }

        /** Writes {@code requests} (ISO-8859-1) as they are. */
        public void write(String requests) throws IOException {
            write(requests.getBytes(StandardCharsets.ISO_8859_1));
        }

        public void write(byte[] bytes) throws IOException {
            out.write(bytes);
            out.flush();
        }

        /** Reads the next answer; throws when none comes within the client's timeout. */
        public Answer readAnswer() {
            return readAnswer(() -> { });
        }

        /** Reads the next answer, running {@code onFirstByte} as soon as its first byte arrives. */
        public Answer readAnswer(Runnable onFirstByte) {
            try {
                int first = in.read();
                if (first < 0) {
                    throw new IOException("the connection ended without an answer");
                }
                onFirstByte.run();
                String head = readHead(first);
                return parse(head);
            } catch (IOException failure) {
                throw new UncheckedIOException(failure);
            }
        }

        private String readHead(int first) throws IOException {
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            head.write(first);
            int matched = first == '\r' ? 1 : 0;
            while (matched < 4) {
                int b = in.read();
                if (b < 0) {
                    throw new IOException("the connection ended in the head of an answer: " + head);
                }
                head.write(b);
                matched = b == "\r\n\r\n".charAt(matched) ? matched + 1 : (b == '\r' ? 1 : 0);
            }
            return head.toString(StandardCharsets.ISO_8859_1);
        }

        private Answer parse(String head) throws IOException {
            String[] lines = head.substring(0, head.length() - 4).split("\r\n");
            String[] statusLine = lines[0].split(" ", 3);
            if (statusLine.length < 2 || !statusLine[0].startsWith("HTTP/")) {
                throw new IOException("not an HTTP answer: " + head);
            }
            int status = Integer.parseInt(statusLine[1]);
            List<Map.Entry<String, String>> headers = new ArrayList<>();
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                headers.add(Map.entry(lines[i].substring(0, colon).trim(), lines[i].substring(colon + 1).trim()));
            }
            Answer bare = new Answer(status, headers, "");
            String length = bare.header("Content-Length");
            String encoding = bare.header("Transfer-Encoding");
            byte[] body;
            if (status == 204 || status == 304 || status < 200) {
                body = new byte[0];
            } else if (encoding != null && encoding.toLowerCase(Locale.ROOT).contains("chunked")) {
                body = readChunked();
            } else if (length != null) {
                body = readAtMost(Integer.parseInt(length));
            } else {
                body = readAtMost(Integer.MAX_VALUE);
            }
            return new Answer(status, headers, new String(body, StandardCharsets.UTF_8));
        }

        /** Up to {@code length} bytes, fewer when the connection ends (or is reset) first. */
        private byte[] readAtMost(int length) throws IOException {
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            byte[] buffer = new byte[8192];
            try {
                while (body.size() < length) {
                    int read = in.read(buffer, 0, Math.min(buffer.length, length - body.size()));
                    if (read < 0) {
                        break;
                    }
                    body.write(buffer, 0, read);
                }
            } catch (IOException reset) {
                // what arrived before the reset is the answer
            }
            return body.toByteArray();
        }

        private byte[] readChunked() throws IOException {
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            while (true) {
                String sizeLine = readLine();
                int semicolon = sizeLine.indexOf(';');
                int size = Integer.parseInt((semicolon < 0 ? sizeLine : sizeLine.substring(0, semicolon)).trim(), 16);
                if (size == 0) {
                    while (!readLine().isEmpty()) {
                        // trailers
                    }
                    return body.toByteArray();
                }
                body.writeBytes(in.readNBytes(size));
                readLine();
            }
        }

        private String readLine() throws IOException {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            for (int b = in.read(); b != '\n'; b = in.read()) {
                if (b < 0) {
                    throw new IOException("the connection ended in a chunked body");
                }
                if (b != '\r') {
                    line.write(b);
                }
            }
            return line.toString(StandardCharsets.ISO_8859_1);
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
