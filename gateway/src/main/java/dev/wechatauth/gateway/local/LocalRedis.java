package dev.wechatauth.gateway.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;

import redis.embedded.RedisServer;
import redis.embedded.core.ExecutableProvider;

/**
 * The {@code local} profile's Redis: the embedded-redis binary (Linux x86-64, macOS) on a free 127.0.0.1 port, or
 * {@code redis-server} from the PATH where no binary is bundled. Keeps nothing on disk.
 */
final class LocalRedis implements AutoCloseable {

    private final RedisServer server;
    private final int port;

    LocalRedis() {
        this.port = freePort();
        try {
            this.server = RedisServer.newRedisServer()
                    .executableProvider(executable())
                    .bind("127.0.0.1")
                    .port(port)
                    .setting("save \"\"")
                    .setting("appendonly no")
                    .build();
            server.start();
        } catch (IOException failure) {
            throw new UncheckedIOException("cannot start the local profile's Redis: " + failure.getMessage(), failure);
        }
    }

    private static ExecutableProvider executable() throws IOException {
        String os = System.getProperty("os.name").toLowerCase();
        String arch = System.getProperty("os.arch");
        boolean bundled = (os.contains("linux") && (arch.equals("amd64") || arch.equals("x86_64")))
                || os.contains("mac");
        return bundled ? ExecutableProvider.newJarResourceProvider() : ExecutableProvider.newExecutableInPath("redis-server");
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException failure) {
            throw new UncheckedIOException(failure);
        }
    }

    String url() {
        return "redis://127.0.0.1:" + port;
    }

    @Override
    public void close() throws IOException {
        server.stop();
    }
}
