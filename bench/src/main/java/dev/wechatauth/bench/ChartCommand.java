package dev.wechatauth.bench;

import java.io.IOException;
import java.nio.file.Path;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.BitmapEncoder.BitmapFormat;
import org.knowm.xchart.internal.chartpart.Chart;

/**
 * What the bench's chart writers share: saving a chart as a PNG, and their command line,
 * {@code --in FILE.csv --out FILE.png [--title TEXT]}, run headless.
 */
final class ChartCommand {

    /** Draws the chart of a CSV file into a PNG file. */
    @FunctionalInterface
    interface Writer {
        void write(Path csv, Path png, String title) throws IOException;
    }

    private ChartCommand() {
    }

    /** Saves {@code chart} as {@code png} (XChart adds the ".png" itself, so it is given the name without it). */
    static void savePng(Chart<?, ?> chart, Path png) throws IOException {
        String name = png.toString();
        String base = name.endsWith(".png") ? name.substring(0, name.length() - 4) : name;
        BitmapEncoder.saveBitmap(chart, base, BitmapFormat.PNG);
    }

    /** Parses {@code args}, writes the chart, says where; exits 2 with {@code usage} on a wrong command line. */
    static void run(String[] args, String usage, String defaultTitle, Writer writer) throws IOException {
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
        Path in = null;
        Path out = null;
        String title = defaultTitle;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--in" -> in = Path.of(args[i + 1]);
                case "--out" -> out = Path.of(args[i + 1]);
                case "--title" -> title = args[i + 1];
                default -> in = null;
            }
        }
        if (in == null || out == null || args.length % 2 != 0) {
            System.err.println("usage: " + usage);
            System.exit(2);
        }
        writer.write(in, out, title);
        System.out.println("wrote " + out);
    }
}
