package dev.wechatauth.gateway.startup;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Stream;

import dev.wechatauth.gateway.rig.GatewayLauncher;
import dev.wechatauth.gateway.rig.GatewayProcess;
import dev.wechatauth.gateway.rig.Routes;
import dev.wechatauth.testkit.FreePort;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * docs/reference.md, Build and run: without the {@code local} profile, a gateway with no mini-program configured, an
 * appid not matching {@code ^[A-Za-z0-9_-]{1,64}$}, or an empty secret or one containing white space (and, likewise,
 * an admin token shorter than 32 characters or a session lifetime that is not positive), exits non-zero at start with
 * a one-line reason, and never prints the secret. Each case is a real
 * {@code java … GatewayApplication} process; they run two at a time.
 */
class StartupRefusalTest {

    private static final Duration LIMIT = Duration.ofSeconds(60);

    /**
     * A way of misconfiguring the gateway ({@code args} written {@code "name=value"}), the property its reason must
     * name, and a secret it must not print.
     */
    record Misconfiguration(String description, List<String> args, String property, String secret) {
        @Override
        public String toString() {
            return description;
        }
    }

    record Outcome(boolean ended, int exitCode, String output) {
    }

    private static final Map<Misconfiguration, CompletableFuture<Outcome>> OUTCOMES = new ConcurrentHashMap<>();
    private static ExecutorService twoAtATime;
    private static Path routes;

    static Stream<Misconfiguration> misconfigurations() {
        return Stream.of(
                new Misconfiguration("no mini-program configured", List.of(), "wechat.auth.apps", null),
                new Misconfiguration("an appid with a space and a bang",
                        List.of("wechat.auth.apps[0].appid=wx bad!", "wechat.auth.apps[0].secret=Sup3rSecretAppidCase1"),
                        "wechat.auth.apps[0].appid", "Sup3rSecretAppidCase1"),
                new Misconfiguration("an appid of 65 characters",
                        List.of("wechat.auth.apps[0].appid=" + "w".repeat(65),
                                "wechat.auth.apps[0].secret=Sup3rSecretAppidCase2"),
                        "wechat.auth.apps[0].appid", "Sup3rSecretAppidCase2"),
                new Misconfiguration("an appid with a dot, on the second app",
                        List.of("wechat.auth.apps[0].appid=wx_good", "wechat.auth.apps[0].secret=Sup3rSecretFirstApp3",
                                "wechat.auth.apps[1].appid=wx.second", "wechat.auth.apps[1].secret=Sup3rSecretAppidCase3"),
                        "wechat.auth.apps[1].appid", "Sup3rSecretAppidCase3"),
                new Misconfiguration("an empty secret",
                        List.of("wechat.auth.apps[0].appid=wx_good", "wechat.auth.apps[0].secret="),
                        "wechat.auth.apps[0].secret", null),
                new Misconfiguration("a secret containing a space",
                        List.of("wechat.auth.apps[0].appid=wx_good", "wechat.auth.apps[0].secret=Sup3rSecret WithSpace4"),
                        "wechat.auth.apps[0].secret", "Sup3rSecret WithSpace4"),
                new Misconfiguration("an admin token of 31 characters",
                        List.of("wechat.auth.apps[0].appid=wx_good", "wechat.auth.apps[0].secret=Sup3rSecretAdminCase5",
                                "wechat.auth.admin.token=Adm1nTokenThatIsOneCharTooShort"),
                        "wechat.auth.admin.token", "Adm1nTokenThatIsOneCharTooShort"),
                new Misconfiguration("a max-lifetime of zero",
                        List.of("wechat.auth.apps[0].appid=wx_good", "wechat.auth.apps[0].secret=Sup3rSecretLifeCase6",
                                "wechat.auth.session.max-lifetime=0s"),
                        "wechat.auth.session.max-lifetime", "Sup3rSecretLifeCase6"));
    }

    @BeforeAll
    static void startEveryMisconfiguredGateway() {
        routes = Routes.withLogin().write();
        twoAtATime = Executors.newFixedThreadPool(2);
        misconfigurations().forEach(misconfiguration -> OUTCOMES.put(misconfiguration,
                CompletableFuture.supplyAsync(() -> run(misconfiguration), twoAtATime)));
    }

    @AfterAll
    static void cleanUp() {
        twoAtATime.shutdownNow();
    }

    private static Outcome run(Misconfiguration misconfiguration) {
        try (GatewayProcess gateway = GatewayLauncher.withoutBackends()
                .with("spring.data.redis.url=redis://127.0.0.1:" + FreePort.next(), "gateway.routes-file=" + routes)
                .with(misconfiguration.args().toArray(String[]::new))
                .startProcess()) {
            boolean ended = gateway.waitFor(LIMIT);
            return new Outcome(ended, ended ? gateway.exitCode() : 0, gateway.output());
        }
    }

    @ParameterizedTest(name = "{0}: exits non-zero naming the property, never printing the secret")
    @MethodSource("misconfigurations")
    void aMisconfiguredGatewayExitsAtStartWithAOneLineReason(Misconfiguration misconfiguration) {
        Outcome outcome = OUTCOMES.get(misconfiguration).join();

        assertThat(outcome.ended()).as("ended within %s; output:%n%s", LIMIT, outcome.output()).isTrue();
        assertThat(outcome.exitCode()).as("exit code; output:%n%s", outcome.output()).isNotZero();
        assertThat(outcome.output().lines().filter(line -> line.contains(misconfiguration.property())))
                .as("a line naming %s in:%n%s", misconfiguration.property(), outcome.output())
                .isNotEmpty();
        assertThat(outcome.output().lines()).as("stack trace lines in:%n%s", outcome.output())
                .noneMatch(line -> line.startsWith("\tat ") || line.startsWith("Caused by:"));
        if (misconfiguration.secret() != null) {
            assertThat(outcome.output()).as("the secret in the output").doesNotContain(misconfiguration.secret().strip());
        }
    }
}
