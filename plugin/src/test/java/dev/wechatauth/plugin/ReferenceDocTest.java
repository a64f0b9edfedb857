package dev.wechatauth.plugin;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.RecordComponent;
import java.math.BigDecimal;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import dev.wechatauth.plugin.error.GatewayError;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.context.properties.source.ConfigurationPropertySource;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.convert.DurationStyle;
import org.springframework.core.env.SystemEnvironmentPropertySource;
import org.springframework.util.unit.DataSize;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Keeps {@code docs/reference.md} true to the code: its configuration table against the {@code wechat.auth.*}
 * properties the configuration processor found (names, defaults, environment variables), and its errors table against
 * {@link GatewayError} (every code with every status, and nothing else). Each failure names what is missing or wrong.
 * <p>
 * The metadata is {@code META-INF/spring-configuration-metadata.json}, written into {@code target/classes} when the
 * plugin compiles; the page is found from the module directory, where Maven runs the tests.
 */
class ReferenceDocTest {

    private static final Path REFERENCE = Path.of("..", "docs", "reference.md");
    private static final String METADATA = "META-INF/spring-configuration-metadata.json";
    private static final String PREFIX = "wechat.auth.";
    private static final Pattern CODE_SPAN = Pattern.compile("`([^`]+)`");
    private static final Pattern STATUS = Pattern.compile("\\b([1-5][0-9][0-9])\\b");
    private static final Pattern INDEX = Pattern.compile("\\[[0-9]+]");

    private static Map<String, JsonNode> properties;
    private static Table configuration;
    private static Table errors;

    /** One Markdown table: its header cells and its rows, cells trimmed. */
    record Table(List<String> header, List<List<String>> rows) {

        int column(String name) {
            for (int i = 0; i < header.size(); i++) {
                if (plain(header.get(i)).equals(name)) {
                    return i;
                }
            }
            throw new AssertionError("the table with header " + header + " has no column '" + name + "'");
        }

        boolean hasColumns(String... names) {
            Set<String> plainHeader = header.stream().map(ReferenceDocTest::plain).collect(Collectors.toSet());
            return plainHeader.containsAll(List.of(names));
        }
    }

    /** A documented {@code wechat.auth.*} name and the cells of the row it is in. */
    record Documented(String name, int position, int namesInRow, List<String> row) {
    }

    @BeforeAll
    static void readTheReferenceAndTheMetadata() throws IOException {
        assertThat(REFERENCE).as("docs/reference.md, looked for from the module directory %s",
                Path.of("").toAbsolutePath()).isRegularFile();
        List<Table> tables = tables(Files.readString(REFERENCE, StandardCharsets.UTF_8));
        configuration = only(tables, "configuration", table -> table.hasColumns("property", "environment variable",
                "default"));
        errors = only(tables, "errors", table -> table.hasColumns("situation", "status", "error"));
        properties = wechatAuthProperties();
    }

    @Test
    void everyPropertyOfTheCodeIsInTheConfigurationTable() {
        Set<String> documented = documented().stream().map(Documented::name).collect(Collectors.toSet());

        List<String> missing = properties.keySet().stream()
                .filter(property -> documented.stream().noneMatch(name -> name.equals(property)
                        || name.startsWith(property + "[") || name.startsWith(property + ".")))
                .toList();

        assertThat(missing).as("properties of the code missing from the configuration table of %s", REFERENCE)
                .isEmpty();
    }

    @Test
    void everyDefaultOfTheCodeIsTheReferencesDefault() {
        List<String> wrong = new ArrayList<>();
        for (Documented documented : documented()) {
            JsonNode property = properties.get(documented.name());
            if (property == null || property.get("defaultValue") == null || property.get("defaultValue").isNull()) {
                continue;
            }
            String expected = text(property.get("defaultValue"));
            String cell = documented.row().get(configuration.column("default"));
            List<String> values = codeSpans(cell);
            List<String> candidates = values.size() == documented.namesInRow()
                    ? List.of(values.get(documented.position()))
                    : values;
            String type = property.path("type").asString("");
            if (candidates.stream().noneMatch(value -> sameValue(type, expected, value))) {
                wrong.add(documented.name() + ": the code's default is " + expected + ", the reference says '" + cell
                        + "'");
            }
        }

        assertThat(wrong).as("defaults in the configuration table of %s that are not the code's", REFERENCE).isEmpty();
    }

    @Test
    void everyWechatAuthRowNamesAPropertyOfTheCode() {
        List<String> unknown = documented().stream()
                .map(Documented::name)
                .filter(name -> !isPropertyOfTheCode(name))
                .toList();

        assertThat(unknown).as("wechat.auth.* names in the configuration table of %s that the code does not have "
                + "(known: %s)", REFERENCE, properties.keySet()).isEmpty();
    }

    @Test
    void everyWechatAuthEnvironmentVariableBindsToItsProperty() {
        List<String> wrong = new ArrayList<>();
        for (Documented documented : documented()) {
            List<String> variables = codeSpans(documented.row().get(configuration.column("environment variable")))
                    .stream().filter(variable -> !variable.contains("…") && !variable.contains("...")).toList();
            if (variables.size() != documented.namesInRow()) {
                continue;
            }
            String variable = variables.get(documented.position());
            if (!binds(variable, documented.name())) {
                wrong.add(variable + " does not bind to " + documented.name());
            }
        }

        assertThat(wrong).as("environment variables in the configuration table of %s", REFERENCE).isEmpty();
    }

    @Test
    void everyGatewayErrorIsInTheErrorsTableWithItsStatus() {
        int statusColumn = errors.column("status");
        int errorColumn = errors.column("error");

        List<String> missing = Arrays.stream(GatewayError.values())
                .filter(error -> errors.rows().stream().noneMatch(row -> codeSpans(row.get(errorColumn))
                        .contains(error.code()) && statuses(row.get(statusColumn)).contains(error.status().value())))
                .map(error -> error + " (" + error.status().value() + " " + error.code() + ")")
                .toList();

        assertThat(missing).as("GatewayError constants with no row of their status and code in the errors table of %s",
                REFERENCE).isEmpty();
    }

    @Test
    void everyRowOfTheErrorsTableIsAnErrorOfTheCode() {
        int situationColumn = errors.column("situation");
        int statusColumn = errors.column("status");
        int errorColumn = errors.column("error");
        Set<String> codes = Arrays.stream(GatewayError.values()).map(GatewayError::code)
                .collect(Collectors.toCollection(LinkedHashSet::new));

        List<String> wrong = new ArrayList<>();
        for (List<String> row : errors.rows()) {
            List<String> rowCodes = codeSpans(row.get(errorColumn));
            Set<Integer> rowStatuses = statuses(row.get(statusColumn));
            if (rowCodes.isEmpty() || rowStatuses.isEmpty()) {
                wrong.add("'" + row.get(situationColumn) + "' names no status or no `error` code");
            }
            for (String code : rowCodes) {
                if (!codes.contains(code)) {
                    wrong.add("'" + row.get(situationColumn) + "': `" + code + "` is no GatewayError code (known: "
                            + codes + ")");
                    continue;
                }
                for (int status : rowStatuses) {
                    boolean exists = EnumSet.allOf(GatewayError.class).stream()
                            .anyMatch(error -> error.code().equals(code) && error.status().value() == status);
                    if (!exists) {
                        wrong.add("'" + row.get(situationColumn) + "': no GatewayError answers " + status + " `" + code
                                + "`");
                    }
                }
            }
        }

        assertThat(wrong).as("rows of the errors table of %s that the code does not answer", REFERENCE).isEmpty();
    }

    @Test
    void theChecksCompareMeaningNotSpelling() {
        assertThat(sameValue(Duration.class.getName(), "7d", "P7D")).isTrue();
        assertThat(sameValue(Duration.class.getName(), "7d", "168h")).isTrue();
        assertThat(sameValue(Duration.class.getName(), "7d", "8d")).isFalse();
        assertThat(sameValue(DataSize.class.getName(), "16KB", "16384B")).isTrue();
        assertThat(sameValue(DataSize.class.getName(), "16KB", "16MB")).isFalse();
        assertThat(sameValue("java.lang.Float", "50", "50.0")).isTrue();
        assertThat(sameValue("java.lang.Long", "100000", "100,000")).isTrue();
        assertThat(sameValue("java.lang.Integer", "30", "30s")).isFalse();
        assertThat(sameValue("java.lang.Boolean", "true", "TRUE")).isTrue();
        assertThat(isPropertyOfTheCode("wechat.auth.apps[1].secret")).isTrue();
        assertThat(isPropertyOfTheCode("wechat.auth.apps[0].secrets")).isFalse();
        assertThat(isPropertyOfTheCode("wechat.auth.session.absolute-timeout")).isFalse();
        assertThat(statuses("429 with `Retry-After: 60`")).containsExactly(429);
        assertThat(statuses("405 / 415")).containsExactly(405, 415);
    }

    /** Every {@code wechat.auth.*} name in the configuration table, a {@code .name} shorthand read after the row's first. */
    private static List<Documented> documented() {
        int propertyColumn = configuration.column("property");
        List<Documented> documented = new ArrayList<>();
        for (List<String> row : configuration.rows()) {
            List<String> names = new ArrayList<>();
            String previous = null;
            for (String span : codeSpans(row.get(propertyColumn))) {
                String name = span.startsWith(".") && previous != null
                        ? previous.substring(0, previous.lastIndexOf('.')) + span
                        : span;
                names.add(name);
                previous = name;
            }
            for (int i = 0; i < names.size(); i++) {
                if (names.get(i).startsWith(PREFIX)) {
                    documented.add(new Documented(names.get(i), i, names.size(), row));
                }
            }
        }
        assertThat(documented).as("wechat.auth.* rows in the configuration table of %s", REFERENCE).isNotEmpty();
        return documented;
    }

    /**
     * Whether {@code name} is a property of the code: one of the metadata's, or an element's field of a list or map
     * property ({@code wechat.auth.apps[0].appid}: {@code appid} is a component of the list's record type).
     */
    private static boolean isPropertyOfTheCode(String name) {
        if (properties.containsKey(name)) {
            return true;
        }
        Matcher index = INDEX.matcher(name);
        if (!index.find()) {
            return false;
        }
        JsonNode list = properties.get(name.substring(0, index.start()));
        String rest = name.substring(index.end());
        if (list == null) {
            return false;
        }
        if (rest.isEmpty()) {
            return true;
        }
        if (!rest.startsWith(".") || rest.indexOf('.', 1) >= 0 || rest.contains("[")) {
            return false;
        }
        String field = camelCase(rest.substring(1));
        return elementComponents(list.path("type").asString("")).contains(field);
    }

    /** The record components of the element type of {@code java.util.List<…>}; empty when it is not a record. */
    private static Set<String> elementComponents(String type) {
        int open = type.indexOf('<');
        int close = type.lastIndexOf('>');
        if (open < 0 || close < open) {
            return Set.of();
        }
        try {
            Class<?> element = Class.forName(type.substring(open + 1, close).strip(), false,
                    ReferenceDocTest.class.getClassLoader());
            RecordComponent[] components = element.getRecordComponents();
            return components == null ? Set.of()
                    : Arrays.stream(components).map(RecordComponent::getName).collect(Collectors.toSet());
        } catch (ClassNotFoundException unknown) {
            return Set.of();
        }
    }

    private static String camelCase(String kebab) {
        StringBuilder camel = new StringBuilder(kebab.length());
        boolean upper = false;
        for (char c : kebab.toCharArray()) {
            if (c == '-') {
                upper = true;
            } else {
                camel.append(upper ? Character.toUpperCase(c) : c);
                upper = false;
            }
        }
        return camel.toString();
    }

    /** Whether Spring Boot binds the environment variable {@code variable} to {@code property}. */
    private static boolean binds(String variable, String property) {
        Iterable<ConfigurationPropertySource> sources = ConfigurationPropertySources.from(
                new SystemEnvironmentPropertySource("systemEnvironment", Map.of(variable, "value")));
        ConfigurationPropertyName name = ConfigurationPropertyName.of(property);
        for (ConfigurationPropertySource source : sources) {
            if (source.getConfigurationProperty(name) != null) {
                return true;
            }
        }
        return false;
    }

    /** Whether a documented default means the code's: the same text, number, boolean, duration or data size. */
    static boolean sameValue(String type, String expected, String documented) {
        String value = documented.strip();
        if (value.equals(expected)) {
            return true;
        }
        if (type.equals("java.lang.Boolean") || type.equals("boolean")) {
            return value.equalsIgnoreCase(expected);
        }
        if (type.equals(Duration.class.getName())) {
            Duration code = duration(expected);
            return code != null && code.equals(duration(value));
        }
        if (type.equals(DataSize.class.getName())) {
            DataSize code = dataSize(expected);
            return code != null && code.equals(dataSize(value));
        }
        BigDecimal code = number(expected);
        BigDecimal doc = number(value.replace(",", "").replace("_", ""));
        return code != null && doc != null && code.compareTo(doc) == 0;
    }

    private static Duration duration(String text) {
        try {
            return DurationStyle.detectAndParse(text);
        } catch (IllegalArgumentException notADuration) {
            return null;
        }
    }

    private static DataSize dataSize(String text) {
        try {
            return DataSize.parse(text);
        } catch (IllegalArgumentException notASize) {
            return null;
        }
    }

    private static BigDecimal number(String text) {
        try {
            return new BigDecimal(text);
        } catch (NumberFormatException notANumber) {
            return null;
        }
    }

    private static String text(JsonNode value) {
        return value.isNumber() ? value.decimalValue().stripTrailingZeros().toPlainString() : value.asString();
    }

    private static Set<Integer> statuses(String cell) {
        Set<Integer> statuses = new LinkedHashSet<>();
        Matcher status = STATUS.matcher(cell.replaceAll("`[^`]*`", ""));
        while (status.find()) {
            statuses.add(Integer.parseInt(status.group(1)));
        }
        return statuses;
    }

    private static List<String> codeSpans(String cell) {
        List<String> spans = new ArrayList<>();
        Matcher span = CODE_SPAN.matcher(cell);
        while (span.find()) {
            spans.add(span.group(1).strip());
        }
        return spans;
    }

    /** A header cell without Markdown code marks, in lower case. */
    private static String plain(String cell) {
        return cell.replace("`", "").strip().toLowerCase(Locale.ROOT);
    }

    /** The {@code wechat.auth.*} properties of every configuration metadata file on the class path, by name. */
    private static Map<String, JsonNode> wechatAuthProperties() throws IOException {
        JsonMapper json = JsonMapper.builder().build();
        Map<String, JsonNode> found = new LinkedHashMap<>();
        for (URL resource : Collections.list(ReferenceDocTest.class.getClassLoader().getResources(METADATA))) {
            try (InputStream in = resource.openStream()) {
                for (JsonNode property : json.readTree(in).path("properties")) {
                    String name = property.path("name").asString("");
                    if (name.startsWith(PREFIX)) {
                        found.put(name, property);
                    }
                }
            }
        }
        assertThat(found).as("wechat.auth.* properties in %s on the class path (written by "
                + "spring-boot-configuration-processor when the plugin compiles)", METADATA).isNotEmpty();
        return found;
    }

    private static Table only(List<Table> tables, String what, Predicate<Table> which) {
        List<Table> matching = tables.stream().filter(which).toList();
        assertThat(matching).as("the %s table of %s", what, REFERENCE).hasSize(1);
        return matching.get(0);
    }

    /** The Markdown tables of {@code markdown}: runs of lines starting with {@code |}, the second one the rule. */
    static List<Table> tables(String markdown) {
        List<Table> tables = new ArrayList<>();
        List<List<String>> run = new ArrayList<>();
        boolean fenced = false;
        for (String line : (markdown + "\n\n").lines().toList()) {
            String stripped = line.strip();
            if (stripped.startsWith("```")) {
                fenced = !fenced;
            }
            if (!fenced && stripped.startsWith("|")) {
                run.add(cells(stripped));
                continue;
            }
            if (run.size() >= 2 && run.get(1).stream().allMatch(cell -> cell.matches(":?-+:?"))) {
                tables.add(new Table(run.get(0), List.copyOf(run.subList(2, run.size()))));
            }
            run = new ArrayList<>();
        }
        return tables;
    }

    private static List<String> cells(String line) {
        String inner = line.substring(1, line.endsWith("|") && line.length() > 1 ? line.length() - 1 : line.length());
        return Arrays.stream(inner.split("(?<!\\\\)\\|", -1)).map(String::strip).toList();
    }
}
