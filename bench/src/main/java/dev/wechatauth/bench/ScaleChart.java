package dev.wechatauth.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.knowm.xchart.AnnotationLine;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler.LegendPosition;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Draws {@code bench/scale}'s chart: b/a (the required route's requests/s over the public route's) and the session
 * cache's hit ratio against the number of live sessions, on a logarithmic axis, one pair of lines per
 * {@code session.cache-size}, with a vertical line at each cache size.
 *
 * <pre>
 * java -cp … dev.wechatauth.bench.ScaleChart --in scale.csv --out scale.png [--title TEXT]
 * </pre>
 * The CSV has a header line naming at least {@code sessions}, {@code cache_size}, {@code b_over_a} and
 * {@code hit_ratio}, then one line per point.
 */
public final class ScaleChart {

    /** One measured point. */
    record Point(long sessions, long cacheSize, double bOverA, double hitRatio) {
    }

    private ScaleChart() {
    }

    static List<Point> read(Path csv) throws IOException {
        List<String> lines = Files.readAllLines(csv);
        if (lines.isEmpty()) {
            throw new IllegalArgumentException(csv + " is empty");
        }
        List<String> header = Arrays.asList(lines.get(0).split(",", -1));
        int sessions = column(header, "sessions");
        int cacheSize = column(header, "cache_size");
        int bOverA = column(header, "b_over_a");
        int hitRatio = column(header, "hit_ratio");
        List<Point> points = new ArrayList<>();
        for (String line : lines.subList(1, lines.size())) {
            if (line.isBlank()) {
                continue;
            }
            String[] cells = line.split(",", -1);
            points.add(new Point(Long.parseLong(cells[sessions].trim()), Long.parseLong(cells[cacheSize].trim()),
                    Double.parseDouble(cells[bOverA]), Double.parseDouble(cells[hitRatio])));
        }
        if (points.isEmpty()) {
            throw new IllegalArgumentException(csv + " holds no point");
        }
        return points;
    }

    private static int column(List<String> header, String name) {
        int index = header.indexOf(name);
        if (index < 0) {
            throw new IllegalArgumentException("the CSV has no column " + name + ": " + header);
        }
        return index;
    }

    static XYChart chart(List<Point> points, String title) {
        XYChart chart = new XYChartBuilder()
                .width(1000)
                .height(560)
                .title(title)
                .xAxisTitle("live sessions, each request on a random one (log scale)")
                .yAxisTitle("ratio")
                .build();
        chart.getStyler().setLegendPosition(LegendPosition.InsideSW);
        chart.getStyler().setXAxisLogarithmic(true);
        chart.getStyler().setYAxisMin(0.0);
        chart.getStyler().setYAxisMax(1.05);
        chart.getStyler().setXAxisDecimalPattern("#,##0");
        chart.getStyler().setYAxisDecimalPattern("0.00");
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        chart.getStyler().setAnnotationLineColor(Color.GRAY);
        chart.getStyler().setAnnotationLineStroke(new BasicStroke(1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER,
                10f, new float[] { 6f, 4f }, 0f));

        Map<Long, List<Point>> byCacheSize = new LinkedHashMap<>();
        points.forEach(point -> byCacheSize.computeIfAbsent(point.cacheSize(), size -> new ArrayList<>()).add(point));
        Color[] colors = { new Color(0x4C72B0), new Color(0xDD8452), new Color(0x55A868), new Color(0xC44E52) };
        int next = 0;
        for (Map.Entry<Long, List<Point>> group : byCacheSize.entrySet()) {
            List<Point> sorted = group.getValue().stream()
                    .sorted((x, y) -> Long.compare(x.sessions(), y.sessions())).toList();
            List<Double> x = sorted.stream().map(point -> (double) point.sessions()).toList();
            String size = String.format("%,d", group.getKey());
            Color color = colors[next++ % colors.length];
            XYSeries ratio = chart.addSeries("b/a, cache-size " + size, x,
                    sorted.stream().map(Point::bOverA).toList());
            ratio.setLineColor(color);
            ratio.setMarkerColor(color);
            ratio.setMarker(SeriesMarkers.CIRCLE);
            XYSeries hits = chart.addSeries("cache hit ratio, cache-size " + size, x,
                    sorted.stream().map(Point::hitRatio).toList());
            hits.setLineColor(color);
            hits.setMarkerColor(color);
            hits.setMarker(SeriesMarkers.DIAMOND);
            hits.setLineStyle(new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f,
                    new float[] { 3f, 3f }, 0f));
            chart.addAnnotation(new AnnotationLine(group.getKey(), true, false));
        }
        return chart;
    }

    /** Reads the CSV and writes the PNG. */
    public static void write(Path csv, Path png, String title) throws IOException {
        ChartCommand.savePng(chart(read(csv), title), png);
    }

    public static void main(String[] args) throws IOException {
        ChartCommand.run(args, "ScaleChart --in scale.csv --out scale.png [--title TEXT]", "wechat-auth-gateway: the required route as live sessions grow", ScaleChart::write);
    }
}
