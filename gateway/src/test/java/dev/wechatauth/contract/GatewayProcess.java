package dev.wechatauth.contract;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The gateway as an operator runs it: {@code java -cp … dev.wechatauth.gateway.GatewayApplication --…} in a process of
 * its own, with the environment cleared of anything that would configure it, its output (stdout and stderr
 * together) collected as it comes.
 */
final class GatewayProcess implements AutoCloseable {

    private final Process process;
    private final StringBuffer output = new StringBuffer();
    private final Thread reader;

    private GatewayProcess(Process process) {
        this.process = process;
        this.reader = new Thread(() -> collect(process.getInputStream()), "gateway-process-output");
        reader.setDaemon(true);
        reader.start();
    }

    static GatewayProcess start(List<String> args) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-XX:TieredStopAtLevel=1");
        command.add("-XX:+UseSerialGC");
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add("dev.wechatauth.gateway.GatewayApplication");
        command.addAll(args);
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        Map<String, String> environment = builder.environment();
        environment.keySet().removeIf(name -> name.startsWith("WECHAT_") || name.startsWith("GATEWAY_")
                || name.startsWith("SPRING_") || name.startsWith("SERVER_") || name.startsWith("MANAGEMENT_"));
        try {
            return new GatewayProcess(builder.start());
        } catch (IOException failure) {
            throw new UncheckedIOException("cannot start the gateway process", failure);
        }
    }

    /** Waits for the process to end; true if it did within {@code timeout}. */
    boolean waitFor(Duration timeout) {
        try {
            boolean ended = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (ended) {
                reader.join(5000);
            }
            return ended;
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    boolean isAlive() {
        return process.isAlive();
    }

    int exitCode() {
        return process.exitValue();
    }

    /** Everything the process printed so far. */
    String output() {
        return output.toString();
    }

    private void collect(InputStream in) {
        byte[] buffer = new byte[8192];
        try {
            int read;
            while ((read = in.read(buffer)) >= 0) {
                output.append(new String(buffer, 0, read, StandardCharsets.UTF_8));
            }
        } catch (IOException closed) {
            // the process ended
        }
    }

    /** Asks the process to stop (SIGTERM, so that its shutdown hooks run), and kills it if it does not. */
    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroy();
            if (!waitFor(Duration.ofSeconds(20))) {
                process.destroyForcibly();
                waitFor(Duration.ofSeconds(5));
            }
        }
    }
}
