package dev.wechatauth.gateway.rig;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One answer of a gateway's {@code /actuator/prometheus} (management port), parsed: every sample with its name,
 * labels and value. Labels are matched as written {@code "name=value"}; a sample matches when it has every label
 * given (and maybe others).
 */
public final class Scrape {

    /** One line of the text format: {@code name{label="value",…} value}. */
    public record Sample(String name, Map<String, String> labels, double value) {
    }

    private final String text;
    private final List<Sample> samples;

    private Scrape(String text) {
        this.text = text;
        this.samples = parse(text);
    }

    /** What {@code gateway} shows now. */
    public static Scrape of(Gateway gateway) {
        Answer answer = gateway.management().get("/actuator/prometheus");
        assertThat(answer.status()).as("/actuator/prometheus of %s: %s", gateway, answer.abbreviated()).isEqualTo(200);
        return new Scrape(answer.body());
    }

    /** The whole answer. */
    public String text() {
        return text;
    }

    public List<Sample> samples() {
        return samples;
    }

    /** The names of every sample ({@code _bucket}, {@code _count} … included). */
    public Set<String> names() {
        Set<String> names = new LinkedHashSet<>();
        samples.forEach(sample -> names.add(sample.name()));
        return names;
    }

    /** The samples of {@code name} with these labels. */
    public List<Sample> matching(String name, String... labels) {
        Map<String, String> wanted = labels(labels);
        return samples.stream()
                .filter(sample -> sample.name().equals(name))
                .filter(sample -> sample.labels().entrySet().containsAll(wanted.entrySet()))
                .toList();
    }

    /** The value of the one sample of {@code name} with these labels; fails when there is none or several. */
    public double value(String name, String... labels) {
        List<Sample> found = matching(name, labels);
        assertThat(found).as("samples of %s %s", name, List.of(labels)).hasSize(1);
        return found.get(0).value();
    }

    /** The sum of the samples of {@code name} with these labels; 0 when there is none. */
    public double sum(String name, String... labels) {
        return matching(name, labels).stream().mapToDouble(Sample::value).sum();
    }

    private static Map<String, String> labels(String... pairs) {
        Map<String, String> labels = new LinkedHashMap<>();
        for (String pair : pairs) {
            int equals = pair.indexOf('=');
            labels.put(pair.substring(0, equals), pair.substring(equals + 1));
        }
        return labels;
    }

    private static List<Sample> parse(String text) {
        List<Sample> samples = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            samples.add(sample(line));
        }
        return samples;
    }

    private static Sample sample(String line) {
        int brace = line.indexOf('{');
        int space = line.indexOf(' ');
        Map<String, String> labels = new LinkedHashMap<>();
        String name;
        int rest;
        if (brace >= 0 && brace < space) {
            name = line.substring(0, brace);
            rest = readLabels(line, brace + 1, labels);
        } else {
            name = line.substring(0, space);
            rest = space;
        }
        String[] valueAndTime = line.substring(rest).trim().split(" ");
        return new Sample(name, labels, Double.parseDouble(valueAndTime[0]));
    }

    /** Reads {@code key="value",…}} from {@code at}, escapes included; returns the index after the closing brace. */
    private static int readLabels(String line, int at, Map<String, String> labels) {
        int i = at;
        while (line.charAt(i) != '}') {
            int equals = line.indexOf('=', i);
            String key = line.substring(i, equals);
            StringBuilder value = new StringBuilder();
            i = equals + 2;
            while (line.charAt(i) != '"') {
                char c = line.charAt(i++);
                if (c == '\\') {
                    char escaped = line.charAt(i++);
                    value.append(escaped == 'n' ? '\n' : escaped);
                } else {
                    value.append(c);
                }
            }
            labels.put(key, value.toString());
            i++;
            if (line.charAt(i) == ',') {
                i++;
            }
        }
        return i + 1;
    }
}
