package org.clipsearch.indexer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.Normalizer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.clipsearch.api.IndexFailure;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input never stops a run: each kind of bad file lies beside good images, is skipped and reported with its path
 * and a reason, and the good images are indexed. Paths with odd Unicode are not bad input: they are indexed.
 */
class BadInputTest {
  @TempDir Path dir;

  /** Collects what the pipeline reports as it goes (what the CLI's --errors file is written from). */
  static final class RecordingProgress implements IndexProgress {
    final List<IndexFailure> failures = Collections.synchronizedList(new ArrayList<>());

    @Override
    public void failed(IndexFailure failure) {
      failures.add(failure);
    }
  }

  @Test
  void everyKindOfBadFileIsSkippedWithItsReasonAndTheRunGoesOn() throws Exception {
    assertEquals("UTF-8", System.getProperty("sun.jnu.encoding"),
        "file names need a UTF-8 locale (surefire sets LC_ALL=C.UTF-8)");
    Path in = dir.resolve("in");
    Files.createDirectories(in);
    List<Path> good = new ArrayList<>();
    good.add(TestImages.jpeg(in.resolve("good.jpg"), 64, 48, 1));
    good.add(TestImages.png(in.resolve("good.png"), 48, 64, 2));

    // Paths with odd Unicode are indexed, byte for byte as found: "café" composed (NFC) and decomposed (NFD) are
    // two different names on Linux, an emoji, CJK, and spaces.
    String nfc = Normalizer.normalize("café", Normalizer.Form.NFC);
    String nfd = Normalizer.normalize("café", Normalizer.Form.NFD);
    assertFalse(nfc.equals(nfd));
    good.add(TestImages.jpeg(in.resolve(nfc).resolve(nfc + ".jpg"), 40, 40, 3));
    good.add(TestImages.jpeg(in.resolve(nfd).resolve(nfd + ".jpg"), 40, 40, 4));
    good.add(TestImages.png(in.resolve("\uD83C\uDF05 sunset \uD83D\uDCF7.png"), 40, 40, 5));
    good.add(TestImages.png(in.resolve("写真").resolve("東京 タワー (1).png"), 40, 40, 6));
    good.add(TestImages.jpeg(in.resolve("my  photos ").resolve(" leading and trailing .jpg"), 40, 40, 7));

    // A directory with an image's name is walked into, not read as a file, and not a failure.
    Path dirNamedPng = Files.createDirectories(in.resolve("x.png"));
    good.add(TestImages.jpeg(dirNamedPng.resolve("inside.jpg"), 40, 40, 8));

    Map<Path, String> bad = new LinkedHashMap<>(); // file -> a word its reason must contain
    bad.put(Files.write(in.resolve("empty.jpg"), new byte[0]), "empty");
    byte[] jpeg = TestImages.jpegBytes(TestImages.draw(160, 120, 9));
    bad.put(Files.write(in.resolve("truncated.jpg"), TestImages.truncated(jpeg, 0.5)), "truncated");
    byte[] png = TestImages.pngBytes(TestImages.draw(160, 120, 10));
    bad.put(Files.write(in.resolve("truncated.png"), TestImages.truncated(png, 0.5)), "truncated");
    bad.put(Files.writeString(in.resolve("text.jpg"), "Dear diary, this is not a JPEG.\n"), "not an image");
    // Tests run as root, for whom chmod 000 does not make a file unreadable: a dangling symbolic link is the
    // unreadable file here (its target cannot be opened by anyone).
    bad.put(Files.createSymbolicLink(in.resolve("y.jpg"), in.resolve("deleted-long-ago.jpg")), "broken symbolic link");
    // A symbolic link to its own folder: following it would walk forever.
    Path loopFolder = Files.createDirectories(in.resolve("loopy"));
    good.add(TestImages.png(loopFolder.resolve("in-the-loop.png"), 40, 40, 11));
    bad.put(Files.createSymbolicLink(loopFolder.resolve("loop"), loopFolder), "loop");
    // A named pipe with an image name: reading it would block forever.
    Path fifo = in.resolve("pipe.jpg");
    Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start();
    assertTrue(mkfifo.waitFor(10, TimeUnit.SECONDS) && mkfifo.exitValue() == 0, "mkfifo");
    bad.put(fifo, "not a regular file");
    // A decompression bomb: a PNG of a few hundred bytes whose header claims 2.5 gigapixels.
    byte[] bomb = TestImages.pngBomb(50_000, 50_000);
    assertTrue(bomb.length < 1000, "a small file: " + bomb.length);
    bad.put(Files.write(in.resolve("bomb.png"), bomb), "50000x50000");

    Path index = dir.resolve("index");
    RecordingProgress progress = new RecordingProgress();
    IndexReport report = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
      try (ImageIndexer indexer = IncrementalIndexingTest.builder(index).progress(progress).build()) {
        return indexer.index(List.of(in));
      }
    });

    Map<String, String> reasons = new TreeMap<>();
    for (IndexFailure failure : report.failures()) {
      String previous = reasons.put(failure.path(), failure.reason());
      assertEquals(null, previous, "reported twice: " + failure.path());
    }
    for (Map.Entry<Path, String> expected : bad.entrySet()) {
      String path = expected.getKey().toString();
      String reason = reasons.get(path);
      assertTrue(reason != null, "not reported: " + path + "; reported: " + reasons);
      assertTrue(reason.toLowerCase(Locale.ROOT).contains(expected.getValue()),
          path + ": reason \"" + reason + "\" should say " + expected.getValue());
      assertFalse(reason.contains("Exception"), "a reason for people, not a class name: " + reason);
    }
    reasons.forEach((p, r) -> System.out.println("skipped " + p + ": " + r));
    assertEquals(bad.size(), report.failures().size(), "reported: " + reasons);
    assertTrue(reasons.get(in.resolve("bomb.png").toString()).contains("100000000"),
        "the bomb's reason names the limit: " + reasons.get(in.resolve("bomb.png").toString()));
    assertEquals(new TreeMap<>(reasons), toMap(progress.failures), "the progress listener hears every failure");

    assertEquals(good.size(), report.added());
    assertEquals(good.size(), report.embedded());
    IndexContents contents = IndexContents.read(index);
    assertEquals(good.size(), contents.totalDocs());
    for (Path file : good) {
      assertEquals(file.toString(), contents.get(file).path());
      assertEquals(Files.size(file), contents.get(file).size());
    }
    // The composed and decomposed names are two files, and the bytes of each name survive the index.
    assertTrue(contents.get(in.resolve(nfc).resolve(nfc + ".jpg")).path()
        .getBytes(StandardCharsets.UTF_8).length
        < contents.get(in.resolve(nfd).resolve(nfd + ".jpg")).path().getBytes(StandardCharsets.UTF_8).length);

    // A second run: still failing, still reported, nothing re-embedded.
    IndexReport again = IncrementalIndexingTest.index(IncrementalIndexingTest.builder(index), in);
    assertEquals(bad.size(), again.failures().size());
    assertEquals(good.size(), again.unchanged());
    assertEquals(0, again.embedded());
  }

  @Test
  void aFileNamedAsARootThatIsNoImageIsReportedNotPassedOver() throws Exception {
    // Inside a folder such files are passed over (a folder of photos holds other files too); named alone, one
    // used to give "0 found" and exit status 0 without a word.
    java.nio.file.Path notes = Files.writeString(dir.resolve("notes.txt"), "not a picture");
    java.nio.file.Path photo = TestImages.png(dir.resolve("in/p.png"), 32, 32, 5);
    IndexReport report = IncrementalIndexingTest.index(IncrementalIndexingTest.builder(dir.resolve("index")),
        notes, photo);
    assertEquals(1, report.added());
    assertEquals(1, report.failures().size(), report.failures().toString());
    assertEquals(notes.toString(), report.failures().get(0).path());
    assertTrue(report.failures().get(0).reason().startsWith("not an image file name (.bmp, "),
        report.failures().get(0).reason());
  }

  private static Map<String, String> toMap(List<IndexFailure> failures) {
    Map<String, String> map = new TreeMap<>();
    synchronized (failures) {
      for (IndexFailure f : failures) {
        map.put(f.path(), f.reason());
      }
    }
    return map;
  }

  @Test
  void aDecompressionBombIsRefusedFromItsHeaderQuicklyAndTheLimitIsConfigurable() throws Exception {
    Path in = Files.createDirectories(dir.resolve("in"));
    Path bomb = Files.write(in.resolve("bomb.png"), TestImages.pngBomb(50_000, 50_000));
    Path small = TestImages.png(in.resolve("small.png"), 30, 30, 1); // 900 pixels
    Path medium = TestImages.png(in.resolve("medium.png"), 64, 48, 2); // 3072 pixels
    Path index = dir.resolve("index");

    long start = System.nanoTime();
    IndexReport report = assertTimeoutPreemptively(Duration.ofSeconds(20),
        () -> IncrementalIndexingTest.index(IncrementalIndexingTest.builder(index).maxPixels(1000), in));
    long millis = (System.nanoTime() - start) / 1_000_000;
    assertTrue(millis < 10_000, "refused from the header, not after decoding: " + millis + " ms");

    Map<String, String> reasons = toMap(report.failures());
    assertEquals(2, reasons.size(), reasons.toString());
    assertTrue(reasons.get(bomb.toString()).contains("1000 pixels"), reasons.toString());
    assertTrue(reasons.get(medium.toString()).contains("64x48"), reasons.toString());
    assertTrue(reasons.get(medium.toString()).contains("1000"), reasons.toString());
    assertEquals(1, report.added());
    assertTrue(IndexContents.read(index).contains(small));
  }
}
