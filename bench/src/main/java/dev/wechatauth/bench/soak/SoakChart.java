package dev.wechatauth.bench.soak;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import javax.imageio.ImageIO;

import dev.wechatauth.bench.soak.MemorySampler.Sample;
import org.knowm.xchart.AnnotationLine;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler.LegendPosition;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Draws the soak's timeline as one PNG of two charts over the same seconds: above, the traffic's answers as expected
 * per second on each gateway and its errors per second (the checks after the traffic left out); below, each gateway's heap in use, heap after a full GC and RSS. Dashed vertical
 * lines mark where each fault began and where its window ended.
 */
final class SoakChart {

    private static final int WIDTH = 1100;
    private static final int HEIGHT = 420;

    private SoakChart() {
    }

    static void write(SoakReport report, Path png) throws IOException {
        System.setProperty("java.awt.headless", "true");
        XYChart traffic = traffic(report);
        XYChart memory = memory(report);
        BufferedImage image = new BufferedImage(WIDTH, HEIGHT * 2, BufferedImage.TYPE_INT_RGB);
        Graphics2D graphics = image.createGraphics();
        graphics.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        traffic.paint(graphics, WIDTH, HEIGHT);
        graphics.translate(0, HEIGHT);
        memory.paint(graphics, WIDTH, HEIGHT);
        graphics.dispose();
        ImageIO.write(image, "png", png.toFile());
    }

    private static XYChart traffic(SoakReport report) {
        XYChart chart = chart(report.title(), "requests per second");
        int seconds = 1 + (int) Math.ceil(report.calls().stream().mapToDouble(call -> report.seconds(call.end()))
                .max().orElse(0));
        double[][] perSecond = new double[3][Math.max(1, seconds)];
        for (Call call : report.calls()) {
            int second = (int) Math.floor(report.seconds(call.start()));
            if (second < 0 || second >= seconds || call.kind() == Call.Kind.CHECK) {
                continue;
            }
            perSecond[call.failed() ? 2 : call.instance()][second]++;
        }
        double[] x = new double[Math.max(1, seconds)];
        for (int i = 0; i < x.length; i++) {
            x[i] = i;
        }
        line(chart, "A: answered as expected", x, perSecond[0], new Color(0x4C72B0));
        line(chart, "B: answered as expected", x, perSecond[1], new Color(0x55A868));
        line(chart, "errors (both)", x, perSecond[2], new Color(0xC44E52));
        faultLines(chart, report);
        return chart;
    }

    private static XYChart memory(SoakReport report) {
        XYChart chart = chart("gateway memory (-Xmx256m)", "MB");
        Color[] colors = {new Color(0x4C72B0), new Color(0x55A868)};
        for (int instance = 0; instance < 2; instance++) {
            int which = instance;
            String name = Call.instanceName(instance);
            List<Sample> mine = report.samples().stream().filter(sample -> sample.instance() == which).toList();
            series(chart, name + ": heap in use", mine.stream().filter(s -> !s.afterFullGc() && s.heapUsed() > 0)
                    .toList(), report, false, colors[instance], false);
            series(chart, name + ": heap after full GC", mine.stream().filter(s -> s.afterFullGc() && s.heapUsed() > 0)
                    .toList(), report, false, colors[instance].darker(), true);
            series(chart, name + ": RSS", mine.stream().filter(s -> s.rss() > 0).toList(), report, true,
                    colors[instance].brighter(), false);
        }
        faultLines(chart, report);
        return chart;
    }

    private static XYChart chart(String title, String yTitle) {
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title)
                .xAxisTitle("seconds from the start of the traffic").yAxisTitle(yTitle).build();
        chart.getStyler().setLegendPosition(LegendPosition.OutsideS);
        chart.getStyler().setLegendLayout(org.knowm.xchart.style.Styler.LegendLayout.Horizontal);
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        chart.getStyler().setMarkerSize(5);
        chart.getStyler().setYAxisMin(0.0);
        return chart;
    }

    private static void line(XYChart chart, String name, double[] x, double[] y, Color color) {
        XYSeries series = chart.addSeries(name, x, y);
        series.setMarker(SeriesMarkers.NONE);
        series.setLineColor(color);
        series.setLineStyle(new BasicStroke(1.2f));
    }

    private static void series(XYChart chart, String name, List<Sample> samples, SoakReport report, boolean rss,
            Color color, boolean markersOnly) {
        if (samples.isEmpty()) {
            return;
        }
        List<Double> x = new ArrayList<>();
        List<Double> y = new ArrayList<>();
        for (Sample sample : samples) {
            x.add(report.seconds(sample.at()));
            y.add((rss ? sample.rss() : sample.heapUsed()) / 1048576.0);
        }
        XYSeries series = chart.addSeries(name, x, y);
        series.setLineColor(color);
        series.setMarkerColor(color);
        if (markersOnly) {
            series.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
            series.setMarker(SeriesMarkers.DIAMOND);
        } else {
            series.setMarker(SeriesMarkers.NONE);
            series.setLineStyle(rss ? new BasicStroke(1.2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f,
                    new float[] {6f, 4f}, 0f) : new BasicStroke(1.2f));
        }
    }

    private static void faultLines(XYChart chart, SoakReport report) {
        chart.getStyler().setAnnotationLineColor(new Color(0x8172B2));
        chart.getStyler().setAnnotationLineStroke(new BasicStroke(1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f,
                new float[] {3f, 3f}, 0f));
        for (FaultWindow fault : report.faults()) {
            chart.addAnnotation(new AnnotationLine(report.seconds(fault.start()), true, false));
            chart.addAnnotation(new AnnotationLine(report.seconds(fault.end()), true, false));
        }
    }
}
