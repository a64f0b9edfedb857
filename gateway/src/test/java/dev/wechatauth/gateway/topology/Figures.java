package dev.wechatauth.gateway.topology;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The figures the topology tests measure, written to {@code gateway/target/topology-figures.md} (the module's
 * {@code target}, as Surefire runs in the module directory) and to the test output. Sections are kept per JVM: a run
 * rewrites the file with the sections of this run only.
 */
final class Figures {

    private static final Map<String, String> SECTIONS = new LinkedHashMap<>();
    private static final String STARTED = Instant.now().toString();

    private Figures() {
    }

    static synchronized void record(String key, String markdown) {
        SECTIONS.put(key, markdown);
        System.out.println(markdown);
        StringBuilder file = new StringBuilder("# Redis topology figures\n\n")
                .append("Measured by the tests of gateway/src/test/java/dev/wechatauth/gateway/topology, ")
                .append("run started ").append(STARTED).append(". Times are from `System.nanoTime()` in the test JVM; ")
                .append("\"after the kill\" is from just before the call that looks up the primary and SIGKILLs it.")
                .append("\n\n");
        SECTIONS.values().forEach(section -> file.append(section).append('\n'));
        Path target = Path.of(System.getProperty("basedir", System.getProperty("user.dir")), "target");
        try {
            Files.createDirectories(target);
            Files.writeString(target.resolve("topology-figures.md"), file.toString(), StandardCharsets.UTF_8);
        } catch (IOException failure) {
            throw new UncheckedIOException(failure);
        }
    }
}
