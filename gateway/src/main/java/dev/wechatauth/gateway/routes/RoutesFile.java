package dev.wechatauth.gateway.routes;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import dev.wechatauth.plugin.config.InvalidSettingsException;
import dev.wechatauth.plugin.routing.RoutePolicy;
import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.bind.PropertySourcesPlaceholdersResolver;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.cloud.gateway.route.RouteDefinition;
import org.springframework.core.env.Environment;
import org.springframework.core.env.PropertySource;
import org.springframework.core.io.FileSystemResource;

/**
 * Reads {@code routes.yml}: Spring Cloud Gateway route definitions (shortcut syntax included) under the top-level
 * key {@code routes}, with {@code ${…}} placeholders resolved from the environment. A missing or unreadable file,
 * or a route whose {@code metadata.auth} names no policy, stops the gateway at start with a one-line reason.
 */
public final class RoutesFile {

    private RoutesFile() {
    }

    public static List<RouteDefinition> read(Path file, Environment environment) {
        Path absolute = file.toAbsolutePath().normalize();
        if (!Files.isRegularFile(absolute)) {
            throw new InvalidSettingsException("gateway.routes-file: no routes file at " + absolute);
        }
        List<PropertySource<?>> yaml;
        try {
            yaml = new YamlPropertySourceLoader().load(absolute.toString(), new FileSystemResource(absolute));
        } catch (IOException | RuntimeException unreadable) {
            throw new InvalidSettingsException("gateway.routes-file: " + absolute + " is not readable YAML: "
                    + firstLine(unreadable.getMessage()));
        }
        List<RouteDefinition> routes;
        try {
            routes = new Binder(ConfigurationPropertySources.from(yaml), new PropertySourcesPlaceholdersResolver(environment))
                    .bind("routes", Bindable.listOf(RouteDefinition.class))
                    .orElseThrow(() -> new InvalidSettingsException("gateway.routes-file: " + absolute
                            + " has no top-level 'routes' list"));
        } catch (BindException invalid) {
            throw new InvalidSettingsException("gateway.routes-file: " + absolute + ": cannot read "
                    + invalid.getName() + ": " + firstLine(rootMessage(invalid)));
        }
        routes.forEach(RoutesFile::checkPolicy);
        return routes;
    }

    private static void checkPolicy(RouteDefinition route) {
        Object policy = route.getMetadata().get(RoutePolicy.METADATA_KEY);
        if (RoutePolicy.parse(policy) == null) {
            throw new InvalidSettingsException("gateway.routes-file: route '" + route.getId() + "' has metadata.auth '"
                    + policy + "'; use required, optional, public, login, phone or decrypt");
        }
    }

    /** The first line of the deepest cause's message: why {@code failure} happened, for a one-line report. */
    static String reason(Throwable failure) {
        return firstLine(rootMessage(failure));
    }

    private static String rootMessage(Throwable failure) {
        Throwable root = failure;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return String.valueOf(root.getMessage());
    }

    private static String firstLine(String text) {
        if (text == null) {
            return "";
        }
        int newline = text.indexOf('\n');
        return newline < 0 ? text : text.substring(0, newline);
    }
}
