package dev.wechatauth.gateway.rig;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A {@code routes.yml} for a gateway under test, written to a temporary file: the routes are added one by one, each
 * with its policy ({@code metadata.auth}; none: the default, {@code required}) and optionally its response timeout.
 */
public final class Routes {

    private final StringBuilder yaml = new StringBuilder("routes:\n");

    private Routes() {
    }

    /** Routes that start with the self-answering login route: {@code /wx/login}, {@code login}, {@code no://op}. */
    public static Routes withLogin() {
        return new Routes().route("login", "/wx/login", "no://op", "login");
    }

    /** A route {@code id} of {@code path} (a Path predicate) to {@code uri}, with policy {@code auth} (may be null). */
    public Routes route(String id, String path, String uri, String auth) {
        return route(id, path, uri, auth, null);
    }

    /** The same, with {@code metadata.response-timeout} when {@code responseTimeout} is not null. */
    public Routes route(String id, String path, String uri, String auth, Duration responseTimeout) {
        yaml.append("  - id: ").append(id).append('\n')
                .append("    uri: ").append(uri).append('\n')
                .append("    predicates: [Path=").append(path).append("]\n");
        if (auth != null || responseTimeout != null) {
            yaml.append("    metadata: { ");
            if (auth != null) {
                yaml.append("auth: ").append(auth).append(responseTimeout == null ? "" : ", ");
            }
            if (responseTimeout != null) {
                yaml.append("response-timeout: ").append(responseTimeout.toMillis());
            }
            yaml.append(" }\n");
        }
        return this;
    }

    public String yaml() {
        return yaml.toString();
    }

    /** Writes the routes to a new temporary {@code routes.yml}, deleted when the JVM exits. */
    public Path write() {
        try {
            Path directory = Files.createTempDirectory("gateway-routes-");
            directory.toFile().deleteOnExit();
            Path file = directory.resolve("routes.yml");
            Files.writeString(file, yaml());
            file.toFile().deleteOnExit();
            return file;
        } catch (IOException failure) {
            throw new UncheckedIOException(failure);
        }
    }
}
