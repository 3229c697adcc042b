package org.clipsearch.cluster;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.GradientPaint;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;

/**
 * The test collection, made here: drawings (gradients, shapes, lines; distinct for every seed) in three named folders,
 * as JPEG and PNG, 48 to 120 pixels on a side, with modification times spread over six years. Deterministic.
 */
final class TestPhotos {
  static final Path MODEL =
      Path.of("../encoders/src/test/resources/fixtures/models/tiny-torchscript").toAbsolutePath().normalize();
  static final List<String> FOLDERS = List.of("beach-2019", "city/night_walk", "forest.trip");
  static final Instant BASE_TIME = Instant.parse("2016-01-01T00:00:00Z");

  private TestPhotos() {}

  /** Writes {@code count} images under {@code root}; returns their paths in order. */
  static List<Path> writeAll(Path root, int count) throws IOException {
    List<Path> paths = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      paths.add(write(root, i));
    }
    return paths;
  }

  /** Image number {@code i}: its folder, name, format, size and modification time all follow from {@code i}. */
  static Path write(Path root, int i) throws IOException {
    String folder = FOLDERS.get(i % FOLDERS.size());
    String format = i % 4 == 3 ? "png" : "jpeg";
    String name =
        (i % 5 == 0 ? "sunset-" : "img_") + String.format("%03d", i) + (format.equals("png") ? ".png" : ".jpg");
    Path file = root.resolve(folder).resolve(name);
    Files.createDirectories(file.getParent());
    int width = 48 + (i * 37) % 73;
    int height = 48 + (i * 53) % 61;
    if (!ImageIO.write(draw(width, height, 7000 + i), format, file.toFile())) {
      throw new IllegalStateException("no ImageIO writer for " + format);
    }
    Files.setLastModifiedTime(file, FileTime.from(BASE_TIME.plus(i * 37L, ChronoUnit.DAYS)));
    return file;
  }

  static BufferedImage draw(int width, int height, long seed) {
    Random random = new Random(seed);
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    try {
      g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
      g.setPaint(new GradientPaint(0, 0, color(random), width, height, color(random)));
      g.fillRect(0, 0, width, height);
      for (int i = 0; i < 6; i++) {
        g.setColor(color(random));
        int w = 1 + random.nextInt(Math.max(1, width / 2));
        int h = 1 + random.nextInt(Math.max(1, height / 2));
        int x = random.nextInt(width);
        int y = random.nextInt(height);
        switch (random.nextInt(3)) {
          case 0 -> g.fillRect(x - w / 2, y - h / 2, w, h);
          case 1 -> g.fillOval(x - w / 2, y - h / 2, w, h);
          default -> {
            g.setStroke(new BasicStroke(1 + random.nextInt(Math.max(1, Math.min(width, height) / 16))));
            g.drawLine(x, y, random.nextInt(width), random.nextInt(height));
          }
        }
      }
    } finally {
      g.dispose();
    }
    return image;
  }

  private static Color color(Random random) {
    return new Color(random.nextInt(256), random.nextInt(256), random.nextInt(256));
  }
}
