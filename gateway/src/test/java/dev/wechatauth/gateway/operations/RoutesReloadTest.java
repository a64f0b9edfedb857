package dev.wechatauth.gateway.operations;

import static dev.wechatauth.gateway.rig.ContractAssertions.assertError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.wechatauth.gateway.rig.Answer;
import dev.wechatauth.gateway.rig.Backends;
import dev.wechatauth.gateway.rig.GatewayLauncher;
import dev.wechatauth.gateway.rig.Http;
import dev.wechatauth.gateway.rig.InProcessGateway;
import dev.wechatauth.gateway.rig.Routes;
import dev.wechatauth.gateway.rig.Scrape;
import dev.wechatauth.gateway.rig.Timing;
import dev.wechatauth.gateway.routes.RoutesFileWatcher;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * docs/reference.md, routes.yml: the file is watched; a change (also a rename onto it, and a Kubernetes ConfigMap's
 * symbolic-link swap) is applied within 5 s without a restart, and requests in flight finish on their routes; a file
 * that cannot be read, does not parse or names an unknown policy, and a deleted file, change nothing: the running
 * routes stay, one WARN line gives the reason, and {@code wechat_auth_routes_reloads_total} counts it.
 * <p>
 * One gateway whose routes file is laid out as a ConfigMap mounts it: {@code routes.yml -> ..data/routes.yml},
 * {@code ..data -> ..v<n>}. Before each test a new version of the baseline is swapped in and seen applied, so every
 * test starts from the baseline on a symbolic link, whatever the test before did to the file. Each version carries a
 * marker route ({@code /gen/<n>/**}) by which a test knows that exactly that version runs. The 5 s are held with
 * {@linkplain Timing#CI_MARGIN a margin}.
 */
class RoutesReloadTest {

    private static final Duration APPLIED_WITHIN = Timing.generous(Duration.ofSeconds(5));
    private static final String RELOADS = "wechat_auth_routes_reloads_total";

    private static final AtomicInteger versions = new AtomicInteger();
    private static Backends backends;
    private static InProcessGateway gateway;
    private static Path directory;
    private static Path routesFile;
    private static ListAppender<ILoggingEvent> watcherLog;

    @BeforeAll
    static void startGateway() throws IOException {
        backends = Backends.start();
        directory = Files.createTempDirectory("routes-reload-");
        routesFile = directory.resolve("routes.yml");
        swapIn(baseline(versions.incrementAndGet()));
        gateway = GatewayLauncher.on(backends).named("reloading").with("gateway.routes-file=" + routesFile).start();
        watcherLog = new ListAppender<>();
        watcherLog.start();
        ((Logger) LoggerFactory.getLogger(RoutesFileWatcher.class)).addAppender(watcherLog);
    }

    @AfterAll
    static void stopGateway() {
        ((Logger) LoggerFactory.getLogger(RoutesFileWatcher.class)).detachAppender(watcherLog);
        gateway.close();
        backends.close();
    }

    @BeforeEach
    void theBaselineRunsOnASymbolicLink() throws IOException {
        int version = versions.incrementAndGet();
        swapIn(baseline(version));
        awaitVersion(version);
        backends.echo.clear();
        synchronized (watcherLog) {
            watcherLog.list.clear();
        }
    }

    @Test
    void aRouteAddedInPlaceIsServedWithinFiveSeconds() throws IOException {
        double applied = reloads("success");
        int version = versions.incrementAndGet();

        Files.writeString(routesFile, baseline(version)
                .route("added", "/added/**", backends.echo.baseUrl(), "public").yaml());

        awaitVersion(version);
        assertThat(gateway.get("/added/1").status()).isEqualTo(200);
        assertThat(backends.echo.last().path()).isEqualTo("/added/1");
        assertThat(reloads("success")).isEqualTo(applied + 1);
        assertThat(Scrape.of(gateway).value("wechat_auth_routes")).as("login, marker, status, slow, added")
                .isEqualTo(5);
    }

    @Test
    void aChangedPolicyIsAppliedWithoutARestart() throws IOException {
        int version = versions.incrementAndGet();

        Files.writeString(routesFile, withStatus(version, "required").yaml());

        awaitVersion(version);
        backends.echo.clear();
        assertError(gateway.get("/api/status/1"), 401, "missing_token");
        assertThat(backends.echo.count()).as("requests that reached the service").isZero();
    }

    @Test
    void aFileRenamedOntoTheRoutesFileIsApplied() throws IOException {
        int version = versions.incrementAndGet();
        Path written = directory.resolve("routes.yml.tmp");
        Files.writeString(written, withStatus(version, "required").yaml());

        Files.move(written, routesFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);

        awaitVersion(version);
        assertError(gateway.get("/api/status/1"), 401, "missing_token");
    }

    @Test
    void aConfigMapUpdateIsApplied() throws IOException {
        int version = versions.incrementAndGet();

        swapIn(withStatus(version, "required"));

        awaitVersion(version);
        assertError(gateway.get("/api/status/1"), 401, "missing_token");
    }

    @Test
    void aFileThatDoesNotParseChangesNothingAndSaysWhyOnce() throws IOException {
        assertRefusedAndNothingChanges("routes:\n  - id: broken\n    uri: [unclosed\n", "not readable YAML");
    }

    @Test
    void anUnknownPolicyChangesNothing() throws IOException {
        assertRefusedAndNothingChanges(withStatus(versions.get() + 1, "superuser").yaml(), "'superuser'");
    }

    @Test
    void aPredicateTheGatewayDoesNotHaveChangesNothing() throws IOException {
        String yaml = baseline(versions.get() + 1).yaml()
                + "  - id: odd\n    uri: " + backends.echo.baseUrl() + "\n    predicates: [Nowhere=/odd/**]\n";

        assertRefusedAndNothingChanges(yaml, "Nowhere");
    }

    @Test
    void aDeletedFileChangesNothingAndItsReturnIsApplied() throws IOException {
        double failed = reloads("failed");

        Files.delete(routesFile);

        await("the deletion noticed").atMost(APPLIED_WITHIN).pollInterval(Duration.ofMillis(100))
                .until(() -> reloads("failed") == failed + 1);
        assertThat(gateway.get("/api/status/1").status()).as("the public route still runs").isEqualTo(200);
        assertThat(warnings()).singleElement().asString().contains("gone");
        int version = versions.incrementAndGet();
        Files.createSymbolicLink(routesFile, Path.of("..data", "routes.yml"));
        swapIn(withStatus(version, "required"));
        awaitVersion(version);
    }

    @Test
    void aRequestInFlightFinishesOnTheRouteItStartedWith() throws Exception {
        CompletableFuture<Answer> slow = Http.inBackground(() -> gateway.get("/slow/__slow/8000/x"));
        await("the slow request at the service").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
                .until(() -> backends.echo.count() == 1);
        int version = versions.incrementAndGet();

        Files.writeString(routesFile, Routes.withLogin().route("gen" + version, "/gen/" + version + "/**",
                backends.echo.baseUrl(), "public").yaml());
        awaitVersion(version);
        assertError(gateway.get("/slow/1"), 404, "not_found");

        Answer answer = slow.get(Http.DEFAULT_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        assertThat(answer.status()).as("the request routed before the change: %s", answer).isEqualTo(200);
    }

    /** {@code yaml} is written in place of the running version (whose marker it does not carry): it is refused. */
    private void assertRefusedAndNothingChanges(String yaml, String reason) throws IOException {
        int running = versions.get();
        double failed = reloads("failed");
        double applied = reloads("success");

        Files.writeString(routesFile, yaml);

        await("the refusal").atMost(APPLIED_WITHIN).pollInterval(Duration.ofMillis(100))
                .until(() -> reloads("failed") == failed + 1);
        assertThat(gateway.get("/api/status/1").status()).as("the public route still runs").isEqualTo(200);
        assertThat(gateway.get("/gen/" + running + "/x").status()).as("the running version's marker").isEqualTo(200);
        assertThat(warnings()).singleElement().asString().contains(reason, routesFile.toString(), "running routes stay");
        // polls go on: the same bad file is not refused again
        await().pollDelay(Duration.ofSeconds(3)).until(() -> true);
        assertThat(warnings()).hasSize(1);
        assertThat(reloads("failed")).isEqualTo(failed + 1);
        assertThat(reloads("success")).isEqualTo(applied);
    }

    private static List<String> warnings() {
        List<ILoggingEvent> events;
        synchronized (watcherLog) { // the watcher's thread may be logging: AppenderBase appends under this lock
            events = List.copyOf(watcherLog.list);
        }
        return events.stream().filter(event -> event.getLevel() == Level.WARN)
                .map(ILoggingEvent::getFormattedMessage).filter(message -> message.contains(routesFile.toString()))
                .toList();
    }

    private static double reloads(String outcome) {
        return Scrape.of(gateway).value(RELOADS, "outcome=" + outcome);
    }

    /** The login route, {@code /api/status/**} public, {@code /slow/**} public, and the version's marker route. */
    private static Routes baseline(int version) {
        return withStatus(version, "public").route("slow", "/slow/**", backends.echo.baseUrl(), "public");
    }

    private static Routes withStatus(int version, String policy) {
        return Routes.withLogin()
                .route("gen" + version, "/gen/" + version + "/**", backends.echo.baseUrl(), "public")
                .route("status", "/api/status/**", backends.echo.baseUrl(), policy);
    }

    /** The version's marker route answers, so that version runs. */
    private static void awaitVersion(int version) {
        await("version " + version + " of the routes applied").atMost(APPLIED_WITHIN)
                .pollInterval(Duration.ofMillis(100))
                .until(() -> gateway.get("/gen/" + version + "/x").status() == 200);
    }

    /**
     * Writes {@code routes} as a ConfigMap volume does: a new {@code ..v<n>} folder, {@code ..data} re-pointed to it by
     * renaming a new link over the old, and {@code routes.yml} a link to {@code ..data/routes.yml}.
     */
    private static void swapIn(Routes routes) throws IOException {
        Path version = Files.createDirectory(directory.resolve("..v" + versions.get() + "-" + System.nanoTime()));
        Files.writeString(version.resolve("routes.yml"), routes.yaml());
        Path link = directory.resolve("..data_tmp");
        Files.deleteIfExists(link);
        Files.createSymbolicLink(link, version.getFileName());
        Files.move(link, directory.resolve("..data"), StandardCopyOption.REPLACE_EXISTING,
                StandardCopyOption.ATOMIC_MOVE);
        if (!Files.isSymbolicLink(routesFile)) {
            Files.deleteIfExists(routesFile);
            Files.createSymbolicLink(routesFile, Path.of("..data", "routes.yml"));
        }
    }
}
