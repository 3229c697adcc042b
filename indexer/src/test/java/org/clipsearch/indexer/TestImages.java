package org.clipsearch.indexer;

import java.awt.BasicStroke;
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
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.metadata.IIOMetadataNode;
import javax.imageio.stream.ImageOutputStream;

/**
 * The test images of the indexer tests, made here rather than committed: varied drawings written through ImageIO in
 * every format it can write, a lossless WebP encoded by hand (no ImageIO plugin writes WebP), and the broken files
 * (truncated, bombs) assembled byte by byte. Everything is deterministic for a given seed.
 */
final class TestImages {
  /** The encoders module's committed fixtures (made by encoders/src/test/fixtures/make_fixtures.py). */
  static final Path FIXTURES = Path.of("../encoders/src/test/resources/fixtures").toAbsolutePath().normalize();

  static final Path FIXTURE_IMAGES = FIXTURES.resolve("images");

  private TestImages() {}

  /** A drawing that differs with {@code seed}: a gradient, a few filled shapes and lines. */
  static BufferedImage draw(int width, int height, long seed) {
    Random random = new Random(seed);
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    try {
      g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
      g.setPaint(new GradientPaint(0, 0, randomColor(random), width, height, randomColor(random)));
      g.fillRect(0, 0, width, height);
      for (int i = 0; i < 6; i++) {
        g.setColor(randomColor(random));
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

  private static Color randomColor(Random random) {
    return new Color(random.nextInt(256), random.nextInt(256), random.nextInt(256));
  }

  /**
   * {@link #draw} reduced to 8 colours (each channel either {@link #LOW} or {@link #HIGH}): survives GIF's palette
   * and the hand-made WebP losslessly, so the indexed vector can be compared with the embedding of this image.
   */
  static BufferedImage drawEightColours(int width, int height, long seed) {
    BufferedImage image = draw(width, height, seed);
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        int p = image.getRGB(x, y);
        int r = level(p >> 16);
        int g = level(p >> 8);
        int b = level(p);
        image.setRGB(x, y, (r << 16) | (g << 8) | b);
      }
    }
    return image;
  }

  static final int LOW = 40;
  static final int HIGH = 220;

  private static int level(int channel) {
    return (channel & 0xff) >= 128 ? HIGH : LOW;
  }

  /** Writes {@code image} with ImageIO's writer for {@code format}; fails the test if there is none. */
  static Path write(Path file, String format, BufferedImage image) throws IOException {
    Files.createDirectories(file.toAbsolutePath().getParent());
    if (!ImageIO.write(image, format, file.toFile())) {
      throw new IllegalStateException("no ImageIO writer for " + format + " (image type " + image.getType() + ")");
    }
    return file;
  }

  static Path jpeg(Path file, int width, int height, long seed) throws IOException {
    return write(file, "jpeg", draw(width, height, seed));
  }

  static Path png(Path file, int width, int height, long seed) throws IOException {
    return write(file, "png", draw(width, height, seed));
  }

  static byte[] jpegBytes(BufferedImage image) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    if (!ImageIO.write(image, "jpeg", out)) {
      throw new IllegalStateException("no JPEG writer");
    }
    return out.toByteArray();
  }

  static byte[] pngBytes(BufferedImage image) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    if (!ImageIO.write(image, "png", out)) {
      throw new IllegalStateException("no PNG writer");
    }
    return out.toByteArray();
  }

  /** A progressive JPEG, written through {@link ImageWriteParam#setProgressiveMode}. */
  static Path progressiveJpeg(Path file, BufferedImage image) throws IOException {
    ImageWriter writer = firstWriter("jpeg");
    try (ImageOutputStream out = ImageIO.createImageOutputStream(Files.newOutputStream(file))) {
      writer.setOutput(out);
      ImageWriteParam param = writer.getDefaultWriteParam();
      param.setProgressiveMode(ImageWriteParam.MODE_DEFAULT);
      writer.write(null, new IIOImage(image, null, null), param);
    } finally {
      writer.dispose();
    }
    return file;
  }

  /** Whether a JPEG's frame header is SOF2 (progressive): the proof that the writer honoured the request. */
  static boolean isProgressiveJpeg(byte[] jpeg) {
    for (int i = 2; i + 3 < jpeg.length; ) {
      if ((jpeg[i] & 0xff) != 0xff) {
        return false;
      }
      int marker = jpeg[i + 1] & 0xff;
      if (marker == 0xc2) {
        return true;
      }
      if (marker == 0xc0 || marker == 0xc1 || marker == 0xda) {
        return false;
      }
      int length = ((jpeg[i + 2] & 0xff) << 8) | (jpeg[i + 3] & 0xff);
      i += 2 + length;
    }
    return false;
  }

  /** An animated GIF of the given frames (the indexer takes the first). */
  static Path animatedGif(Path file, BufferedImage... frames) throws IOException {
    ImageWriter writer = firstWriter("gif");
    try (ImageOutputStream out = ImageIO.createImageOutputStream(Files.newOutputStream(file))) {
      writer.setOutput(out);
      writer.prepareWriteSequence(null);
      for (BufferedImage frame : frames) {
        ImageWriteParam param = writer.getDefaultWriteParam();
        IIOMetadata metadata =
            writer.getDefaultImageMetadata(ImageTypeSpecifier.createFromRenderedImage(frame), param);
        String formatName = metadata.getNativeMetadataFormatName();
        IIOMetadataNode root = (IIOMetadataNode) metadata.getAsTree(formatName);
        IIOMetadataNode control = new IIOMetadataNode("GraphicControlExtension");
        control.setAttribute("disposalMethod", "none");
        control.setAttribute("userInputFlag", "FALSE");
        control.setAttribute("transparentColorFlag", "FALSE");
        control.setAttribute("delayTime", "10");
        control.setAttribute("transparentColorIndex", "0");
        root.appendChild(control);
        metadata.setFromTree(formatName, root);
        writer.writeToSequence(new IIOImage(frame, null, metadata), param);
      }
      writer.endWriteSequence();
    } finally {
      writer.dispose();
    }
    return file;
  }

  private static ImageWriter firstWriter(String format) {
    Iterator<ImageWriter> writers = ImageIO.getImageWritersByFormatName(format);
    if (!writers.hasNext()) {
      throw new IllegalStateException("no ImageIO writer for " + format);
    }
    return writers.next();
  }

  // ---------------------------------------------------------------------------------------------------------------
  // WebP, lossless (VP8L), encoded by hand: neither the JDK nor TwelveMonkeys writes WebP. An image of
  // drawEightColours has two values per channel, so each of green, red and blue is a "simple" prefix code of two
  // 1-bit symbols and alpha a one-symbol code of zero bits
  // (WebP Lossless Bitstream Specification, RFC 9649, 3.7.2.1.1).

  /** The image as a lossless WebP file; every channel of every pixel must be {@link #LOW} or {@link #HIGH}. */
  static byte[] webpLossless(BufferedImage image) {
    int width = image.getWidth();
    int height = image.getHeight();
    if (width > 16384 || height > 16384) {
      throw new IllegalArgumentException("VP8L is limited to 16384 pixels a side");
    }
    BitWriter bits = new BitWriter();
    bits.write(0x2f, 8); // VP8L signature
    bits.write(width - 1, 14);
    bits.write(height - 1, 14);
    bits.write(0, 1); // alpha_is_used
    bits.write(0, 3); // version
    bits.write(0, 1); // no transform
    bits.write(0, 1); // no colour cache
    bits.write(0, 1); // no meta prefix codes: one group for the whole image
    for (int i = 0; i < 3; i++) { // green, red, blue: two symbols, LOW (code 0) and HIGH (code 1)
      bits.write(1, 1); // simple code
      bits.write(1, 1); // two symbols
      bits.write(1, 1); // first symbol in 8 bits
      bits.write(LOW, 8);
      bits.write(HIGH, 8);
    }
    bits.write(1, 1); // alpha: simple code, one symbol (255), read with zero bits
    bits.write(0, 1);
    bits.write(1, 1);
    bits.write(255, 8);
    bits.write(1, 1); // distance: simple code, one symbol (0), never used: all pixels are literals
    bits.write(0, 1);
    bits.write(0, 1);
    bits.write(0, 1);
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        int p = image.getRGB(x, y);
        bits.write(code(p >> 8), 1); // green first, then red, blue (alpha takes no bits)
        bits.write(code(p >> 16), 1);
        bits.write(code(p), 1);
      }
    }
    byte[] vp8l = bits.toByteArray();
    int padded = vp8l.length + (vp8l.length & 1);
    ByteBuffer riff = ByteBuffer.allocate(12 + 8 + padded).order(ByteOrder.LITTLE_ENDIAN);
    riff.put("RIFF".getBytes(StandardCharsets.US_ASCII));
    riff.putInt(4 + 8 + padded);
    riff.put("WEBP".getBytes(StandardCharsets.US_ASCII));
    riff.put("VP8L".getBytes(StandardCharsets.US_ASCII));
    riff.putInt(vp8l.length);
    riff.put(vp8l);
    return riff.array();
  }

  private static int code(int channel) {
    int value = channel & 0xff;
    if (value != LOW && value != HIGH) {
      throw new IllegalArgumentException("channel value " + value + " is neither LOW nor HIGH");
    }
    return value == HIGH ? 1 : 0;
  }

  /** Bits packed least-significant first, as VP8L reads them. */
  private static final class BitWriter {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private int current;
    private int used;

    void write(int value, int count) {
      for (int i = 0; i < count; i++) {
        current |= ((value >>> i) & 1) << used;
        if (++used == 8) {
          out.write(current);
          current = 0;
          used = 0;
        }
      }
    }

    byte[] toByteArray() {
      if (used > 0) {
        out.write(current);
        current = 0;
        used = 0;
      }
      return out.toByteArray();
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // EXIF, written by hand: ImageIO's JPEG writer writes none. A big-endian TIFF structure in an APP1 segment with
  // IFD0 (Make, Model, Orientation, pointers), the Exif sub-IFD (DateTimeOriginal) and the GPS IFD.

  /** What {@link #withExif} writes. */
  record Exif(String make, String model, int orientation, String dateTimeOriginal, double latitude, double longitude) {}

  /** {@code jpeg} with an EXIF APP1 segment inserted after its SOI (and JFIF APP0, if any). */
  static byte[] withExif(byte[] jpeg, Exif exif) {
    List<IfdEntry> gps = List.of(
        IfdEntry.ascii(0x0001, exif.latitude() >= 0 ? "N" : "S"),
        new IfdEntry(0x0002, 5, 3, degreesMinutesSeconds(Math.abs(exif.latitude()))),
        IfdEntry.ascii(0x0003, exif.longitude() >= 0 ? "E" : "W"),
        new IfdEntry(0x0004, 5, 3, degreesMinutesSeconds(Math.abs(exif.longitude()))));
    List<IfdEntry> sub = List.of(IfdEntry.ascii(0x9003, exif.dateTimeOriginal()));
    // IFD0's size does not depend on the pointer values, so the layout is known before they are.
    List<IfdEntry> ifd0 = ifd0(exif, 0, 0);
    int subOffset = 8 + ifdSize(ifd0);
    int gpsOffset = subOffset + ifdSize(sub);
    ifd0 = ifd0(exif, subOffset, gpsOffset);
    ByteBuffer tiff = ByteBuffer.allocate(gpsOffset + ifdSize(gps)).order(ByteOrder.BIG_ENDIAN);
    tiff.put((byte) 'M').put((byte) 'M').putShort((short) 42).putInt(8);
    writeIfd(tiff, ifd0);
    writeIfd(tiff, sub);
    writeIfd(tiff, gps);
    byte[] tiffBytes = tiff.array();

    ByteArrayOutputStream app1 = new ByteArrayOutputStream();
    app1.write(0xff);
    app1.write(0xe1);
    int length = 2 + 6 + tiffBytes.length;
    app1.write(length >> 8);
    app1.write(length);
    app1.writeBytes("Exif\0\0".getBytes(StandardCharsets.US_ASCII));
    app1.writeBytes(tiffBytes);

    int insertAt = 2;
    if ((jpeg[2] & 0xff) == 0xff && (jpeg[3] & 0xff) == 0xe0) { // after the JFIF APP0 segment
      insertAt = 4 + (((jpeg[4] & 0xff) << 8) | (jpeg[5] & 0xff));
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(jpeg, 0, insertAt);
    out.writeBytes(app1.toByteArray());
    out.write(jpeg, insertAt, jpeg.length - insertAt);
    return out.toByteArray();
  }

  private static List<IfdEntry> ifd0(Exif exif, int subOffset, int gpsOffset) {
    return List.of(
        IfdEntry.ascii(0x010f, exif.make()),
        IfdEntry.ascii(0x0110, exif.model()),
        new IfdEntry(0x0112, 3, 1, ByteBuffer.allocate(2).putShort((short) exif.orientation()).array()),
        new IfdEntry(0x8769, 4, 1, ByteBuffer.allocate(4).putInt(subOffset).array()),
        new IfdEntry(0x8825, 4, 1, ByteBuffer.allocate(4).putInt(gpsOffset).array()));
  }

  /** Three RATIONALs: whole degrees, whole minutes, seconds in 1/1000. */
  private static byte[] degreesMinutesSeconds(double value) {
    int degrees = (int) value;
    int minutes = (int) ((value - degrees) * 60);
    long milliSeconds = Math.round(((value - degrees) * 60 - minutes) * 60 * 1000);
    return ByteBuffer.allocate(24).putInt(degrees).putInt(1).putInt(minutes).putInt(1)
        .putInt((int) milliSeconds).putInt(1000).array();
  }

  /** One IFD entry; TIFF types used: 2 ASCII, 3 SHORT, 4 LONG, 5 RATIONAL. */
  private record IfdEntry(int tag, int type, int count, byte[] value) {
    static IfdEntry ascii(int tag, String text) {
      byte[] bytes = (text + "\0").getBytes(StandardCharsets.US_ASCII);
      return new IfdEntry(tag, 2, bytes.length, bytes);
    }
  }

  private static int ifdSize(List<IfdEntry> entries) {
    int size = 2 + 12 * entries.size() + 4;
    for (IfdEntry e : entries) {
      if (e.value().length > 4) {
        size += e.value().length + (e.value().length & 1);
      }
    }
    return size;
  }

  /** Writes an IFD at the buffer's position, with the values that do not fit in an entry right after it. */
  private static void writeIfd(ByteBuffer tiff, List<IfdEntry> entries) {
    int start = tiff.position();
    int data = start + 2 + 12 * entries.size() + 4;
    tiff.putShort((short) entries.size());
    for (IfdEntry e : entries) {
      tiff.putShort((short) e.tag()).putShort((short) e.type()).putInt(e.count());
      if (e.value().length <= 4) {
        byte[] inline = java.util.Arrays.copyOf(e.value(), 4); // left-justified
        tiff.put(inline);
      } else {
        tiff.putInt(data);
        tiff.put(data, e.value());
        data += e.value().length + (e.value().length & 1);
      }
    }
    tiff.putInt(0); // no next IFD
    tiff.position(data);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Broken files.

  /**
   * A decompression bomb: a small, well-formed PNG (correct CRCs, a real zlib stream) whose header claims
   * {@code width x height} 8-bit grey pixels. The IDAT holds only a few zero rows: a real decoder would allocate
   * the whole bitmap first and then run out of data (or memory).
   */
  static byte[] pngBomb(int width, int height) {
    ByteArrayOutputStream png = new ByteArrayOutputStream();
    png.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
    ByteBuffer ihdr = ByteBuffer.allocate(13);
    ihdr.putInt(width).putInt(height);
    ihdr.put((byte) 8); // bit depth
    ihdr.put((byte) 0); // colour type: greyscale
    ihdr.put((byte) 0); // compression: deflate
    ihdr.put((byte) 0); // filter method
    ihdr.put((byte) 0); // no interlace
    png.writeBytes(chunk("IHDR", ihdr.array()));
    byte[] rows = new byte[4 * (width + 1)]; // four rows, filter byte 0 and zero samples
    Deflater deflater = new Deflater(Deflater.BEST_COMPRESSION);
    deflater.setInput(rows);
    deflater.finish();
    ByteArrayOutputStream idat = new ByteArrayOutputStream();
    byte[] buffer = new byte[8192];
    while (!deflater.finished()) {
      idat.write(buffer, 0, deflater.deflate(buffer));
    }
    deflater.end();
    png.writeBytes(chunk("IDAT", idat.toByteArray()));
    png.writeBytes(chunk("IEND", new byte[0]));
    return png.toByteArray();
  }

  /** A PNG chunk: length, type, data and the CRC-32 of type and data. */
  static byte[] chunk(String type, byte[] data) {
    byte[] typeBytes = type.getBytes(StandardCharsets.US_ASCII);
    CRC32 crc = new CRC32();
    crc.update(typeBytes);
    crc.update(data);
    ByteBuffer chunk = ByteBuffer.allocate(12 + data.length);
    chunk.putInt(data.length).put(typeBytes).put(data).putInt((int) crc.getValue());
    return chunk.array();
  }

  /** The first {@code fraction} of a file's bytes: what an interrupted copy or download leaves. */
  static byte[] truncated(byte[] content, double fraction) {
    return java.util.Arrays.copyOf(content, (int) (content.length * fraction));
  }
}
