package dev.wechatauth.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;

/**
 * A port on 127.0.0.1 that refuses every connection for as long as this object is open: a socket is bound to it and
 * never listens. Unlike a port from {@link FreePort#next()} left unused, nobody else can take it meanwhile (a later
 * server, or the kernel handing it out as the local port of an outgoing connection), so a route pointing at it
 * is refused at once, every time.
 */
public final class ClosedPort implements AutoCloseable {

    private final Socket socket;

    private ClosedPort(Socket socket) {
        this.socket = socket;
    }

    /** Reserves a port chosen by the kernel. */
    public static ClosedPort reserve() {
        Socket socket = new Socket();
        try {
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            return new ClosedPort(socket);
        } catch (IOException e) {
            try {
                socket.close();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw new UncheckedIOException("no port to reserve on 127.0.0.1", e);
        }
    }

    public int port() {
        return socket.getLocalPort();
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
