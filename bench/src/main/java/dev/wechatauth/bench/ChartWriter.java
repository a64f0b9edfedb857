package dev.wechatauth.bench;

import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.style.Styler.LegendPosition;

/**
 * Draws the benchmark's latency chart: p50, p99 and p99.9 of each variant as grouped bars on a logarithmic axis (a
 * public route answers in about a millisecond, a login in over a hundred), as a PNG.
 *
 * <pre>
 * java -cp … dev.wechatauth.bench.ChartWriter --in latency.csv --out latency.png [--title TEXT]
 * </pre>
 * The CSV has a header line and then one line per variant: {@code variant,label,p50_ms,p99_ms,p999_ms}; the label
 * holds no comma.
 */
public final class ChartWriter {

    /** One variant's latency percentiles, in milliseconds. */
    record Row(String variant, String label, double p50, double p99, double p999) {
    }

    private ChartWriter() {
    }

    static List<Row> read(Path csv) throws IOException {
        List<Row> rows = new ArrayList<>();
        List<String> lines = Files.readAllLines(csv);
        for (String line : lines.subList(Math.min(1, lines.size()), lines.size())) {
            if (line.isBlank()) {
                continue;
            }
            String[] cells = line.split(",", -1);
            if (cells.length != 5) {
                throw new IllegalArgumentException("expected variant,label,p50_ms,p99_ms,p999_ms: " + line);
            }
            rows.add(new Row(cells[0].trim(), cells[1].trim(), Double.parseDouble(cells[2]),
                    Double.parseDouble(cells[3]), Double.parseDouble(cells[4])));
        }
        if (rows.isEmpty()) {
            throw new IllegalArgumentException(csv + " holds no variant");
        }
        return rows;
    }

    static CategoryChart chart(List<Row> rows, String title) {
        CategoryChart chart = new CategoryChartBuilder()
                .width(1000)
                .height(560)
                .title(title)
                .xAxisTitle("variant")
                .yAxisTitle("latency (ms, log scale)")
                .build();
        chart.getStyler().setLegendPosition(LegendPosition.InsideNW);
        chart.getStyler().setYAxisLogarithmic(true);
        chart.getStyler().setLabelsVisible(true);
        chart.getStyler().setLabelsRotation(0);
        chart.getStyler().setLabelsFontColorAutomaticEnabled(false);
        chart.getStyler().setLabelsFontColor(Color.DARK_GRAY);
        chart.getStyler().setYAxisDecimalPattern("#,##0.###");
        // bars start at the axis minimum, which XChart puts at 0 unless told: whole decades around the data
        double smallest = rows.stream().mapToDouble(row -> atLeast(row.p50())).min().orElse(1);
        double largest = rows.stream().mapToDouble(row -> Math.max(atLeast(row.p99()), atLeast(row.p999())))
                .max().orElse(1);
        chart.getStyler().setYAxisMin(Math.pow(10, Math.floor(Math.log10(smallest))));
        chart.getStyler().setYAxisMax(Math.pow(10, Math.ceil(Math.log10(largest * 1.5))));
        chart.getStyler().setSeriesColors(new Color[] {
                new Color(0x4C72B0), new Color(0xDD8452), new Color(0xC44E52) });
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        chart.getStyler().setPlotGridVerticalLinesVisible(false);

        List<String> names = rows.stream().map(row -> row.variant() + ": " + row.label()).toList();
        // a logarithmic axis cannot show 0: a percentile below a microsecond is drawn at one
        chart.addSeries("p50", names, rows.stream().map(row -> atLeast(row.p50())).toList());
        chart.addSeries("p99", names, rows.stream().map(row -> atLeast(row.p99())).toList());
        chart.addSeries("p99.9", names, rows.stream().map(row -> atLeast(row.p999())).toList());
        return chart;
    }

    private static double atLeast(double ms) {
        return Math.max(ms, 0.001);
    }

    /** Reads the CSV and writes the PNG. */
    public static void write(Path csv, Path png, String title) throws IOException {
        ChartCommand.savePng(chart(read(csv), title), png);
    }

    public static void main(String[] args) throws IOException {
        ChartCommand.run(args, "ChartWriter --in latency.csv --out latency.png [--title TEXT]", "wechat-auth-gateway latency", ChartWriter::write);
    }
}
