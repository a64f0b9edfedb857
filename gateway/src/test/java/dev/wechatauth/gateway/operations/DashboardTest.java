package dev.wechatauth.gateway.operations;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.wechatauth.gateway.rig.Backends;
import dev.wechatauth.gateway.rig.OnTheSharedGateway;
import dev.wechatauth.gateway.rig.Scrape;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * ops/: every series the Grafana dashboard queries (its panels and its variables) is one a real gateway exports on
 * {@code /actuator/prometheus}, the dashboard covers the series an operator looks at first, and the Prometheus and
 * Grafana provisioning files agree with it and with the gateway's management port. The files are found from the
 * module directory, where Maven runs the tests.
 */
class DashboardTest extends OnTheSharedGateway {

    private static final Path OPS = Path.of("..", "ops");
    private static final Path DASHBOARD = OPS.resolve("grafana/dashboards/wechat-auth-gateway.json");
    private static final Pattern STRING = Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"");
    private static final Pattern MATCHERS = Pattern.compile("\\{[^}]*}");
    private static final Pattern RANGE = Pattern.compile("\\[[^]]*]");
    private static final Pattern GROUPING = Pattern.compile(
            "\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)");
    private static final Pattern NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
    private static final Pattern LABEL_VALUES = Pattern.compile("label_values\\(\\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\\s*,");
    private static final Set<String> KEYWORDS = Set.of("and", "or", "unless", "bool", "offset");

    @Test
    void everySeriesTheDashboardQueriesIsExportedByTheGateway() throws IOException {
        assertThat(gateway.get(Backends.PUBLIC).status()).as("a routed request: the pools' series exist").isEqualTo(200);
        Set<String> exported = Scrape.of(gateway).names();

        Set<String> queried = queriedSeries(dashboard());

        assertThat(queried).as("series queried by %s", DASHBOARD).isNotEmpty();
        assertThat(queried).as("series queried by %s that /actuator/prometheus does not have", DASHBOARD)
                .allSatisfy(series -> assertThat(exported).contains(series));
    }

    @Test
    void theDashboardShowsLoginsWechatTokensBreakersTheCacheAndReloads() throws IOException {
        assertThat(queriedSeries(dashboard())).contains("wechat_auth_logins_total",
                "wechat_auth_wechat_calls_seconds_bucket", "wechat_auth_session_checks_total",
                "wechat_auth_circuit_breaker_open", "wechat_auth_session_cache_total",
                "wechat_auth_routes_reloads_total");
    }

    @Test
    void seriesAreReadOutOfPromqlAsNamesNotFunctionsLabelsOrVariables() {
        assertThat(seriesIn("histogram_quantile(0.95, sum by (le, api) (rate(a_bucket{instance=~\"$instance\", "
                + "x=\"b_total\"}[$__rate_interval]))) / on (api) b_total and ignoring(le) c"))
                .containsExactlyInAnyOrder("a_bucket", "b_total", "c");
    }

    @Test
    void prometheusScrapesTheManagementPortAndGrafanaKnowsItsDatasource() throws IOException {
        Map<String, Object> prometheus = yaml(OPS.resolve("prometheus/prometheus.yml"));
        Map<String, Object> job = first(prometheus.get("scrape_configs"));
        Map<String, Object> targets = first(job.get("static_configs"));
        Map<String, Object> datasource = first(yaml(OPS.resolve("grafana/provisioning/datasources/prometheus.yml"))
                .get("datasources"));
        Map<String, Object> application = yaml(Path.of("src/main/resources/application.yml"));
        Map<String, Object> management = map(map(application.get("management")).get("server"));

        assertThat(job.get("metrics_path")).isEqualTo("/actuator/prometheus");
        assertThat(targets.get("targets")).isEqualTo(List.of("gateway:" + management.get("port")));
        assertThat(dashboard().findValues("uid")).extracting(JsonNode::asString)
                .filteredOn(uid -> !uid.equals("wechat-auth-gateway"))
                .isNotEmpty()
                .allSatisfy(uid -> assertThat(uid).isEqualTo(datasource.get("uid")));
    }

    private static JsonNode dashboard() throws IOException {
        return JsonMapper.builder().build().readTree(Files.readString(DASHBOARD, StandardCharsets.UTF_8));
    }

    /** The series named by every {@code expr} of every panel and by every variable's query. */
    private static Set<String> queriedSeries(JsonNode dashboard) {
        Set<String> series = new TreeSet<>();
        dashboard.findValues("expr").forEach(expr -> series.addAll(seriesIn(expr.asString())));
        for (JsonNode variable : dashboard.get("templating").get("list")) {
            Matcher labelValues = LABEL_VALUES.matcher(variable.get("definition").asString());
            assertThat(labelValues.find()).as("variable %s is label_values(series, label)", variable.get("name"))
                    .isTrue();
            series.add(labelValues.group(1));
        }
        return series;
    }

    /** The metric names in a PromQL expression: what is left of it less strings, matchers, ranges and groupings. */
    private static Set<String> seriesIn(String expr) {
        String bare = STRING.matcher(expr).replaceAll(" ");
        bare = MATCHERS.matcher(bare).replaceAll(" ");
        bare = RANGE.matcher(bare).replaceAll(" ");
        bare = GROUPING.matcher(bare).replaceAll(" ");
        Set<String> names = new TreeSet<>();
        Matcher name = NAME.matcher(bare);
        while (name.find()) {
            String rest = bare.substring(name.end()).stripLeading();
            if (!rest.startsWith("(") && !KEYWORDS.contains(name.group())) {
                names.add(name.group());
            }
        }
        return names;
    }

    private static Map<String, Object> yaml(Path file) throws IOException {
        return new Yaml().load(Files.readString(file, StandardCharsets.UTF_8));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object value) {
        return (Map<String, Object>) value;
    }

    private static Map<String, Object> first(Object list) {
        return map(new ArrayList<>((List<?>) list).get(0));
    }
}
