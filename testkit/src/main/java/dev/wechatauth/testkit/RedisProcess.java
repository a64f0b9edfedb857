package dev.wechatauth.testkit;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.concurrent.TimeUnit;
import redis.embedded.RedisServer;
import redis.embedded.core.ExecutableProvider;

/**
 * A real {@code redis-server} process on 127.0.0.1 and a free port, without persistence ({@code save ""},
 * {@code appendonly no}). It runs the binary bundled with embedded-redis, or the one the environment variable
 * {@code REDIS_SERVER} names. Failing to start throws: tests that need Redis fail loudly instead of skipping.
 *
 * <p>{@link #pause()} and {@link #resume()} send SIGSTOP and SIGCONT (through {@code kill}), so a test can make Redis
 * accept connections but never answer, as an overloaded or stuck server would.
 */
public final class RedisProcess implements AutoCloseable {

    /** Environment variable naming a redis-server binary to use instead of the bundled one. */
    public static final String REDIS_SERVER_ENV = "REDIS_SERVER";

    private static final int START_ATTEMPTS = 3;

    private final int port;
    private final RedisServer server;
    private long pausedPid = -1;

    private RedisProcess(int port, RedisServer server) {
        this.port = port;
        this.server = server;
    }

    /** Starts redis-server on a free port; throws {@link IllegalStateException} if it cannot. */
    public static RedisProcess start() {
        IOException failure = null;
        for (int attempt = 0; attempt < START_ATTEMPTS; attempt++) { // the free port may be taken meanwhile
            int port = FreePort.next();
            try {
                RedisServer server = RedisServer.newRedisServer()
                        .executableProvider(executable())
                        .bind("127.0.0.1")
                        .port(port)
                        .setting("save \"\"")
                        .setting("appendonly no")
                        .setting("dir " + emptyDirectory()) // so no stray dump.rdb is ever loaded
                        // keep reading its output so a full pipe never blocks the server
                        .soutListener(line -> { })
                        .serrListener(line -> { })
                        .build();
                server.start();
                return new RedisProcess(port, server);
            } catch (IOException e) {
                failure = e;
            }
        }
        throw new IllegalStateException("redis-server did not start", failure);
    }

    /** The port it listens on (the same across {@link #restart()}). */
    public int port() {
        return port;
    }

    /** {@code redis://127.0.0.1:PORT}. */
    public String url() {
        return "redis://127.0.0.1:" + port;
    }

    /** Whether the process runs (paused or not). */
    public synchronized boolean isRunning() {
        return server.isActive();
    }

    /** Stops the process (resuming it first if paused). Does nothing if it is not running. */
    public synchronized void stop() {
        if (pausedPid > 0) {
            resume();
        }
        try {
            server.stop();
        } catch (IOException e) {
            throw new UncheckedIOException("redis-server did not stop", e);
        }
    }

    /** Stops the process if it runs and starts a new, empty one on the same port. */
    public synchronized void restart() {
        stop();
        try {
            server.start();
        } catch (IOException e) {
            throw new IllegalStateException("redis-server did not restart on port " + port, e);
        }
    }

    /** Freezes the process with SIGSTOP: connections are accepted but nothing is answered until {@link #resume()}. */
    public synchronized void pause() {
        if (pausedPid > 0) {
            return;
        }
        long pid = processId();
        signal("STOP", pid);
        pausedPid = pid;
    }

    /** Lets a paused process go on with SIGCONT; it then answers what queued up meanwhile. */
    public synchronized void resume() {
        if (pausedPid <= 0) {
            return;
        }
        signal("CONT", pausedPid);
        pausedPid = -1;
    }

    /**
     * Kills the process with SIGKILL, as the kernel's OOM killer or a crash would: no shutdown, connections reset.
     * {@link #restart()} starts a new, empty one on the same port.
     */
    public synchronized void kill() {
        if (pausedPid > 0) {
            resume();
        }
        signal("KILL", processId());
        try {
            server.stop(); // reaps the dead process and lets restart() start a new one
        } catch (IOException e) {
            throw new UncheckedIOException("redis-server did not stop after SIGKILL", e);
        }
    }

    /** Same as {@link #stop()}. */
    @Override
    public void close() {
        stop();
    }

    /** Asks the running server for its pid ({@code INFO server}, field {@code process_id}) over RESP. */
    private long processId() {
        String info = Resp.string(port, "INFO", "server");
        for (String line : info.split("\r\n")) {
            if (line.startsWith("process_id:")) {
                return Long.parseLong(line.substring("process_id:".length()).trim());
            }
        }
        throw new IllegalStateException("no process_id in INFO server: " + info);
    }

    private static void signal(String signal, long pid) {
        try {
            Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).redirectErrorStream(true).start();
            if (!kill.waitFor(10, TimeUnit.SECONDS)) {
                kill.destroyForcibly();
                throw new IllegalStateException("kill -" + signal + " " + pid + " did not finish");
            }
            if (kill.exitValue() != 0) {
                String output = new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                throw new IllegalStateException("kill -" + signal + " " + pid + " failed: " + output);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not run kill -" + signal, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while sending SIG" + signal, e);
        }
    }

    private static String emptyDirectory() throws IOException {
        File directory = Files.createTempDirectory("redis-process-").toFile();
        directory.deleteOnExit();
        return directory.getAbsolutePath();
    }

    /** Where the redis-server binary comes from; shared with {@link RedisNode} (sentinel and cluster sets). */
    static ExecutableProvider executable() {
        String configured = System.getenv(REDIS_SERVER_ENV);
        if (configured == null || configured.isBlank()) {
            return ExecutableProvider.newJarResourceProvider();
        }
        File binary = new File(configured);
        if (!binary.canExecute()) {
            throw new IllegalStateException(REDIS_SERVER_ENV + "=" + configured + " is not an executable file");
        }
        return () -> binary;
    }
}
