package dev.wechatauth.gateway.rig;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.awaitility.core.ConditionTimeoutException;
import org.awaitility.core.TerminalFailureException;

/**
 * A gateway in a {@code java} process of its own, as an operator runs it, its output (stdout and stderr together)
 * collected as it comes.
 */
public final class GatewayProcess extends Gateway {

    private final Process process;
    private final StringBuffer output = new StringBuffer();
    private final Thread reader;

    GatewayProcess(String name, Backends backends, int port, int managementPort, Process process) {
        super(name, backends, port, managementPort);
        this.process = process;
        this.reader = new Thread(() -> collect(process.getInputStream()), "gateway-process-output");
        reader.setDaemon(true);
        reader.start();
    }

    /** Waits until both ports answer HTTP; fails at once if the process exits, or after {@code within}. */
    public void awaitListening(Duration within) {
        Http publicPort = http().timeout(Duration.ofSeconds(2));
        Http managementPort = management().timeout(Duration.ofSeconds(2));
        try {
            await("the gateway process to listen on " + port() + " and " + managementPort())
                    .atMost(within)
                    .pollInterval(Duration.ofMillis(200))
                    .failFast("the gateway process exited", () -> !process.isAlive())
                    .ignoreExceptions()
                    .until(() -> publicPort.get("/").status() > 0
                            && managementPort.get("/actuator/health").status() > 0);
        } catch (ConditionTimeoutException | TerminalFailureException notListening) {
            throw new AssertionError("the gateway process did not listen"
                    + (process.isAlive() ? " within " + within : ", it exited with " + process.exitValue())
                    + ":\n" + output(), notListening);
        }
    }

    /** Waits for the process to end; true if it did within {@code timeout}. */
    public boolean waitFor(Duration timeout) {
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

    public boolean isAlive() {
        return process.isAlive();
    }

    public int exitCode() {
        return process.exitValue();
    }

    /** Everything the process printed so far. */
    public String output() {
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
