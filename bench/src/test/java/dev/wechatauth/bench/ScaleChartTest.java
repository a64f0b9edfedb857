package dev.wechatauth.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ScaleChartTest {

    @TempDir
    Path dir;

    @Test
    void drawsAPngFromTheCsv() throws Exception {
        Path csv = dir.resolve("scale.csv");
        Files.writeString(csv, """
                sessions,cache_size,rounds,b_over_a,hit_ratio
                1000,100000,4,0.81,0.999
                100000,100000,4,0.62,0.85
                1000000,100000,4,0.31,0.08
                1000000,1100000,2,0.40,0.30
                """);
        Path png = dir.resolve("scale.png");

        ScaleChart.write(csv, png, "test chart");

        assertThat(Files.readAllBytes(png)).startsWith(0x89, 'P', 'N', 'G');
        BufferedImage image = ImageIO.read(png.toFile());
        assertThat(image.getWidth()).isEqualTo(1000);
        assertThat(image.getHeight()).isEqualTo(560);
    }

    @Test
    void readsTheColumnsByName() throws Exception {
        Path csv = dir.resolve("scale.csv");
        Files.writeString(csv, "hit_ratio,b_over_a,sessions,cache_size\n0.5,0.7,1000,100000\n");

        assertThat(ScaleChart.read(csv)).containsExactly(new ScaleChart.Point(1000, 100000, 0.7, 0.5));
    }

    @Test
    void refusesACsvWithoutTheColumns() throws Exception {
        Path csv = dir.resolve("bad.csv");
        Files.writeString(csv, "sessions,b_over_a\n1000,0.7\n");

        assertThatThrownBy(() -> ScaleChart.read(csv)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("cache_size");
    }
}
