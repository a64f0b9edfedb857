package dev.wechatauth.testkit;

import static org.awaitility.Awaitility.await;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.IntFunction;
import java.util.function.IntSupplier;
import java.util.stream.Stream;
import org.awaitility.core.ConditionTimeoutException;
import org.awaitility.core.TerminalFailureException;
import org.awaitility.core.ThrowingRunnable;

/**
 * One redis-server process (a data node or, with {@code --sentinel}, a sentinel) started from a config file in its own
 * directory, its output going to {@code redis.log} there. Used by {@link RedisSentinelSet} and {@link RedisClusterSet},
 * which own the directories. A JVM shutdown hook kills every node nobody closed and deletes every directory registered
 * with {@link #deleteAtExit} that nobody deleted (it cannot run if the JVM itself is SIGKILLed).
 */
final class RedisNode implements AutoCloseable {

    static final Duration START_TIMEOUT = Duration.ofSeconds(10);
    /** How often a node, a set or a failover is looked at while waiting for it. */
    static final Duration INTERVAL = Duration.ofMillis(50);
    private static final Duration PROBE_TIMEOUT = Duration.ofMillis(250);
    private static final int START_ATTEMPTS = 3;

    private static final Set<RedisNode> RUNNING = ConcurrentHashMap.newKeySet();
    private static final Set<Path> DIRECTORIES = ConcurrentHashMap.newKeySet();
    private static File binary;

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(RedisNode::cleanUpLeftovers, "redis-node-reaper"));
    }

    /** The port was taken by someone else between choosing and binding it. */
    static final class PortInUse extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        PortInUse(String message) {
            super(message);
        }
    }

    private final String name;
    private final int port;
    private final Path directory;
    private final Process process;
    private final List<String> arguments;

    private RedisNode(String name, int port, Path directory, Process process, List<String> arguments) {
        this.name = name;
        this.port = port;
        this.directory = directory;
        this.process = process;
        this.arguments = List.copyOf(arguments);
    }

    /**
     * Starts a node on a port from {@code ports}, choosing another one (up to {@value #START_ATTEMPTS} times) when it
     * turns out to be taken. {@code config} gives the extra config lines for a port.
     */
    static RedisNode start(String name, Path directory, IntSupplier ports, IntFunction<List<String>> config,
            String... arguments) {
        PortInUse taken = null;
        for (int attempt = 0; attempt < START_ATTEMPTS; attempt++) {
            int port = ports.getAsInt();
            try {
                return startOn(name, directory, port, config.apply(port), arguments);
            } catch (PortInUse e) {
                taken = e;
            }
        }
        throw taken;
    }

    /**
     * Starts {@code redis-server <directory>/redis.conf arguments...} on exactly {@code port} and returns once it answers
     * (with its own pid in {@code INFO server}); throws {@link PortInUse} if the port (or the cluster bus port) is
     * taken. The config file holds {@code port}, {@code bind 127.0.0.1}, {@code dir <directory>}, then {@code config}.
     * The directory is emptied first.
     */
    static RedisNode startOn(String name, Path directory, int port, List<String> config, String... arguments) {
        try {
            deleteRecursively(directory);
            Files.createDirectories(directory);
            List<String> lines = new ArrayList<>();
            lines.add("port " + port);
            lines.add("bind 127.0.0.1");
            lines.add("dir " + directory.toAbsolutePath());
            lines.add("daemonize no");
            lines.addAll(config);
            Files.write(directory.resolve("redis.conf"), lines, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the config of redis-server " + name + " in " + directory, e);
        }
        return launch(name, directory, port, List.of(arguments));
    }

    /**
     * Starts this node again after it was killed: on the same port, from its directory as it is now (its config file,
     * which sentinels may have rewritten, and its data files, so that a node with {@code appendonly yes} loads what it
     * had written), and returns the new node once it answers. This node must be dead.
     */
    RedisNode restarted() {
        if (process.isAlive()) {
            throw new IllegalStateException(name + " still runs: kill it before starting it again");
        }
        return launch(name, directory, port, arguments);
    }

    /** Runs {@code redis-server <directory>/redis.conf arguments...} and waits until it answers on {@code port}. */
    private static RedisNode launch(String name, Path directory, int port, List<String> arguments) {
        Process process;
        try {
            List<String> command = new ArrayList<>();
            command.add(binary().getAbsolutePath());
            command.add(directory.resolve("redis.conf").toAbsolutePath().toString());
            command.addAll(arguments);
            process = new ProcessBuilder(command)
                    .directory(directory.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(directory.resolve("redis.log").toFile()))
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start redis-server " + name + " in " + directory, e);
        }
        RedisNode node = new RedisNode(name, port, directory, process, arguments);
        RUNNING.add(node);
        String ownPid = "process_id:" + process.pid() + "\r\n";
        try {
            await(name + " on port " + port + " to answer").atMost(START_TIMEOUT).pollInterval(INTERVAL)
                    .pollInSameThread()
                    .failFast(name + " exited", () -> !process.isAlive())
                    .ignoreExceptions()
                    // the answer must come from this process, not from whoever else may hold the port
                    // (a short reply timeout: a foreign listener may accept and never answer)
                    .until(() -> {
                        try (Resp connection = Resp.connect(port, PROBE_TIMEOUT)) {
                            return connection.call("INFO", "server") instanceof String text && text.contains(ownPid);
                        }
                    });
        } catch (TerminalFailureException exited) {
            node.kill();
            if (node.log().contains("Address already in use")) {
                throw new PortInUse(name + ": port " + port + " (or its bus port) is taken");
            }
            throw new IllegalStateException(name + " did not start: it exited with " + process.exitValue() + ":\n"
                    + node.log(), exited);
        } catch (RuntimeException e) {
            node.kill();
            throw new IllegalStateException(name + " did not start:\n" + node.log(), e);
        }
        return node;
    }

    /**
     * Polls {@code probe} every {@link #INTERVAL} until it passes, for at most {@code max}: a probe that is not there
     * yet throws an {@link AssertionError} saying why, and any other failure counts as not yet too. On time-out throws
     * {@link IllegalStateException} naming {@code what} and the probe's last failure.
     */
    static void waitUntil(String what, Duration max, ThrowingRunnable probe) {
        try {
            await(what).atMost(max).pollInterval(INTERVAL).pollInSameThread().untilAsserted(() -> {
                try {
                    probe.run();
                } catch (AssertionError notYet) {
                    throw notYet;
                } catch (Throwable failure) {
                    throw new AssertionError("last failure: " + failure, failure);
                }
            });
        } catch (ConditionTimeoutException timeout) {
            throw new IllegalStateException(timeout.getMessage(), timeout);
        }
    }

    String name() {
        return name;
    }

    int port() {
        return port;
    }

    /** {@code 127.0.0.1:PORT}. */
    String address() {
        return "127.0.0.1:" + port;
    }

    long pid() {
        return process.pid();
    }

    Path directory() {
        return directory;
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** SIGKILL, and waits for the process to be gone. Does nothing if it is gone already. */
    void kill() {
        RUNNING.remove(this);
        if (!process.isAlive()) {
            return;
        }
        process.destroyForcibly();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException(name + " (pid " + process.pid() + ") did not die after SIGKILL");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while killing " + name, e);
        }
    }

    /** Same as {@link #kill()}; the directory belongs to whoever made it. */
    @Override
    public void close() {
        kill();
    }

    /** The last few KB of what the process wrote. */
    String log() {
        try {
            Path file = directory.resolve("redis.log");
            if (!Files.exists(file)) {
                return "";
            }
            String log = Files.readString(file, StandardCharsets.UTF_8);
            return log.length() <= 4000 ? log : log.substring(log.length() - 4000);
        } catch (IOException | UncheckedIOException e) {
            return "(log unreadable: " + e + ")";
        }
    }

    @Override
    public String toString() {
        return name + "@" + address();
    }

    /** The binary, resolved once per JVM (the bundled one is unpacked to a temp file on each resolution). */
    static synchronized File binary() throws IOException {
        if (binary == null) {
            binary = RedisProcess.executable().get();
        }
        return binary;
    }

    /** A new temporary directory for a set of nodes, deleted at JVM exit unless {@link #killAll} deleted it before. */
    static Path tempDirectory(String prefix) {
        try {
            return deleteAtExit(Files.createTempDirectory(prefix));
        } catch (IOException e) {
            throw new UncheckedIOException("no temp directory for " + prefix, e);
        }
    }

    /** Runs {@code start} on a new set; if it fails, closes the set (what it started) and rethrows. */
    static <T extends AutoCloseable> T started(T set, Consumer<T> start) {
        try {
            start.accept(set);
            return set;
        } catch (RuntimeException | Error e) {
            try {
                set.close();
            } catch (Exception suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /** Kills {@code nodes} in that order, then deletes {@code root}; throws the first failure, the others suppressed. */
    static void killAll(List<RedisNode> nodes, Path root) {
        List<RuntimeException> failures = new ArrayList<>();
        for (RedisNode node : nodes) {
            try {
                node.kill();
            } catch (RuntimeException e) {
                failures.add(e);
            }
        }
        try {
            deleteDirectory(root);
        } catch (IOException | UncheckedIOException e) {
            failures.add(new IllegalStateException("could not delete " + root, e));
        }
        if (!failures.isEmpty()) {
            failures.subList(1, failures.size()).forEach(failures.get(0)::addSuppressed);
            throw failures.get(0);
        }
    }

    /** Has {@code directory} deleted at JVM exit unless {@link #deleteDirectory} deleted it before. */
    static Path deleteAtExit(Path directory) {
        DIRECTORIES.add(directory);
        return directory;
    }

    /** Deletes a directory registered with {@link #deleteAtExit} now. */
    static void deleteDirectory(Path directory) throws IOException {
        deleteRecursively(directory);
        DIRECTORIES.remove(directory);
    }

    /** At JVM exit: kills what nobody closed, then deletes what nobody deleted. */
    private static void cleanUpLeftovers() {
        for (RedisNode node : RUNNING) {
            try {
                node.kill();
            } catch (RuntimeException ignored) {
                // best effort
            }
        }
        for (Path directory : DIRECTORIES) {
            try {
                deleteRecursively(directory);
            } catch (IOException | UncheckedIOException ignored) {
                // best effort
            }
        }
    }

    static void deleteRecursively(Path path) throws IOException {
        if (!Files.exists(path)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(path)) {
            for (Path p : (Iterable<Path>) paths.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }
}
