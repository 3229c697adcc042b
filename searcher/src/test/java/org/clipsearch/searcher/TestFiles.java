package org.clipsearch.searcher;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.GradientPaint;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Comparator;
import java.util.Random;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.clipsearch.encoders.ClipModel;

/**
 * Real files for the searcher tests: drawings written as JPEG, PNG and BMP through ImageIO, JPEGs with an EXIF
 * camera and capture date assembled byte by byte, and the fixture models. Deterministic for a given seed.
 */
final class TestFiles {
  static final Path FIXTURE_MODELS =
      Path.of("../encoders/src/test/resources/fixtures/models").toAbsolutePath().normalize();
  static final Path TINY_TORCHSCRIPT = FIXTURE_MODELS.resolve("tiny-torchscript");
  static final Path TINY_ONNX = FIXTURE_MODELS.resolve("tiny-onnx-meanpool");

  private static ClipModel model;

  private TestFiles() {}

  /** The 16-d random-weight fixture model, loaded once per test JVM and shared by every test class. */
  static synchronized ClipModel model() {
    if (model == null) {
      model = ClipModel.load(TINY_TORCHSCRIPT);
    }
    return model;
  }

  /** A folder for test data under target/, removed when the test JVM exits. */
  static Path scratch(String prefix) throws IOException {
    Path target = Path.of("target").toAbsolutePath().normalize();
    Files.createDirectories(target);
    Path dir = Files.createTempDirectory(target, prefix);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(dir)));
    return dir;
  }

  static void deleteTree(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // best effort: target/ is cleaned by the build anyway
    }
  }

  /** A drawing that differs with {@code seed}: a gradient, filled shapes and lines. */
  static BufferedImage draw(int width, int height, long seed) {
    Random random = new Random(seed);
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    try {
      g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
      g.setPaint(new GradientPaint(0, 0, color(random), width, height, color(random)));
      g.fillRect(0, 0, width, height);
      for (int i = 0; i < 8; i++) {
        g.setColor(color(random));
        int w = 4 + random.nextInt(width / 2);
        int h = 4 + random.nextInt(height / 2);
        int x = random.nextInt(width);
        int y = random.nextInt(height);
        switch (random.nextInt(3)) {
          case 0 -> g.fillRect(x - w / 2, y - h / 2, w, h);
          case 1 -> g.fillOval(x - w / 2, y - h / 2, w, h);
          default -> {
            g.setStroke(new BasicStroke(1 + random.nextInt(6)));
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

  /** Writes {@code image} as {@code format} ("jpeg", "png", "bmp") and sets the file's modification time. */
  static Path write(Path file, String format, BufferedImage image, Instant modified) throws IOException {
    Files.createDirectories(file.getParent());
    Files.write(file, encode(format, image));
    Files.setLastModifiedTime(file, FileTime.from(modified));
    return file;
  }

  static byte[] encode(String format, BufferedImage image) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    if (!ImageIO.write(image, format, out)) {
      throw new IOException("no ImageIO writer for " + format);
    }
    return out.toByteArray();
  }

  /**
   * A JPEG of {@code image} carrying an EXIF block (inserted after the JFIF header) with the camera's make and model
   * in IFD0 and DateTimeOriginal ("yyyy:MM:dd HH:mm:ss") in the EXIF sub-IFD, as cameras write them.
   */
  static Path jpegWithExif(Path file, BufferedImage image, String make, String cameraModel, String dateTimeOriginal,
      Instant modified) throws IOException {
    byte[] jpeg = encode("jpeg", image);
    byte[] app1 = exifSegment(make, cameraModel, dateTimeOriginal);
    // SOI, then the JFIF APP0 segment (its length follows its marker), then our APP1.
    int insertAt = 2;
    if ((jpeg[2] & 0xff) == 0xff && (jpeg[3] & 0xff) == 0xe0) {
      insertAt = 4 + (((jpeg[4] & 0xff) << 8) | (jpeg[5] & 0xff));
    }
    byte[] out = new byte[jpeg.length + app1.length];
    System.arraycopy(jpeg, 0, out, 0, insertAt);
    System.arraycopy(app1, 0, out, insertAt, app1.length);
    System.arraycopy(jpeg, insertAt, out, insertAt + app1.length, jpeg.length - insertAt);
    Files.createDirectories(file.getParent());
    Files.write(file, out);
    Files.setLastModifiedTime(file, FileTime.from(modified));
    return file;
  }

  private static byte[] exifSegment(String make, String cameraModel, String dateTimeOriginal) {
    byte[] makeBytes = ascii(make);
    byte[] modelBytes = ascii(cameraModel);
    byte[] dateBytes = ascii(dateTimeOriginal);
    // TIFF, big-endian. IFD0 at 8: 3 entries (Make, Model, ExifIFD pointer) = 2 + 36 + 4 bytes.
    int ifd0 = 8;
    int subIfd = ifd0 + 2 + 3 * 12 + 4;
    int data = subIfd + 2 + 12 + 4;
    int makeAt = data;
    int modelAt = makeAt + makeBytes.length;
    int dateAt = modelAt + modelBytes.length;
    int tiffLength = dateAt + dateBytes.length;
    ByteBuffer tiff = ByteBuffer.allocate(tiffLength);
    tiff.put((byte) 'M').put((byte) 'M').putShort((short) 42).putInt(ifd0);
    tiff.putShort((short) 3);
    entry(tiff, 0x010F, 2, makeBytes.length, makeAt);
    entry(tiff, 0x0110, 2, modelBytes.length, modelAt);
    entry(tiff, 0x8769, 4, 1, subIfd);
    tiff.putInt(0);
    tiff.putShort((short) 1);
    entry(tiff, 0x9003, 2, dateBytes.length, dateAt);
    tiff.putInt(0);
    tiff.put(makeBytes).put(modelBytes).put(dateBytes);
    byte[] header = "Exif\0\0".getBytes(StandardCharsets.US_ASCII);
    int length = 2 + header.length + tiffLength;
    ByteBuffer segment = ByteBuffer.allocate(2 + length);
    segment.put((byte) 0xff).put((byte) 0xe1).putShort((short) length).put(header).put(tiff.array());
    return segment.array();
  }

  private static void entry(ByteBuffer b, int tag, int type, int count, int valueOrOffset) {
    b.putShort((short) tag).putShort((short) type).putInt(count).putInt(valueOrOffset);
  }

  private static byte[] ascii(String s) {
    byte[] text = s.getBytes(StandardCharsets.US_ASCII);
    byte[] z = new byte[text.length + 1];
    System.arraycopy(text, 0, z, 0, text.length);
    return z;
  }
}
