package org.clipsearch.indexer;

import static org.clipsearch.indexer.IncrementalIndexingTest.assertVector;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.apache.lucene.document.LatLonPoint;
import org.apache.lucene.document.LongField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.clipsearch.api.ImageFields;
import org.clipsearch.api.ImageRecord;
import org.clipsearch.encoders.DecodedImage;
import org.clipsearch.encoders.Images;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every format the indexer reads, EXIF orientation, and a large photo decoded subsampled. */
class FormatsTest {
  @TempDir Path dir;

  record Expected(int width, int height, String format, BufferedImage pixels) {}

  @Test
  void everyFormatIsIndexedWithItsSizeAndFormat() throws Exception {
    Path in = Files.createDirectories(dir.resolve("in"));
    Map<Path, Expected> expected = new LinkedHashMap<>();

    BufferedImage photo = TestImages.draw(72, 56, 1);
    expected.put(TestImages.write(in.resolve("baseline.jpg"), "jpeg", photo), new Expected(72, 56, "jpeg", null));
    Path progressive = TestImages.progressiveJpeg(in.resolve("progressive.jpeg"), TestImages.draw(56, 72, 2));
    assertTrue(TestImages.isProgressiveJpeg(Files.readAllBytes(progressive)), "the writer made a progressive JPEG");
    expected.put(progressive, new Expected(56, 72, "jpeg", null));
    expected.put(Files.copy(TestImages.FIXTURE_IMAGES.resolve("cmyk.jpg"), in.resolve("cmyk.jpg")),
        new Expected(128, 96, "jpeg", null));

    // Lossless formats: the indexed vector must be the embedding of exactly these pixels.
    BufferedImage png = TestImages.drawEightColours(60, 44, 3);
    expected.put(TestImages.write(in.resolve("lossless.png"), "png", png), new Expected(60, 44, "png", png));
    BufferedImage first = TestImages.drawEightColours(52, 40, 4);
    expected.put(TestImages.animatedGif(in.resolve("animated.gif"), first, TestImages.drawEightColours(52, 40, 5)),
        new Expected(52, 40, "gif", first));
    BufferedImage bmp = TestImages.drawEightColours(45, 33, 6); // odd width: BMP rows are padded
    expected.put(TestImages.write(in.resolve("windows.bmp"), "bmp", bmp), new Expected(45, 33, "bmp", bmp));
    BufferedImage tiff = TestImages.drawEightColours(50, 38, 7);
    expected.put(TestImages.write(in.resolve("scan.tif"), "tiff", tiff), new Expected(50, 38, "tiff", tiff));
    BufferedImage webp = TestImages.drawEightColours(66, 42, 8);
    byte[] webpBytes = TestImages.webpLossless(webp);
    assertSamePixels(webp, ImageIO.read(new ByteArrayInputStream(webpBytes)), "the hand-made WebP decodes losslessly");
    expected.put(Files.write(in.resolve("lossless.webp"), webpBytes), new Expected(66, 42, "webp", webp));
    // Upper-case extensions are images too.
    expected.put(TestImages.write(in.resolve("UPPER.PNG"), "png", png), new Expected(60, 44, "png", png));

    Path index = dir.resolve("index");
    IndexReport report = IncrementalIndexingTest.index(IncrementalIndexingTest.builder(index), in);
    assertEquals(List.of(), report.failures());
    assertEquals(expected.size(), report.added());

    IndexContents contents = IndexContents.read(index);
    assertEquals(expected.size(), contents.totalDocs());
    for (Map.Entry<Path, Expected> e : expected.entrySet()) {
      Path file = e.getKey();
      Expected want = e.getValue();
      ImageRecord record = contents.get(file);
      assertEquals(want.width(), record.width(), file + " width");
      assertEquals(want.height(), record.height(), file + " height");
      assertEquals(want.format(), record.format(), file + " format");
      float[] embedding = want.pixels() != null
          ? IndexContents.model().encodeImage(want.pixels())
          : IncrementalIndexingTest.embedding(file);
      assertVector(embedding, record.vector(), file + " vector");
      BufferedImage thumbnail = ImageIO.read(new ByteArrayInputStream(record.thumbnail()));
      assertEquals(want.width(), thumbnail.getWidth(), file + " thumbnail of a small image is full size");
      assertEquals(want.height(), thumbnail.getHeight());
    }
  }

  private static void assertSamePixels(BufferedImage expected, BufferedImage actual, String what) {
    assertNotNull(actual, what + ": no reader took it");
    assertEquals(expected.getWidth(), actual.getWidth(), what);
    assertEquals(expected.getHeight(), actual.getHeight(), what);
    for (int y = 0; y < expected.getHeight(); y++) {
      for (int x = 0; x < expected.getWidth(); x++) {
        assertEquals(expected.getRGB(x, y) & 0xffffff, actual.getRGB(x, y) & 0xffffff, what + " at " + x + "," + y);
      }
    }
  }

  @Test
  void exifOrientationIsAppliedAndRecorded() throws Exception {
    // Stored 150x100 with Orientation 6 (rotate 90 degrees clockwise to display): displayed 100x150.
    Path in = Files.createDirectories(dir.resolve("in"));
    Path rotated = Files.copy(TestImages.FIXTURE_IMAGES.resolve("exif-rotated.jpg"), in.resolve("rotated.jpg"));
    Path index = dir.resolve("index");
    IndexReport report = IncrementalIndexingTest.index(IncrementalIndexingTest.builder(index), in);
    assertEquals(List.of(), report.failures());

    ImageRecord record = IndexContents.read(index).get(rotated);
    assertEquals(100, record.width());
    assertEquals(150, record.height());
    assertEquals(6, record.exif().orientation());
    // The thumbnail is upright too: the red block of the stored top-left corner is now at the top right.
    BufferedImage thumbnail = ImageIO.read(new ByteArrayInputStream(record.thumbnail()));
    assertEquals(100, thumbnail.getWidth());
    assertEquals(150, thumbnail.getHeight());
    assertReddish(thumbnail.getRGB(100 - 20, 20), "top right");
    assertTrue(!isReddish(thumbnail.getRGB(20, 20)), "top left is not red: the image was rotated, not kept");
    assertVector(IncrementalIndexingTest.embedding(rotated), record.vector(), "vector of the upright image");
  }

  private static boolean isReddish(int rgb) {
    int r = (rgb >> 16) & 0xff;
    int g = (rgb >> 8) & 0xff;
    int b = rgb & 0xff;
    return r > 170 && g < 90 && b < 90;
  }

  private static void assertReddish(int rgb, String where) {
    assertTrue(isReddish(rgb), where + " should be red, is " + Integer.toHexString(rgb & 0xffffff));
  }

  @Test
  void aLargePhotoIsDecodedSubsampledWithASmallThumbnail() throws Exception {
    Path in = Files.createDirectories(dir.resolve("in"));
    Path large = TestImages.jpeg(in.resolve("large.jpg"), 4000, 3000, 99);
    Path index = dir.resolve("index");
    IndexReport report = IncrementalIndexingTest.index(IncrementalIndexingTest.builder(index), in);
    assertEquals(List.of(), report.failures());

    ImageRecord record = IndexContents.read(index).get(large);
    assertEquals(4000, record.width(), "the full size is recorded, not the decoded size");
    assertEquals(3000, record.height());
    assertEquals("jpeg", record.format());
    BufferedImage thumbnail = ImageIO.read(new ByteArrayInputStream(record.thumbnail()));
    assertTrue(Math.max(thumbnail.getWidth(), thumbnail.getHeight()) <= 256,
        "thumbnail " + thumbnail.getWidth() + "x" + thumbnail.getHeight());
    assertEquals(256, thumbnail.getWidth());
    assertEquals(192, thumbnail.getHeight());
    double norm = 0;
    for (float v : record.vector()) {
      norm += v * v;
    }
    assertEquals(1.0, norm, 1e-4, "a unit vector");

    // What the indexer asks of the decoder (short side at least 256 here): every n-th pixel, never the full bitmap.
    DecodedImage decoded = Images.decode(Files.readAllBytes(large), 100_000_000L, 256);
    assertEquals(4000, decoded.width());
    assertTrue(decoded.image().getWidth() <= 4000 / 8 && Math.min(decoded.image().getWidth(),
        decoded.image().getHeight()) >= 256, "decoded at " + decoded.image().getWidth() + "x"
        + decoded.image().getHeight());
  }

  @Test
  void exifCaptureDateCameraAndGpsAreRecordedAndSearchable() throws Exception {
    Path in = Files.createDirectories(dir.resolve("in"));
    TestImages.Exif exif = new TestImages.Exif("Canon", "Canon EOS 5D Mark IV", 1, "2019:07:14 15:30:00",
        48.858333, 2.294444);
    Path tagged = Files.write(in.resolve("eiffel.jpg"),
        TestImages.withExif(TestImages.jpegBytes(TestImages.draw(64, 48, 31)), exif));
    Path plain = TestImages.jpeg(in.resolve("plain.jpg"), 64, 48, 32);
    Path index = dir.resolve("index");
    IndexReport report = IncrementalIndexingTest.index(IncrementalIndexingTest.builder(index), in);
    assertEquals(List.of(), report.failures());

    IndexContents contents = IndexContents.read(index);
    ImageRecord record = contents.get(tagged);
    assertEquals(Instant.parse("2019-07-14T15:30:00Z"), record.exif().captured(),
        "camera wall-clock time, read as UTC");
    assertEquals(record.exif().captured(), record.date());
    assertEquals("Canon", record.exif().cameraMake());
    assertEquals("Canon EOS 5D Mark IV", record.exif().cameraModel());
    assertEquals(48.858333, record.exif().latitude(), 1e-5);
    assertEquals(2.294444, record.exif().longitude(), 1e-5);
    assertEquals(1, record.exif().orientation());

    ImageRecord none = contents.get(plain);
    assertEquals(ImageRecord.Exif.NONE, none.exif());
    assertEquals(none.modified(), none.date(), "without a capture date, the file's date");

    try (Directory directory = FSDirectory.open(index);
        DirectoryReader reader = DirectoryReader.open(directory)) {
      var searcher = new IndexSearcher(reader);
      var nearEiffelTower = LatLonPoint.newDistanceQuery(
          ImageFields.LOCATION, 48.8584, 2.2945, 1000);
      assertEquals(1, searcher.count(nearEiffelTower));
      var inSydney = LatLonPoint.newDistanceQuery(
          ImageFields.LOCATION, -33.86, 151.21, 1000);
      assertEquals(0, searcher.count(inSydney));
      var canon = new TermQuery(
          new Term(ImageFields.CAMERA, "canon"));
      assertEquals(1, searcher.count(canon));
      var in2019 = LongField.newRangeQuery(
          ImageFields.DATE,
          Instant.parse("2019-01-01T00:00:00Z").toEpochMilli(),
          Instant.parse("2019-12-31T23:59:59Z").toEpochMilli());
      assertEquals(1, searcher.count(in2019), "the capture date, not the file's date, is the date");
    }
  }
}
