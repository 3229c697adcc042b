package org.clipsearch.searcher;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.clipsearch.encoders.ClipModel;
import org.clipsearch.encoders.Images;
import org.clipsearch.indexer.ImageIndexer;
import org.clipsearch.indexer.IndexReport;

/**
 * The shared collection of the searcher tests: 200 drawings in named folders, in JPEG, PNG and BMP, 64 to 128 pixels
 * on a side, modification times spread over ten years, six JPEGs with EXIF cameras and capture dates, and one image
 * outside the index. Built and indexed once per test JVM; read-only for every test that uses it.
 *
 * <p>What each file is (folder, format, size, date, camera) is recorded here as it is written, so that tests know
 * which images a filter must match without asking the index.
 */
final class Corpus {
  static final int SIZE = 200;
  /** The keyword-fusion query; the three images of "trips/paris-2019" are among the least similar to it. */
  static final String PARIS_QUERY = "paris";
  static final Instant BASE_TIME = Instant.parse("2015-01-01T00:00:00Z");

  /** One file as written. */
  record Image(Path path, String folder, String format, int width, int height, Instant date, String camera) {
    String key() {
      return path.toString();
    }
  }

  final Path root;
  final Path photos;
  final Path index;
  final Path outside;
  final Map<String, Image> images;
  final IndexReport report;
  final BruteForce brute;

  private static Corpus shared;

  private Corpus(Path root, Path photos, Path index, Path outside, Map<String, Image> images, IndexReport report)
      throws IOException {
    this.root = root;
    this.photos = photos;
    this.index = index;
    this.outside = outside;
    this.images = images;
    this.report = report;
    this.brute = BruteForce.read(index);
  }

  static synchronized Corpus shared() throws IOException {
    if (shared == null) {
      shared = build(TestFiles.model());
    }
    return shared;
  }

  List<Image> matching(Predicate<Image> predicate) {
    return images.values().stream().filter(predicate).toList();
  }

  Predicate<String> allowed(Predicate<Image> predicate) {
    return path -> predicate.test(images.get(path));
  }

  private static Corpus build(ClipModel model) throws IOException {
    Path root = TestFiles.scratch("searcher-corpus");
    Path photos = root.resolve("photos");
    Map<String, Image> images = new LinkedHashMap<>();
    int n = 0;

    // 40 candidates for the keyword test: the three least similar to "paris" go to trips/paris-2019.
    Path staging = root.resolve("staging");
    List<Path> candidates = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      candidates.add(TestFiles.write(staging.resolve("c" + i + ".jpg"), "jpeg", TestFiles.draw(96, 80, 9000 + i),
          BASE_TIME));
    }
    float[] paris = model.encodeText(PARIS_QUERY);
    Map<Path, Double> similarity = new LinkedHashMap<>();
    for (Path c : candidates) {
      similarity.put(c, BruteForce.dot(paris, model.encodeImage(Images.read(c))));
    }
    candidates.sort(Comparator.comparingDouble(similarity::get));
    for (int i = 0; i < candidates.size(); i++) {
      boolean toParis = i < 3;
      String folder = toParis ? "trips/paris-2019" : "archive/old";
      String name = toParis ? "day" + (i + 1) + ".jpg" : "scan" + i + ".jpg";
      Instant date = BASE_TIME.plus(n * 17L, ChronoUnit.DAYS);
      Path file = photos.resolve(folder).resolve(name);
      Files.createDirectories(file.getParent());
      Files.move(candidates.get(i), file);
      Files.setLastModifiedTime(file, java.nio.file.attribute.FileTime.from(date));
      images.put(file.toString(), new Image(file, folder, "jpeg", 96, 80, date, null));
      n++;
    }
    Files.delete(staging);

    // Six JPEGs with EXIF: modified in 2025, captured in 2008 (Canon) and 2009 (Nikon).
    DateTimeFormatter exifDate = DateTimeFormatter.ofPattern("yyyy:MM:dd HH:mm:ss");
    for (int i = 0; i < 6; i++) {
      boolean canon = i < 4;
      String make = canon ? "Canon" : "NIKON CORPORATION";
      String cameraModel = canon ? "Canon EOS 5D Mark II" : "NIKON D750";
      LocalDateTime captured = LocalDateTime.of(canon ? 2008 : 2009, 6, 1 + i, 12, 30, 0);
      Instant modified = Instant.parse("2025-03-0" + (i + 1) + "T10:00:00Z");
      Path file = photos.resolve("camera").resolve("dsc_" + i + ".jpg");
      BufferedImage image = TestFiles.draw(112, 84, 7000 + i);
      TestFiles.jpegWithExif(file, image, make, cameraModel, captured.format(exifDate), modified);
      images.put(file.toString(), new Image(file, "camera", "jpeg", 112, 84, captured.toInstant(ZoneOffset.UTC),
          make + " " + cameraModel));
      n++;
    }

    // The rest, up to 200: folders, names, formats, sizes and dates that vary with the index.
    String[] folders = {"trips/rome-2021", "family", "family/birthday", "screens", "misc/scans"};
    for (int i = 0; n < SIZE; i++) {
      String folder;
      String format;
      if (i < 5) {
        folder = "misc/scans"; // the only five BMPs
        format = "bmp";
      } else {
        folder = folders[i % 4];
        format = i % 3 == 0 ? "png" : "jpeg";
      }
      String extension = switch (format) {
        case "jpeg" -> i % 2 == 0 ? "jpg" : "jpeg";
        default -> format;
      };
      String name = switch (folder) {
        case "family" -> "garden_" + i;
        case "family/birthday" -> "cake-" + i;
        case "screens" -> "screenshot " + i;
        default -> "img" + i;
      };
      int width = 64 + (i * 7) % 65;
      int height = 64 + (i * 11) % 65;
      Instant date = BASE_TIME.plus(n * 17L, ChronoUnit.DAYS);
      Path file = photos.resolve(folder).resolve(name + "." + extension);
      TestFiles.write(file, format, TestFiles.draw(width, height, 100 + i), date);
      images.put(file.toString(), new Image(file, folder, format, width, height, date, null));
      n++;
    }

    Path outside = TestFiles.write(root.resolve("not-indexed/query.png"), "png", TestFiles.draw(100, 90, 424242),
        BASE_TIME);
    Path index = root.resolve("index");
    IndexReport report;
    try (ImageIndexer indexer = ImageIndexer.builder().index(index).model(model).build()) {
      report = indexer.index(List.of(photos));
    }
    if (report.hasFailures() || report.added() != SIZE) {
      throw new IllegalStateException("the test corpus did not index cleanly: " + report);
    }
    return new Corpus(root, photos, index, outside, images, report);
  }
}
