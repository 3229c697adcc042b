package org.clipsearch.bench;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Random;
import javax.imageio.ImageIO;
import org.clipsearch.api.ImageRecord;

/**
 * Plausible image records without images: clustered unit vectors (as {@link VectorSearchBenchmark} draws them: many
 * topics, images scattered around each), photo-like paths in dated album folders, sizes, dimensions, capture dates,
 * cameras, some GPS positions, and a tiny shared JPEG thumbnail. Deterministic for a given seed and record number.
 */
final class SyntheticImages {
  private static final String[] PLACES = {"lisbon", "alps", "beach house", "berlin", "garden", "kyoto", "wedding",
      "birthday", "hiking", "christmas", "paris", "camping", "zoo", "road trip", "snow", "harbour", "museum",
      "school", "picnic", "concert", "new york", "island", "farm", "lake", "rome", "desert", "forest", "city walk"};
  private static final String[][] CAMERAS = {{"Apple", "iPhone 13"}, {"Apple", "iPhone 15 Pro"},
      {"Canon", "Canon EOS 80D"}, {"NIKON CORPORATION", "NIKON D7500"}, {"SONY", "ILCE-7M3"},
      {"samsung", "SM-G991B"}, {"Google", "Pixel 7"}, {"FUJIFILM", "X-T30"}};
  private static final int[][] SIZES = {{4032, 3024}, {3024, 4032}, {4000, 3000}, {6000, 4000}, {1920, 1080},
      {3264, 2448}, {2448, 3264}, {5472, 3648}};
  private static final int THUMBNAILS = 16;
  private static final int PER_ALBUM = 250;

  private final float[][] centres;
  private final byte[][] thumbnails;

  /** Topics for a collection of about {@code images} images of {@code dim} dimensions (one per 100 images). */
  SyntheticImages(int dim, int images, long seed) {
    Random random = new Random(seed);
    int clusters = Math.max(10, images / 100);
    centres = new float[clusters][];
    for (int c = 0; c < clusters; c++) {
      centres[c] = VectorSearchBenchmark.gaussian(random, dim, 1f);
    }
    thumbnails = new byte[THUMBNAILS][];
    for (int i = 0; i < THUMBNAILS; i++) {
      thumbnails[i] = thumbnail(new Random(seed + i));
    }
  }

  /** The thumbnails' size in bytes, on average. */
  int thumbnailBytes() {
    long sum = 0;
    for (byte[] t : thumbnails) {
      sum += t.length;
    }
    return (int) (sum / thumbnails.length);
  }

  /** Record {@code number} under {@code root} (an absolute folder), the same every time. */
  ImageRecord record(String root, long number) {
    Random r = new Random(number * 0x9E3779B97F4A7C15L + root.hashCode());
    long album = number / PER_ALBUM;
    int year = 2008 + (int) (album % 17);
    int month = 1 + (int) ((album / 17) % 12);
    String folder = String.format(Locale.ROOT, "%s/%d/%d-%02d %s", root, year, year, month,
        PLACES[(int) (album % PLACES.length)]);
    boolean png = r.nextInt(100) < 6;
    String path = String.format(Locale.ROOT, "%s/IMG_%07d.%s", folder, number, png ? "png" : "jpg");
    Instant taken = LocalDate.of(year, month, 1 + r.nextInt(28)).atStartOfDay(ZoneOffset.UTC).toInstant()
        .plusSeconds(6 * 3600 + r.nextInt(15 * 3600));
    int[] size = SIZES[r.nextInt(SIZES.length)];
    ImageRecord.Exif exif = ImageRecord.Exif.NONE;
    if (!png) {
      String[] camera = CAMERAS[(int) ((album * 7 + r.nextInt(2)) % CAMERAS.length)];
      boolean gps = r.nextInt(100) < 30;
      exif = new ImageRecord.Exif(taken, camera[0], camera[1], gps ? -60 + 120 * r.nextDouble() : null,
          gps ? -180 + 360 * r.nextDouble() : null, 1);
    }
    long bytes = png ? 2_000_000 + r.nextInt(8_000_000) : 800_000 + r.nextInt(5_500_000);
    float[] vector = VectorSearchBenchmark.around(centres[r.nextInt(centres.length)], r, 0.6f);
    return new ImageRecord(path, sha256(path), bytes, taken.plusSeconds(r.nextInt(86_400 * 30)), size[0], size[1],
        png ? "png" : "jpeg", exif, thumbnails[(int) (number % THUMBNAILS)], vector);
  }

  private static String sha256(String text) {
    try {
      return HexFormat.of().formatHex(
          MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A 32×24 JPEG: two colour bands and a blob. */
  private static byte[] thumbnail(Random r) {
    BufferedImage img = new BufferedImage(32, 24, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    g.setColor(new Color(r.nextInt(256), r.nextInt(256), r.nextInt(256)));
    g.fillRect(0, 0, 32, 12);
    g.setColor(new Color(r.nextInt(256), r.nextInt(256), r.nextInt(256)));
    g.fillRect(0, 12, 32, 12);
    g.setColor(new Color(r.nextInt(256), r.nextInt(256), r.nextInt(256)));
    g.fillOval(r.nextInt(20), r.nextInt(12), 12, 12);
    g.dispose();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      ImageIO.write(img, "jpeg", out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }
}
