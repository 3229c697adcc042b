package org.clipsearch.bench;

import java.awt.Color;
import java.awt.GradientPaint;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.stream.IntStream;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import org.clipsearch.encoders.ClipModel;
import org.clipsearch.indexer.ImageIndexer;
import org.clipsearch.indexer.IndexReport;

/**
 * End-to-end indexing throughput against the encoder alone, on the same model and batch size, and peak memory.
 * Generates (once) a folder of real-size JPEG photos, 3000×2000 with smooth skies, textured ground, shapes and noise
 * and an EXIF block (camera, capture date, orientation), then indexes it into a fresh index.
 *
 * <p>Usage: IndexingBenchmark PHOTO_DIR COUNT INDEX_DIR [BATCH]
 */
public final class IndexingBenchmark {
  private IndexingBenchmark() {}

  public static void main(String[] args) throws Exception {
    Path photos = Path.of(args[0]);
    int count = Integer.parseInt(args[1]);
    Path index = Path.of(args[2]);
    int batch = args.length > 3 ? Integer.parseInt(args[3]) : 32;
    Files.createDirectories(photos);
    long genStart = System.nanoTime();
    IntStream.range(0, count).parallel().forEach(i -> {
      Path file = photos.resolve(String.format(Locale.ROOT, "photo-%05d.jpg", i));
      if (!Files.exists(file)) {
        try {
          Files.write(file, withExif(photo(new Random(i)), i));
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      }
    });
    System.err.printf(Locale.ROOT, "photos ready in %.1f s%n", (System.nanoTime() - genStart) / 1e9);
    try (ClipModel model = ClipModel.loadDefault()) {
      // The encoder alone: preprocessed tensors straight into the model, batch after batch.
      int size = 3 * model.bundle().image().preprocessing().height() * model.bundle().image().preprocessing().width();
      List<float[]> tensors = new ArrayList<>();
      Random random = new Random(1);
      for (int i = 0; i < batch; i++) {
        float[] t = new float[size];
        for (int j = 0; j < size; j++) {
          t[j] = (float) random.nextGaussian();
        }
        tensors.add(t);
      }
      for (int i = 0; i < 20; i++) {
        model.imageEncoder().encodePreprocessed(tensors);
      }
      long start = System.nanoTime();
      int encoded = 0;
      while (System.nanoTime() - start < 8_000_000_000L) {
        model.imageEncoder().encodePreprocessed(tensors);
        encoded += batch;
      }
      double encoderOnly = encoded / ((System.nanoTime() - start) / 1e9);

      deleteRecursively(index);
      int threads = Runtime.getRuntime().availableProcessors();
      long t0 = System.nanoTime();
      IndexReport report;
      try (ImageIndexer indexer = ImageIndexer.builder().index(index).model(model).threads(threads)
          .batchSize(batch).build()) {
        report = indexer.index(List.of(photos));
      }
      double seconds = (System.nanoTime() - t0) / 1e9;
      double endToEnd = report.embedded() / seconds;
      System.out.printf(Locale.ROOT,
          "{\"bench\":\"indexing\",\"model\":\"%s\",\"photos\":%d,\"size\":\"3000x2000\",\"batch\":%d,\"threads\":%d,"
              + "\"encoder_only_images_per_s\":%.1f,\"end_to_end_images_per_s\":%.1f,\"ratio\":%.3f,"
              + "\"failed\":%d,\"seconds\":%.1f,\"peak_rss_mb\":%d,\"max_heap_mb\":%d}%n",
          model.name(), report.found(), batch, threads, encoderOnly, endToEnd, endToEnd / encoderOnly,
          report.failures().size(), seconds, peakRssMb(), Runtime.getRuntime().maxMemory() >> 20);
    }
  }

  /** A plausible outdoor photo: sky gradient, horizon, textured ground, a few objects, sensor noise. */
  static BufferedImage photo(Random r) {
    int w = 3000;
    int h = 2000;
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    int horizon = 700 + r.nextInt(600);
    g.setPaint(new GradientPaint(0, 0, new Color(40 + r.nextInt(60), 90 + r.nextInt(80), 180 + r.nextInt(70)),
        0, horizon, new Color(200 + r.nextInt(55), 200 + r.nextInt(55), 230 + r.nextInt(25))));
    g.fillRect(0, 0, w, horizon);
    g.setPaint(new GradientPaint(0, horizon, new Color(60 + r.nextInt(80), 90 + r.nextInt(80), 30 + r.nextInt(50)),
        0, h, new Color(30 + r.nextInt(40), 50 + r.nextInt(40), 20 + r.nextInt(30))));
    g.fillRect(0, horizon, w, h - horizon);
    for (int i = 0; i < 40 + r.nextInt(40); i++) {
      g.setColor(new Color(r.nextInt(256), r.nextInt(256), r.nextInt(256), 120 + r.nextInt(135)));
      int x = r.nextInt(w);
      int y = horizon - 200 + r.nextInt(h - horizon + 200);
      int s = 30 + r.nextInt(400);
      if (r.nextBoolean()) {
        g.fillOval(x, y, s, (int) (s * (0.5 + r.nextDouble())));
      } else {
        g.fillRect(x, y, s, (int) (s * (0.5 + r.nextDouble())));
      }
    }
    g.dispose();
    int[] row = new int[w];
    for (int y = 0; y < h; y++) {
      img.getRGB(0, y, w, 1, row, 0, w);
      for (int x = 0; x < w; x++) {
        int n = r.nextInt(17) - 8;
        int p = row[x];
        row[x] = (clamp(((p >> 16) & 255) + n) << 16) | (clamp(((p >> 8) & 255) + n) << 8) | clamp((p & 255) + n);
      }
      img.setRGB(0, y, w, 1, row, 0, w);
    }
    return img;
  }

  private static int clamp(int v) {
    return Math.max(0, Math.min(255, v));
  }

  /** JPEG bytes (quality 0.9) with an EXIF APP1 segment: Make, Model, Orientation 1, DateTimeOriginal. */
  static byte[] withExif(BufferedImage img, int i) throws IOException {
    ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
    ByteArrayOutputStream jpeg = new ByteArrayOutputStream();
    try (MemoryCacheImageOutputStream out = new MemoryCacheImageOutputStream(jpeg)) {
      writer.setOutput(out);
      ImageWriteParam p = writer.getDefaultWriteParam();
      p.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
      p.setCompressionQuality(0.9f);
      writer.write(null, new IIOImage(img, null, null), p);
    } finally {
      writer.dispose();
    }
    byte[] tiff = tiff(String.format(Locale.ROOT, "2023:%02d:%02d 12:%02d:00", 1 + i % 12, 1 + i % 28, i % 60));
    byte[] body = jpeg.toByteArray();
    ByteArrayOutputStream out = new ByteArrayOutputStream(body.length + tiff.length + 16);
    out.write(body, 0, 2); // SOI
    int length = 2 + 6 + tiff.length;
    out.write(new byte[] {(byte) 0xFF, (byte) 0xE1, (byte) (length >> 8), (byte) length});
    out.write("Exif\0\0".getBytes(StandardCharsets.ISO_8859_1));
    out.write(tiff);
    out.write(body, 2, body.length - 2);
    return out.toByteArray();
  }

  /**
   * A little-endian TIFF block: IFD0 (Make, Model, Orientation, ExifIFD pointer) and an Exif IFD (DateTimeOriginal).
   */
  static byte[] tiff(String date) {
    byte[] make = "BenchCam\0".getBytes(StandardCharsets.ISO_8859_1);
    byte[] model = "Model 3000\0".getBytes(StandardCharsets.ISO_8859_1);
    byte[] when = (date + "\0").getBytes(StandardCharsets.ISO_8859_1);
    int ifd0 = 8;
    int ifd0Size = 2 + 4 * 12 + 4;
    int exifIfd = ifd0 + ifd0Size;
    int exifSize = 2 + 12 + 4;
    int data = exifIfd + exifSize;
    ByteBuffer b = ByteBuffer.allocate(data + make.length + model.length + when.length).order(ByteOrder.LITTLE_ENDIAN);
    b.put((byte) 'I').put((byte) 'I').putShort((short) 42).putInt(ifd0);
    b.putShort((short) 4);
    b.putShort((short) 0x010F).putShort((short) 2).putInt(make.length).putInt(data);
    b.putShort((short) 0x0110).putShort((short) 2).putInt(model.length).putInt(data + make.length);
    b.putShort((short) 0x0112).putShort((short) 3).putInt(1).putShort((short) 1).putShort((short) 0);
    b.putShort((short) 0x8769).putShort((short) 4).putInt(1).putInt(exifIfd);
    b.putInt(0);
    b.putShort((short) 1);
    b.putShort((short) 0x9003).putShort((short) 2).putInt(when.length).putInt(data + make.length + model.length);
    b.putInt(0);
    b.put(make).put(model).put(when);
    return b.array();
  }

  static long peakRssMb() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmHWM:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
        }
      }
    } catch (IOException e) {
      // not Linux: unknown
    }
    return -1;
  }

  static void deleteRecursively(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (var paths = Files.walk(dir)) {
      for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
