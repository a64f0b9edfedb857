package dev.wechatauth.gateway.routes;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import dev.wechatauth.plugin.config.InvalidSettingsException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.cloud.gateway.event.RefreshRoutesEvent;
import org.springframework.cloud.gateway.route.RouteDefinition;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.SmartLifecycle;
import org.springframework.core.env.Environment;

/**
 * Applies a changed routes file without a restart. Once a {@code poll} interval, on a thread of its own (never an
 * event loop), it reads the file's size, modification time and identity (inode): an edit in place, a new file
 * renamed onto it (editors, {@code mv}) and a Kubernetes ConfigMap's symbolic-link swap all change them. Once they
 * have stayed the same for one more interval (a file being written is not read half-way), the whole file is read,
 * parsed and checked: its policies ({@link RoutesFile}) and every route built as the gateway will
 * ({@link RouteCheck}). Only then are the definitions replaced and one {@link RefreshRoutesEvent} published: Spring
 * Cloud Gateway swaps its routes at once, and a request already routed finishes on the route it started with.
 * <p>
 * A file that cannot be read, does not parse or fails a check, and a deleted file, change nothing: the running routes
 * stay, one WARN line gives the reason, and {@code wechat_auth_routes_reloads_total{outcome="failed"}} counts it
 * (once per change of the file, not once per poll). A rewrite with the same content changes nothing.
 */
public final class RoutesFileWatcher implements SmartLifecycle {

    private static final Log log = LogFactory.getLog(RoutesFileWatcher.class);

    private final Path file;
    private final Environment environment;
    private final RunningRoutes running;
    private final RouteCheck check;
    private final ApplicationEventPublisher events;
    private final Duration poll;
    private final Counter applied;
    private final Counter failed;
    private ScheduledExecutorService scheduler;
    /** The file as last handled (applied or refused), and as seen at the last poll when it differed from that. */
    private Stamp handled;
    private Stamp changing;
    private byte[] appliedDigest;

    /**
     * Size, modification time and identity of the file (through symbolic links); {@link #MISSING} when there is none,
     * {@link #UNREADABLE} when its attributes cannot be read.
     */
    record Stamp(long size, long modifiedNanos, Object key) {

        static final Stamp MISSING = new Stamp(-1, -1, null);
        static final Stamp UNREADABLE = new Stamp(-2, -2, null);

        static Stamp of(Path file) {
            try {
                BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
                return new Stamp(attributes.size(), attributes.lastModifiedTime().to(TimeUnit.NANOSECONDS),
                        attributes.fileKey());
            } catch (NoSuchFileException missing) {
                return MISSING;
            } catch (IOException unreadable) {
                return UNREADABLE;
            }
        }
    }

    RoutesFileWatcher(Path file, Environment environment, RunningRoutes running, RouteCheck check,
            ApplicationEventPublisher events, Duration poll, MeterRegistry registry) {
        this.file = file.toAbsolutePath().normalize();
        this.environment = environment;
        this.running = running;
        this.check = check;
        this.events = events;
        this.poll = poll;
        this.applied = reloads(registry, "success");
        this.failed = reloads(registry, "failed");
        Gauge.builder("wechat.auth.routes", running, routes -> routes.current().size())
                .description("Routes the gateway runs, from the routes file as last applied")
                .register(registry);
    }

    private static Counter reloads(MeterRegistry registry, String outcome) {
        return Counter.builder("wechat.auth.routes.reloads")
                .description("Changes of the routes file applied (success) or refused, the running routes kept (failed)")
                .tag("outcome", outcome)
                .register(registry);
    }

    @Override
    public synchronized void start() {
        handled = Stamp.of(file);
        try {
            appliedDigest = digest(Files.readAllBytes(file));
        } catch (IOException unreadable) {
            appliedDigest = null;
        }
        scheduler = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "routes-file-watcher");
            thread.setDaemon(true);
            return thread;
        });
        scheduler.scheduleWithFixedDelay(this::pollSafely, poll.toMillis(), poll.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public synchronized void stop() {
        if (scheduler != null) {
            scheduler.shutdownNow();
            scheduler = null;
        }
    }

    @Override
    public synchronized boolean isRunning() {
        return scheduler != null;
    }

    private void pollSafely() {
        try {
            poll();
        } catch (RuntimeException unexpected) {
            // a failed poll must not end the watching: the scheduler runs no task again once one has thrown
            log.warn("Routes file " + file + ": watching failed this time (" + RoutesFile.reason(unexpected)
                    + "); the running routes stay");
        }
    }

    synchronized void poll() {
        Stamp now = Stamp.of(file);
        if (now.equals(handled)) {
            changing = null;
            return;
        }
        if (!now.equals(changing)) {
            changing = now;
            return;
        }
        changing = null;
        handled = now;
        if (now == Stamp.MISSING) {
            refuse("the file is gone");
            return;
        }
        byte[] content;
        try {
            content = Files.readAllBytes(file);
        } catch (IOException unreadable) {
            refuse("it cannot be read: " + RoutesFile.reason(unreadable));
            return;
        }
        byte[] digest = digest(content);
        if (Arrays.equals(digest, appliedDigest)) {
            return;
        }
        List<RouteDefinition> next;
        try {
            next = RoutesFile.read(file, environment);
            check.check(next);
        } catch (RuntimeException invalid) {
            refuse(invalid instanceof InvalidSettingsException ? invalid.getMessage() : RoutesFile.reason(invalid));
            return;
        }
        apply(next, digest);
    }

    private void apply(List<RouteDefinition> next, byte[] digest) {
        int before = running.current().size();
        running.replace(next);
        appliedDigest = digest;
        applied.increment();
        events.publishEvent(new RefreshRoutesEvent(this));
        log.info("Routes file " + file + " applied: " + next.size() + " routes (" + before + " before): "
                + next.stream().map(RouteDefinition::getId).map(Objects::toString).toList());
    }

    private void refuse(String reason) {
        failed.increment();
        log.warn("Routes file " + file + " not applied, the " + running.current().size()
                + " running routes stay: " + reason);
    }

    private static byte[] digest(byte[] content) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(content);
        } catch (NoSuchAlgorithmException impossible) {
            throw new IllegalStateException("every Java platform has SHA-256", impossible);
        }
    }
}
