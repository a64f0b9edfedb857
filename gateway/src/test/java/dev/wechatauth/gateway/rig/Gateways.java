package dev.wechatauth.gateway.rig;

import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The gateways test classes share, started by the first class that asks and stopped when the test JVM exits, so that
 * a suite pays for a gateway start only where it needs a configuration of its own.
 * <p>
 * {@link #shared()} runs on {@link Backends} with their {@linkplain Backends#gatewayProperties() properties}, and one
 * change: its circuit breaker needs 1000 calls before it may open, so that the WeChat failures some classes provoke
 * never turn another class's logins into {@code wechat_unavailable}. {@link #sharedPeer()} is a second instance with
 * the same settings on the same backends, for the tests of several instances on one Redis. Classes that change WeChat's
 * behaviour for a whole instance, stop Redis or need other settings start their own.
 */
public final class Gateways {

    private static Backends backends;
    private static InProcessGateway shared;
    private static InProcessGateway peer;
    private static GatewayProcess local;

    private Gateways() {
    }

    /** The shared gateway. */
    public static synchronized InProcessGateway shared() {
        if (shared == null) {
            backends = Backends.start();
            Runtime.getRuntime().addShutdownHook(new Thread(Gateways::stop, "shared-gateways-stop"));
            shared = warmedUp(launcher().named("shared").start());
        }
        return shared;
    }

    /** A second gateway on the shared gateway's backends, with its settings. */
    public static synchronized InProcessGateway sharedPeer() {
        shared();
        if (peer == null) {
            peer = warmedUp(launcher().named("shared peer").start());
        }
        return peer;
    }

    /**
     * A gateway as a laptop runs it, in a process of its own: the {@code local} profile (embedded Redis, WeChat sandbox,
     * echo backend, playground) on the repository's own {@code routes.yml}.
     */
    public static synchronized GatewayProcess local() {
        if (local == null) {
            local = GatewayLauncher.withoutBackends().named("local")
                    .with("spring.profiles.active=local", "gateway.routes-file=" + repositoryRoutes())
                    .startProcessListening(Duration.ofSeconds(90));
            Runtime.getRuntime().addShutdownHook(new Thread(local::close, "local-gateway-stop"));
        }
        return local;
    }

    /** The repository's {@code routes.yml}: the tests run in the gateway module's directory, or in the root. */
    public static Path repositoryRoutes() {
        Path here = Path.of("").toAbsolutePath();
        return Files.isRegularFile(here.resolve("routes.yml")) ? here.resolve("routes.yml") : here.resolveSibling("routes.yml");
    }

    /**
     * A cold gateway's first call to WeChat (class loading, the connection pool) can take longer than the 1 s WeChat
     * timeout on a busy machine: one login that succeeds, tried for as long as CI needs, warms it up for every class.
     */
    private static InProcessGateway warmedUp(InProcessGateway gateway) {
        await("a first login on " + gateway).atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                .until(() -> gateway.login(backends.issueCode(backends.newUser())).status() == 200);
        return gateway;
    }

    private static GatewayLauncher launcher() {
        return GatewayLauncher.on(backends).with(
                "wechat.auth.circuit-breaker.window=1000",
                "wechat.auth.circuit-breaker.minimum-calls=1000");
    }

    private static synchronized void stop() {
        if (peer != null) {
            peer.close();
        }
        if (shared != null) {
            shared.close();
        }
        backends.close();
    }
}
