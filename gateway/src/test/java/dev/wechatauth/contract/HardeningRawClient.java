package dev.wechatauth.contract;

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

/**
 * {@link RawHttp} from a chosen loopback source address ({@code 127.x.y.z}): every address in 127.0.0.0/8 is this
 * machine, so one test JVM can be many clients, each with a login budget of its own, without touching Redis.
 * One request per connection ({@code Connection: close}); the answer is read to the end of the connection.
 */
final class HardeningRawClient {

    private HardeningRawClient() {
    }

    /** {@code requestLine}, {@code headerLines} and {@code body} (may be null) from {@code source} to the gateway. */
    static Answer exchange(GatewayInstance gateway, String source, String requestLine, List<String> headerLines,
            byte[] body) {
        StringBuilder head = new StringBuilder(requestLine).append("\r\n");
        head.append("Host: 127.0.0.1:").append(gateway.port()).append("\r\n");
        for (String line : headerLines) {
            head.append(line).append("\r\n");
        }
        if (body != null) {
            head.append("Content-Length: ").append(body.length).append("\r\n");
        }
        head.append("Connection: close\r\n\r\n");
        ByteArrayOutputStream request = new ByteArrayOutputStream();
        request.writeBytes(head.toString().getBytes(StandardCharsets.ISO_8859_1));
        if (body != null) {
            request.writeBytes(body);
        }
        try (Socket socket = new Socket()) {
            socket.bind(new InetSocketAddress(source, 0));
            socket.connect(new InetSocketAddress("127.0.0.1", gateway.port()), 2000);
            socket.setSoTimeout(15_000);
            OutputStream out = socket.getOutputStream();
            out.write(request.toByteArray());
            out.flush();
            return RawHttp.parse(readToEnd(socket.getInputStream()));
        } catch (IOException failure) {
            throw new UncheckedIOException("request from " + source + " to port " + gateway.port() + " failed",
                    failure);
        }
    }

    /** {@code POST /wx/login} from {@code source} with a JSON body and the extra header lines given. */
    static Answer login(GatewayInstance gateway, String source, String json, String... headerLines) {
        List<String> headers = new ArrayList<>(List.of(headerLines));
        headers.add("Content-Type: application/json");
        return exchange(gateway, source, "POST /wx/login HTTP/1.1", headers, json.getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] readToEnd(InputStream in) throws IOException {
        ByteArrayOutputStream received = new ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        try {
            int read;
            while ((read = in.read(buffer)) >= 0) {
                received.write(buffer, 0, read);
            }
        } catch (IOException reset) {
            if (received.size() == 0) {
                throw reset;
            }
        }
        return received.toByteArray();
    }
}
