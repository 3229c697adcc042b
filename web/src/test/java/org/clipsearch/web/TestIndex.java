package org.clipsearch.web;

import java.awt.Color;
import java.awt.GradientPaint;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.clipsearch.api.ImageRecord;
import org.clipsearch.encoders.ClipModel;
import org.clipsearch.indexer.ImageIndexer;
import org.clipsearch.indexer.IndexReport;
import org.clipsearch.searcher.ImageSearcher;

/**
 * One real index for all the web tests of a JVM: {@value #IMAGES} generated drawings (JPEG and PNG, in three
 * folders, with modification times spread over 2020..2023) indexed with the encoders' tiny TorchScript fixture
 * model. Built once, deleted when the JVM exits.
 */
final class TestIndex {
  static final int IMAGES = 40;
  static final Path MODEL = Path.of("../encoders/src/test/resources/fixtures/models/tiny-torchscript");
  static final List<String> FOLDERS = List.of("beach", "city", "forest");

  private static TestIndex instance;

  final Path root;
  final Path photos;
  final Path index;
  final ClipModel model;
  final ImageSearcher searcher;
  final List<Path> files = new ArrayList<>();

  private TestIndex() throws IOException {
    root = Files.createTempDirectory("clipsearch-web-test");
    photos = root.resolve("photos");
    index = root.resolve("index");
    model = ClipModel.load(MODEL);
    for (int i = 0; i < IMAGES; i++) {
      String folder = FOLDERS.get(i % FOLDERS.size());
      boolean png = i % 4 == 3;
      Path file = photos.resolve(folder).resolve(String.format("%s-%02d.%s", folder, i, png ? "png" : "jpg"));
      Files.createDirectories(file.getParent());
      Files.write(file, encode(draw(96 + (i % 5) * 8, 80 + (i % 3) * 8, i), png ? "png" : "jpg"));
      Instant modified = Instant.parse("2020-01-15T12:00:00Z").plusSeconds(86_400L * 30 * i);
      Files.setLastModifiedTime(file, FileTime.from(modified));
      files.add(file.toAbsolutePath().normalize());
    }
    try (ImageIndexer indexer = ImageIndexer.builder().index(index).model(model).threads(2).batchSize(8).build()) {
      IndexReport report = indexer.index(List.of(photos));
      if (report.hasFailures() || report.added() != IMAGES) {
        throw new IllegalStateException("test index not built as expected: " + report);
      }
    }
    searcher = ImageSearcher.open(index, model);
    Runtime.getRuntime().addShutdownHook(new Thread(this::cleanUp));
  }

  static synchronized TestIndex get() {
    if (instance == null) {
      try {
        instance = new TestIndex();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return instance;
  }

  String id(int i) {
    return ImageRecord.idOf(files.get(i).toString());
  }

  /** A server over the shared index; the test closes it. */
  WebServer server(WebServerConfig.Builder builder) throws IOException {
    return WebServer.start(builder.searcher(searcher).port(0).build());
  }

  WebServer server() throws IOException {
    return server(WebServerConfig.builder());
  }

  static BufferedImage draw(int width, int height, long seed) {
    Random random = new Random(seed * 7919 + 17);
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    try {
      g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
      g.setPaint(new GradientPaint(0, 0, color(random), width, height, color(random)));
      g.fillRect(0, 0, width, height);
      for (int i = 0; i < 5; i++) {
        g.setColor(color(random));
        int w = 8 + random.nextInt(width / 2);
        int h = 8 + random.nextInt(height / 2);
        int x = random.nextInt(width);
        int y = random.nextInt(height);
        if (random.nextBoolean()) {
          g.fillOval(x - w / 2, y - h / 2, w, h);
        } else {
          g.fillRect(x - w / 2, y - h / 2, w, h);
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

  static byte[] encode(BufferedImage image, String format) {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      if (!ImageIO.write(image, format, out)) {
        throw new IllegalStateException("no ImageIO writer for " + format);
      }
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void cleanUp() {
    try {
      searcher.close();
    } catch (IOException | RuntimeException e) {
      // the JVM is exiting
    }
    try (Stream<Path> paths = Files.walk(root)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // best effort
    }
  }
}
