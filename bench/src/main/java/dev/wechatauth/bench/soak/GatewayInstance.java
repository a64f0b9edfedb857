package dev.wechatauth.bench.soak;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.wechatauth.testkit.FreePort;

/**
 * One gateway as an operator runs it: {@code java -Xmx256m -jar gateway.jar} in a process of its own, on free ports
 * (public and management), its output in a log file. Reads its memory from outside: resident set from
 * {@code /proc/PID/status}, heap from the management port's {@code /actuator/prometheus}
 * ({@code jvm_memory_used_bytes{area="heap"}}), and a full GC on demand with {@code jcmd PID GC.run}.
 */
final class GatewayInstance implements AutoCloseable {

    private static final Duration START_WITHIN = Duration.ofSeconds(240);
    private static final int START_ATTEMPTS = 3;
    private static final Pattern HEAP_SERIES = Pattern.compile(
            "^jvm_memory_used_bytes\\{[^}]*area=\"heap\"[^}]*} ([0-9.eE+-]+)$", Pattern.MULTILINE);
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final String name;
    private final Process process;
    private final int port;
    private final int managementPort;
    private final Path log;

    private GatewayInstance(String name, Process process, int port, int managementPort, Path log) {
        this.name = name;
        this.process = process;
        this.port = port;
        this.managementPort = managementPort;
        this.log = log;
    }

    /**
     * Starts a gateway with {@code properties} ({@code name=value}, given as {@code --name=value}) and waits until its
     * public and management ports answer HTTP (whatever the health: Redis may still be connecting on a busy machine,
     * and the making of the sessions logs in again until it succeeds); a start that lost a port to someone else is
     * tried again on new ones.
     *
     * @param launcher what runs {@code java} (e.g. {@code taskset -c 1}), may be empty
     */
    static GatewayInstance start(String name, List<String> launcher, String java, Path jar, List<String> properties,
            Path workDirectory) {
        for (int attempt = 1; ; attempt++) {
            int port = FreePort.next();
            int management = FreePort.next();
            while (management == port) {
                management = FreePort.next();
            }
            List<String> command = new ArrayList<>(launcher);
            command.addAll(List.of(java, "-Xmx256m", "-jar", jar.toString(), "--server.address=127.0.0.1",
                    "--server.port=" + port, "--management.server.port=" + management));
            properties.forEach(property -> command.add("--" + property));
            Path log = workDirectory.resolve("gateway-" + name + ".log");
            Process process;
            try {
                process = new ProcessBuilder(command).redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.to(log.toFile())).start();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot start gateway " + name, e);
            }
            GatewayInstance gateway = new GatewayInstance(name, process, port, management, log);
            try {
                gateway.awaitHealthy();
                return gateway;
            } catch (IllegalStateException notStarted) {
                gateway.close();
                if (attempt == START_ATTEMPTS || !gateway.logText().contains("already in use")) {
                    throw notStarted;
                }
            }
        }
    }

    private void awaitHealthy() {
        long deadline = System.nanoTime() + START_WITHIN.toNanos();
        while (true) {
            if (!process.isAlive()) {
                throw new IllegalStateException("gateway " + name + " exited at start (log: " + log + ")");
            }
            if (answers(port) && answers(managementPort)) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("gateway " + name + " did not answer within " + START_WITHIN
                        + " (log: " + log + ")");
            }
            sleep(Duration.ofMillis(250));
        }
    }

    private static boolean answers(int port) {
        try {
            return get(port, "/actuator/health").statusCode() > 0;
        } catch (IOException | RuntimeException notYet) {
            return false;
        }
    }

    private static HttpResponse<String> get(int port, String path) throws IOException {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(5)).GET().build();
        try {
            return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    String name() {
        return name;
    }

    /** {@code http://127.0.0.1:PORT}, the public port. */
    String baseUrl() {
        return "http://127.0.0.1:" + port;
    }

    long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** Resident set size in bytes ({@code VmRSS}), -1 if it cannot be read. */
    long rssBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid()), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException unreadable) {
            // the process is gone, or not Linux
        }
        return -1;
    }

    /** Heap in use now in bytes: the sum of {@code jvm_memory_used_bytes{area="heap"}}; -1 if not answered. */
    long heapUsedBytes() {
        try {
            HttpResponse<String> response = get(managementPort, "/actuator/prometheus");
            if (response.statusCode() != 200) {
                return -1;
            }
            Matcher series = HEAP_SERIES.matcher(response.body());
            double sum = 0;
            boolean found = false;
            while (series.find()) {
                sum += Double.parseDouble(series.group(1));
                found = true;
            }
            return found ? (long) sum : -1;
        } catch (IOException | RuntimeException unanswered) {
            return -1;
        }
    }

    /** Runs a full GC ({@code jcmd PID GC.run}) and returns the heap in use right after it; -1 if it could not. */
    long heapAfterFullGcBytes(String jcmd) {
        try {
            Process gc = new ProcessBuilder(jcmd, Long.toString(pid()), "GC.run").redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!gc.waitFor(30, TimeUnit.SECONDS) || gc.exitValue() != 0) {
                gc.destroyForcibly();
                return -1;
            }
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
        return heapUsedBytes();
    }

    String logText() {
        try {
            return Files.readString(log);
        } catch (IOException | UncheckedIOException e) {
            return "";
        }
    }

    /** Lines of its log that report an error (a stack trace's first line, {@code ERROR}), at most {@code max}. */
    List<String> errorLines(int max) {
        return logText().lines().filter(line -> line.contains(" ERROR ") || line.contains("OutOfMemoryError"))
                .limit(max).toList();
    }

    /** SIGTERM, so that it shuts down as in production; SIGKILL if it has not within 20 s. */
    @Override
    public void close() {
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }

    static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
