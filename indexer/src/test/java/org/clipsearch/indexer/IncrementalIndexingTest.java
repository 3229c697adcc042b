package org.clipsearch.indexer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.clipsearch.api.ImageRecord;
import org.clipsearch.encoders.Images;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Incremental indexing on real files and a real index on disk: what a second run re-embeds (nothing unchanged),
 * updates in place, prunes, and how identical content under two paths shares one embedding.
 */
class IncrementalIndexingTest {
  @TempDir Path dir;

  static ImageIndexer.Builder builder(Path index) {
    return ImageIndexer.builder().index(index).model(IndexContents.model()).threads(2).batchSize(8);
  }

  static IndexReport index(ImageIndexer.Builder builder, Path... roots) throws IOException {
    try (ImageIndexer indexer = builder.build()) {
      return indexer.index(List.of(roots));
    }
  }

  /** The embedding of the file as the model sees it, computed without the indexer. */
  static float[] embedding(Path file) throws IOException {
    return IndexContents.model().encodeImage(Images.read(file));
  }

  static void assertVector(float[] expected, float[] actual, String what) {
    assertEquals(expected.length, actual.length, what);
    for (int i = 0; i < expected.length; i++) {
      assertEquals(expected[i], actual[i], 1e-4f, what + ", dimension " + i);
    }
  }

  /** A folder of {@code count} distinct small images, JPEG and PNG, some in sub-folders. */
  static List<Path> folderOfImages(Path root, int count, long seed) throws IOException {
    List<Path> files = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      Path folder = i % 3 == 0 ? root : root.resolve("sub" + (i % 3));
      Path file = i % 2 == 0
          ? TestImages.jpeg(folder.resolve("img-" + i + ".jpg"), 48 + i, 40, seed + i)
          : TestImages.png(folder.resolve("img_" + i + ".png"), 40, 48 + i, seed + i);
      files.add(file);
    }
    return files;
  }

  @Test
  void secondRunOverTheSameFolderEmbedsNothing() throws Exception {
    Path photos = dir.resolve("photos");
    List<Path> files = folderOfImages(photos, 12, 100);
    Files.writeString(photos.resolve("notes.txt"), "not an image name: never looked at");
    Path index = dir.resolve("index");

    IndexReport first = index(builder(index), photos);
    assertEquals(List.of(), first.failures());
    assertEquals(12, first.found());
    assertEquals(12, first.added());
    assertEquals(12, first.embedded());
    assertEquals(0, first.unchanged());
    assertEquals(0, first.updated());
    assertEquals(0, first.reused());

    IndexContents afterFirst = IndexContents.read(index);
    assertEquals(12, afterFirst.totalDocs());
    for (Path file : files) {
      ImageRecord record = afterFirst.get(file);
      byte[] content = Files.readAllBytes(file);
      assertEquals(ImageIndexer.sha256(content), record.sha256(), file.toString());
      assertEquals(content.length, record.size());
      assertEquals(Files.getLastModifiedTime(file).toInstant().truncatedTo(ChronoUnit.MILLIS), record.modified());
      var image = Images.read(file);
      assertEquals(image.getWidth(), record.width());
      assertEquals(image.getHeight(), record.height());
      assertEquals(file.toString().endsWith(".jpg") ? "jpeg" : "png", record.format());
      assertVector(embedding(file), record.vector(), "vector of " + file);
      assertTrue(record.thumbnail() != null && record.thumbnail().length > 0, "thumbnail stored");
    }

    IndexReport second = index(builder(index), photos);
    assertEquals(List.of(), second.failures());
    assertEquals(12, second.found());
    assertEquals(0, second.embedded(), "nothing unchanged is embedded again");
    assertEquals(second.found(), second.unchanged());
    assertEquals(0, second.added());
    assertEquals(0, second.updated());
    assertEquals(0, second.reused());

    IndexContents afterSecond = IndexContents.read(index);
    assertEquals(12, afterSecond.totalDocs());
    for (Path file : files) {
      assertArrayEquals(afterFirst.get(file).vector(), afterSecond.get(file).vector());
    }
  }

  @Test
  void overlappingRootsAndRelativePathsIndexEachFileOnce() throws Exception {
    Path photos = dir.resolve("photos");
    List<Path> files = folderOfImages(photos, 6, 200);
    Path index = dir.resolve("index");
    Path relative = Path.of("").toAbsolutePath().relativize(photos.resolve("sub1"));
    IndexReport report = index(builder(index), photos, relative, files.get(1), photos.resolve("sub1/../sub2"));
    assertEquals(List.of(), report.failures());
    assertEquals(6, report.found(), "a file under two roots is one file");
    assertEquals(6, report.embedded());
    IndexContents contents = IndexContents.read(index);
    assertEquals(6, contents.totalDocs());
    for (Path file : files) {
      assertTrue(Path.of(contents.get(file).path()).isAbsolute(), "keys are absolute, normalised paths");
    }
  }

  @Test
  void changedFileIsUpdatedInPlaceAndTouchedFileIsNotReEmbedded() throws Exception {
    Path photos = dir.resolve("photos");
    Path a = TestImages.jpeg(photos.resolve("a.jpg"), 64, 48, 1);
    Path b = TestImages.png(photos.resolve("b.png"), 64, 48, 2);
    TestImages.png(photos.resolve("c.png"), 48, 64, 3);
    Path index = dir.resolve("index");
    assertEquals(3, index(builder(index), photos).embedded());
    ImageRecord oldA = IndexContents.read(index).get(a);

    // New content and a new modification time.
    TestImages.jpeg(a, 80, 60, 42);
    Files.setLastModifiedTime(a, FileTime.from(oldA.modified().plusSeconds(10)));
    IndexReport changed = index(builder(index), photos);
    assertEquals(List.of(), changed.failures());
    assertEquals(1, changed.updated());
    assertEquals(0, changed.added());
    assertEquals(2, changed.unchanged());
    assertEquals(1, changed.embedded());
    assertEquals(0, changed.reused());
    IndexContents afterChange = IndexContents.read(index);
    assertEquals(3, afterChange.totalDocs(), "updated in place, not added beside the old document");
    ImageRecord newA = afterChange.get(a);
    assertEquals(ImageIndexer.sha256(Files.readAllBytes(a)), newA.sha256());
    assertNotEquals(oldA.sha256(), newA.sha256());
    assertFalse(Arrays.equals(oldA.vector(), newA.vector()), "the new content's vector");
    assertVector(embedding(a), newA.vector(), "vector of the new content");
    assertEquals(80, newA.width());
    assertEquals(60, newA.height());
    assertEquals(oldA.modified().plusSeconds(10), newA.modified());

    // Same content, new modification time: the hash says it is the same image.
    ImageRecord oldB = afterChange.get(b);
    Instant touched = oldB.modified().plusSeconds(60);
    Files.setLastModifiedTime(b, FileTime.from(touched));
    IndexReport touchedRun = index(builder(index), photos);
    assertEquals(List.of(), touchedRun.failures());
    assertEquals(0, touchedRun.embedded(), "identical content is not embedded again");
    assertEquals(1, touchedRun.reused());
    assertEquals(1, touchedRun.updated());
    assertEquals(2, touchedRun.unchanged());
    IndexContents afterTouch = IndexContents.read(index);
    assertEquals(3, afterTouch.totalDocs());
    ImageRecord newB = afterTouch.get(b);
    assertArrayEquals(oldB.vector(), newB.vector());
    assertEquals(oldB.sha256(), newB.sha256());
    assertEquals(touched, newB.modified(), "the new modification time is recorded, so the next run skips it");

    IndexReport third = index(builder(index), photos);
    assertEquals(3, third.unchanged());
    assertEquals(0, third.embedded() + third.updated() + third.reused());
  }

  @Test
  void pruneDeletesOnlyWhatIsGoneUnderTheRootsGiven() throws Exception {
    Path photos = dir.resolve("photos");
    Path photos2 = dir.resolve("photos2"); // shares a prefix with "photos": not under it
    Path other = dir.resolve("other");
    Path a = TestImages.jpeg(photos.resolve("a.jpg"), 48, 40, 11);
    Path c = TestImages.png(photos.resolve("sub/c.png"), 48, 40, 12);
    Path d = TestImages.png(photos2.resolve("d.png"), 48, 40, 13);
    Path e = TestImages.jpeg(other.resolve("e.jpg"), 48, 40, 14);
    Path index = dir.resolve("index");
    assertEquals(4, index(builder(index), photos, photos2, other).added());

    Files.delete(c);
    Files.delete(e);

    IndexReport withoutPrune = index(builder(index), photos);
    assertEquals(0, withoutPrune.deleted());
    IndexContents kept = IndexContents.read(index);
    assertEquals(4, kept.totalDocs());
    assertTrue(kept.contains(c), "without --prune a deleted file stays indexed");

    IndexReport pruned = index(builder(index).prune(true), photos);
    assertEquals(List.of(), pruned.failures());
    assertEquals(1, pruned.deleted());
    assertEquals(1, pruned.unchanged());
    IndexContents afterPrune = IndexContents.read(index);
    assertFalse(afterPrune.contains(c), "pruned");
    assertTrue(afterPrune.contains(a));
    assertTrue(afterPrune.contains(d), "photos2 is not under photos");
    assertTrue(afterPrune.contains(e), "gone from disk, but indexed from another root than the one pruned");
    assertEquals(3, afterPrune.totalDocs());

    // A root that is a single file, now gone: pruned, and not a failure (that is what pruning is for).
    Files.delete(d);
    IndexReport fileRoot = index(builder(index).prune(true), d);
    assertEquals(1, fileRoot.deleted());
    assertEquals(List.of(), fileRoot.failures());
    IndexContents afterFileRoot = IndexContents.read(index);
    assertFalse(afterFileRoot.contains(d));
    assertTrue(afterFileRoot.contains(e));
    assertEquals(2, afterFileRoot.totalDocs());

    // A root folder deleted whole: its images pruned too (they used to stay, the folder reported missing).
    Files.delete(other);
    IndexReport folderRoot = index(builder(index).prune(true), other);
    assertEquals(1, folderRoot.deleted());
    assertEquals(List.of(), folderRoot.failures());
    assertFalse(IndexContents.read(index).contains(e));
    // A path the index never held is still reported: a mistyped root prunes nothing, and says so.
    IndexReport typo = index(builder(index).prune(true), dir.resolve("phtoos"));
    assertEquals(0, typo.deleted());
    assertEquals(1, typo.failures().size());
    assertEquals(1, IndexContents.read(index).totalDocs());
  }

  @Test
  void duplicateContentInOneBatchIsEmbeddedOnce() throws Exception {
    // The writer takes whatever is decoded, so which files share a batch depends on timing. Made deterministic:
    // one decoding thread, the roots given as files in this order, and a first file that fails at once; the
    // writer takes it alone and, told of the failure, waits until the decoding thread has finished all its files
    // (it then waits in its pool for work): the three images make the second batch together. The images are large
    // enough (milliseconds to decode, yet below the size the indexer decodes subsampled) that the writer has taken
    // the failure before the first is ready: with tiny ones it sometimes found the failure and two images already
    // waiting, and took them as one batch.
    Path photos = dir.resolve("photos");
    Path empty = Files.write(Files.createDirectories(photos).resolve("empty.jpg"), new byte[0]);
    Path x = TestImages.jpeg(photos.resolve("x.jpg"), 680, 500, 21);
    Path copy = Files.copy(x, photos.resolve("x copy.jpg"));
    Path y = TestImages.jpeg(photos.resolve("y.jpg"), 680, 500, 22);
    Path index = dir.resolve("index");
    List<Integer> batches = new ArrayList<>();
    IndexProgress progress = new IndexProgress() {
      int lastDone;

      @Override
      public void failed(org.clipsearch.api.IndexFailure failure) {
        awaitIdleDecoders();
      }

      @Override
      public void advanced(int done, int total, int failed) {
        if (done > lastDone) {
          batches.add(done - lastDone);
        }
        lastDone = done;
      }
    };
    IndexReport report;
    try (ImageIndexer indexer = builder(index).threads(1).batchSize(32).progress(progress).build()) {
      report = indexer.index(List.of(empty, x, copy, y));
    }
    assertEquals(List.of(1, 3), batches, "the failure alone, then the three images in one batch");
    assertEquals(1, report.failures().size());
    assertEquals(3, report.added());
    assertEquals(2, report.embedded(), "x and its copy are embedded once");
    assertEquals(1, report.reused());
    IndexContents contents = IndexContents.read(index);
    assertEquals(3, contents.totalDocs());
    assertArrayEquals(contents.get(x).vector(), contents.get(copy).vector());
    assertVector(embedding(x), contents.get(copy).vector(), "the copy's vector");
  }

  /**
   * Waits until every decoding thread has run out of files: it then waits in its pool for a task that never comes,
   * seen in its stack. A deadline turns a change in the indexer's threading into a clear failure, not a hang.
   */
  private static void awaitIdleDecoders() {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      List<Thread> decoders = Thread.getAllStackTraces().keySet().stream()
          .filter(t -> t.getName().equals("clipsearch-decode")).toList();
      boolean idle = !decoders.isEmpty() && decoders.stream().allMatch(t -> Arrays.stream(t.getStackTrace())
          .anyMatch(f -> f.getClassName().equals(ThreadPoolExecutor.class.getName())
              && f.getMethodName().equals("getTask")));
      if (idle) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("the decoding thread did not finish its files within 30 s");
      }
      try {
        Thread.sleep(2);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted", e);
      }
    }
  }

  @Test
  void duplicateContentInSeparateBatchesIsEmbeddedOnce() throws Exception {
    assertDuplicatesShareOneEmbedding(1);
  }

  private void assertDuplicatesShareOneEmbedding(int batchSize) throws Exception {
    Path photos = dir.resolve("photos");
    Path x = TestImages.jpeg(photos.resolve("x.jpg"), 64, 48, 21);
    Path copy = Files.copy(x, Files.createDirectories(photos.resolve("copies")).resolve("x copy.jpg"));
    Path y = TestImages.jpeg(photos.resolve("y.jpg"), 64, 48, 22);
    Path index = dir.resolve("index");

    IndexReport report = index(builder(index).batchSize(batchSize), photos);
    assertEquals(List.of(), report.failures());
    assertEquals(3, report.added());
    assertEquals(2, report.embedded(), "x and its copy are embedded once");
    assertEquals(1, report.reused());
    IndexContents contents = IndexContents.read(index);
    assertEquals(3, contents.totalDocs());
    assertEquals(contents.get(x).sha256(), contents.get(copy).sha256());
    assertArrayEquals(contents.get(x).vector(), contents.get(copy).vector());
    assertFalse(Arrays.equals(contents.get(x).vector(), contents.get(y).vector()));
    assertVector(embedding(x), contents.get(copy).vector(), "the copy's vector");

    // A copy made after the first run takes its vector from the index.
    Path later = Files.copy(y, photos.resolve("y-again.jpg"));
    IndexReport second = index(builder(index).batchSize(batchSize), photos);
    assertEquals(1, second.added());
    assertEquals(0, second.embedded());
    assertEquals(1, second.reused());
    IndexContents after = IndexContents.read(index);
    assertEquals(4, after.totalDocs());
    assertArrayEquals(after.get(y).vector(), after.get(later).vector());
  }
}
