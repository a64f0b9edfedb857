package dev.wechatauth.contract;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** One Redis command at a time over raw RESP, to look at what the gateway stored the way an operator would. */
final class RedisCli {

    private RedisCli() {
    }

    /**
     * Sends a command and returns its reply: a String for simple and bulk strings (null for a nil), a Long for
     * integers, a List for arrays; an error reply throws.
     */
    static Object call(int port, String... args) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            socket.setSoTimeout(5000);
            ByteArrayOutputStream command = new ByteArrayOutputStream();
            command.writeBytes(("*" + args.length + "\r\n").getBytes(StandardCharsets.UTF_8));
            for (String arg : args) {
                byte[] bytes = arg.getBytes(StandardCharsets.UTF_8);
                command.writeBytes(("$" + bytes.length + "\r\n").getBytes(StandardCharsets.UTF_8));
                command.writeBytes(bytes);
                command.writeBytes("\r\n".getBytes(StandardCharsets.UTF_8));
            }
            OutputStream out = socket.getOutputStream();
            out.write(command.toByteArray());
            out.flush();
            return read(new BufferedInputStream(socket.getInputStream()));
        } catch (IOException failure) {
            throw new UncheckedIOException("Redis on port " + port + " did not answer " + args[0], failure);
        }
    }

    @SuppressWarnings("unchecked")
    static List<String> keys(int port) {
        return (List<String>) call(port, "KEYS", "*");
    }

    static long pttl(int port, String key) {
        return (Long) call(port, "PTTL", key);
    }

    /** The key and every value it holds, as text, whatever its type. */
    static String dump(int port, String key) {
        String type = (String) call(port, "TYPE", key);
        Object value = switch (type) {
            case "string" -> call(port, "GET", key);
            case "hash" -> call(port, "HGETALL", key);
            case "list" -> call(port, "LRANGE", key, "0", "-1");
            case "set" -> call(port, "SMEMBERS", key);
            case "zset" -> call(port, "ZRANGE", key, "0", "-1", "WITHSCORES");
            default -> type;
        };
        return key + " => " + value;
    }

    private static Object read(InputStream in) throws IOException {
        int kind = in.read();
        String line = line(in);
        return switch (kind) {
            case '+' -> line;
            case '-' -> throw new IllegalStateException("Redis error: " + line);
            case ':' -> Long.parseLong(line);
            case '$' -> {
                int length = Integer.parseInt(line);
                if (length < 0) {
                    yield null;
                }
                byte[] bytes = in.readNBytes(length);
                line(in);
                yield new String(bytes, StandardCharsets.UTF_8);
            }
            case '*' -> {
                int count = Integer.parseInt(line);
                List<Object> items = new ArrayList<>();
                for (int i = 0; i < count; i++) {
                    items.add(read(in));
                }
                yield items;
            }
            default -> throw new IllegalStateException("unexpected RESP reply " + (char) kind + line);
        };
    }

    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) != '\n') {
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
