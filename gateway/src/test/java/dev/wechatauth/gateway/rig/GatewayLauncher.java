package dev.wechatauth.gateway.rig;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.File;
import java.net.BindException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import dev.wechatauth.gateway.GatewayApplication;
import dev.wechatauth.testkit.FreePort;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.http.client.ReactorResourceFactory;

/**
 * Starts a gateway ({@link GatewayApplication}) for a test: in this JVM ({@link #start()}), or as an operator runs it,
 * in a {@code java} process of its own ({@link #startProcess()}). Its properties are those of its {@link Backends}
 * (if any) with the test's overrides on top, passed as command-line arguments, which win over {@code application.yml}.
 * <p>
 * Every gateway gets two free ports of its own: {@code server.port} (the public port) and
 * {@code management.server.port} (the actuator's port). Should one be taken by the time the gateway binds it, an
 * in-process start tries again on new ports.
 */
public final class GatewayLauncher {

    private static final int START_ATTEMPTS = 3;

    private final Backends backends;
    private final Map<String, String> properties = new LinkedHashMap<>();
    private String name = "gateway";

    private GatewayLauncher(Backends backends) {
        this.backends = backends;
        if (backends != null) {
            properties.putAll(backends.gatewayProperties());
        }
    }

    /** A gateway on {@code backends}, with {@link Backends#gatewayProperties()}. */
    public static GatewayLauncher on(Backends backends) {
        return new GatewayLauncher(backends);
    }

    /** A gateway configured by the test alone (a start-up it must refuse, the local profile). */
    public static GatewayLauncher withoutBackends() {
        return new GatewayLauncher(null);
    }

    /** What the tests call this gateway in their messages ({@code "A"}, {@code "B"}). */
    public GatewayLauncher named(String gatewayName) {
        this.name = gatewayName;
        return this;
    }

    /** Overrides written {@code "name=value"}. */
    public GatewayLauncher with(String... overrides) {
        for (String override : overrides) {
            int equals = override.indexOf('=');
            properties.put(override.substring(0, equals), override.substring(equals + 1));
        }
        return this;
    }

    /** Overrides as a map. */
    public GatewayLauncher with(Map<String, String> overrides) {
        properties.putAll(overrides);
        return this;
    }

    /** Starts the gateway in this JVM, with Netty resources of its own (see {@link OwnNettyResources}). */
    public InProcessGateway start() {
        RuntimeException failure = null;
        for (int attempt = 0; attempt < START_ATTEMPTS; attempt++) {
            try {
                ConfigurableApplicationContext context = new SpringApplicationBuilder(GatewayApplication.class,
                        OwnNettyResources.class).run(arguments(withFreePorts()));
                return new InProcessGateway(name, backends, context);
            } catch (RuntimeException startFailed) {
                if (!portTaken(startFailed)) {
                    throw startFailed;
                }
                failure = startFailed;
            }
        }
        throw failure;
    }

    /**
     * Starts the gateway as {@code java -cp … GatewayApplication --…} in a process of its own: the application's
     * classes and its dependencies (not the tests' classes), the environment cleared of anything that would configure
     * it. The caller waits for it to listen ({@link GatewayProcess#awaitListening}) or to exit.
     */
    public GatewayProcess startProcess() {
        Map<String, String> withPorts = withFreePorts();
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-XX:TieredStopAtLevel=1");
        command.add("-XX:+UseSerialGC");
        command.add("-cp");
        command.add(applicationClassPath());
        command.add(GatewayApplication.class.getName());
        command.addAll(Arrays.asList(arguments(withPorts)));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().keySet().removeIf(variable -> variable.startsWith("WECHAT_")
                || variable.startsWith("GATEWAY_") || variable.startsWith("SPRING_") || variable.startsWith("SERVER_")
                || variable.startsWith("MANAGEMENT_"));
        try {
            return new GatewayProcess(name, backends, Integer.parseInt(withPorts.get("server.port")),
                    Integer.parseInt(withPorts.get("management.server.port")), builder.start());
        } catch (IOException failure) {
            throw new UncheckedIOException("cannot start the gateway process", failure);
        }
    }

    /**
     * {@link #startProcess()}, waiting until both of its ports answer; a start that failed because a port was taken
     * meanwhile is tried again on new ports.
     */
    public GatewayProcess startProcessListening(Duration within) {
        for (int attempt = 1; ; attempt++) {
            GatewayProcess process = startProcess();
            try {
                process.awaitListening(within);
                return process;
            } catch (AssertionError | RuntimeException notListening) {
                process.close();
                if (attempt == START_ATTEMPTS || !process.output().contains("already in use")) {
                    throw notListening;
                }
            }
        }
    }

    private Map<String, String> withFreePorts() {
        Map<String, String> all = new LinkedHashMap<>();
        int port = FreePort.next();
        int management = FreePort.next();
        while (management == port) {
            management = FreePort.next();
        }
        all.put("server.port", Integer.toString(port));
        all.put("management.server.port", Integer.toString(management));
        all.putAll(properties);
        return all;
    }

    private static String[] arguments(Map<String, String> properties) {
        return properties.entrySet().stream()
                .map(property -> "--" + property.getKey() + "=" + property.getValue())
                .toArray(String[]::new);
    }

    /** This JVM's class path without the test classes: the application and its dependencies. */
    private static String applicationClassPath() {
        return Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(entry -> !Path.of(entry).endsWith("test-classes"))
                .collect(Collectors.joining(File.pathSeparator));
    }

    private static boolean portTaken(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof BindException || cause.getClass().getSimpleName().equals("PortInUseException")) {
                return true;
            }
        }
        return false;
    }

    /**
     * Several gateways run in the test JVM, and Spring's default {@link ReactorResourceFactory} shares Reactor Netty's
     * global event loops, which closing one gateway would dispose of under the others. Each gateway here gets loops of
     * its own instead; nothing else of the application changes. (A source of the application, not a
     * {@code @Configuration}: no component scan of the application ever picks it up.)
     */
    public static class OwnNettyResources {

        @Bean
        ReactorResourceFactory reactorResourceFactory() {
            ReactorResourceFactory resources = new ReactorResourceFactory();
            resources.setUseGlobalResources(false);
            resources.setShutdownQuietPeriod(Duration.ZERO);
            return resources;
        }
    }
}
