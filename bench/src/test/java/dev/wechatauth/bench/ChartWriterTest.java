package dev.wechatauth.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChartWriterTest {

    @TempDir
    Path dir;

    @Test
    void drawsAPngFromTheCsv() throws Exception {
        Path csv = dir.resolve("latency.csv");
        Files.writeString(csv, """
                variant,label,p50_ms,p99_ms,p999_ms
                a,public route,0.812,2.400,6.100
                b,required route,1.100,3.200,9.800
                c,nginx direct,0.090,0.400,1.200
                d,login,104.000,180.000,240.000
                """);
        Path png = dir.resolve("latency.png");

        ChartWriter.write(csv, png, "test chart");

        byte[] bytes = Files.readAllBytes(png);
        assertThat(bytes).startsWith(0x89, 'P', 'N', 'G');
        BufferedImage image = ImageIO.read(png.toFile());
        assertThat(image.getWidth()).isEqualTo(1000);
        assertThat(image.getHeight()).isEqualTo(560);
    }

    @Test
    void refusesACsvWithoutVariants() throws Exception {
        Path csv = dir.resolve("empty.csv");
        Files.writeString(csv, "variant,label,p50_ms,p99_ms,p999_ms\n");

        assertThatThrownBy(() -> ChartWriter.read(csv)).isInstanceOf(IllegalArgumentException.class);
    }
}
