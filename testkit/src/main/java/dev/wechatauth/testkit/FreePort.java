package dev.wechatauth.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** Finds a TCP port on 127.0.0.1 that is free right now. */
public final class FreePort {

    private FreePort() {
    }

    /**
     * Returns a port that was free a moment ago: the kernel picks it for a socket bound to port 0, which is then
     * closed. Another process may still take it before the caller binds it.
     */
    public static int next() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port on 127.0.0.1", e);
        }
    }
}
