package org.clipsearch.indexer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.awt.image.BufferedImage;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.lucene.index.CheckIndex;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.clipsearch.api.IndexStats;
import org.clipsearch.indexer.lucene.LuceneImageStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Crash safety with a real {@code kill -9}: a child JVM ({@link CrashIndexingMain}) indexes 300 images committing
 * every 20, is killed with SIGKILL after its second commit, and then the index must open, be clean, hold at least
 * what was committed, and a new run must finish the job without embedding anything committed again.
 */
class CrashResumeTest {
  static final int TOTAL = 300;
  static final long PAUSE_MILLIS = 50;
  /**
   * After the second commit, a little more work before the kill, so that it lands between commits with images
   * written but not committed (the child commits about every 3 batches of 8, some 150-200 ms apart).
   */
  static final long KILL_DELAY_MILLIS = 60;

  @TempDir Path dir;

  @Test
  void killedMidRunThenResumedWithoutReEmbeddingWhatWasCommitted() throws Exception {
    long start = System.nanoTime();
    Path photos = dir.resolve("photos");
    for (int i = 0; i < TOTAL; i++) {
      Path folder = photos.resolve("batch-" + (i / 50));
      TestImages.write(folder.resolve("photo-" + i + ".jpg"), "jpeg", distinct(i));
    }
    Path index = dir.resolve("index");
    Path stderr = dir.resolve("child-stderr.txt");

    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(List.of("--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
        "-Dai.djl.offline=true", "-DOPT_OUT_TRACKING=true", "-Xmx512m", "-XX:+UseSerialGC"));
    for (String property : List.of("DJL_CACHE_DIR", "ENGINE_CACHE_DIR")) { // the natives surefire already unpacked
      if (System.getProperty(property) != null) {
        command.add("-D" + property + "=" + System.getProperty(property));
      }
    }
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), CrashIndexingMain.class.getName(),
        photos.toString(), index.toString(), IndexContents.TINY_TORCHSCRIPT.toString(), Long.toString(PAUSE_MILLIS)));
    long generated = System.nanoTime();
    Process child = new ProcessBuilder(command).redirectError(stderr.toFile()).start();

    BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    Thread reader = new Thread(() -> {
      try (BufferedReader out =
          new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line; (line = out.readLine()) != null; ) {
          lines.add(line);
        }
      } catch (IOException e) {
        // the child is gone
      } finally {
        lines.add("EOF");
      }
    }, "child-stdout");
    reader.setDaemon(true);
    reader.start();

    int commits = 0;
    int committed = 0;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    List<String> seen = new ArrayList<>();
    try {
      while (commits < 2) {
        String line = lines.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        if (line == null || line.equals("EOF") || line.startsWith("DONE")) {
          fail("the child should have committed twice and still be running; it printed " + seen + ", stderr:\n"
              + tail(stderr));
        }
        seen.add(line);
        if (line.startsWith("COMMITTED ")) {
          commits++;
          committed = Integer.parseInt(line.substring("COMMITTED ".length()));
        }
      }
      Thread.sleep(KILL_DELAY_MILLIS);
      long killedAt = System.nanoTime();
      System.out.printf("generated %d images in %d ms; child committed twice, killed after %d ms%n", TOTAL,
          (generated - start) / 1_000_000, (killedAt - generated) / 1_000_000);
      // SIGKILL on Linux: no shutdown hook, no finally block, no IndexWriter.close() runs in the child.
      child.destroyForcibly();
    } finally {
      if (child.isAlive()) {
        child.destroyForcibly();
      }
    }
    assertTrue(child.waitFor(30, TimeUnit.SECONDS), "the child is gone");
    assertEquals(128 + 9, child.exitValue(), "killed by SIGKILL, not finished");
    reader.join(10_000);
    for (String line; (line = lines.poll()) != null; ) {
      seen.add(line);
      if (line.startsWith("COMMITTED ")) {
        committed = Math.max(committed, Integer.parseInt(line.substring("COMMITTED ".length())));
      }
    }
    assertFalse(seen.stream().anyMatch(l -> l.startsWith("DONE")), "killed before it finished: " + seen);
    assertTrue(committed >= 40 && committed < TOTAL, "committed " + committed + "; printed " + seen);

    // The index opens without a writer, is clean, and holds at least everything that was committed.
    IndexStats afterCrash = LuceneImageStore.readStats(index);
    int docsBeforeResume = (int) afterCrash.images();
    assertTrue(docsBeforeResume >= committed, docsBeforeResume + " images in the index, " + committed + " committed");
    assertTrue(docsBeforeResume < TOTAL, "the run was interrupted: " + docsBeforeResume);
    assertEquals(ImageIndexer.identityOf(IndexContents.model()), afterCrash.model());
    assertClean(index);

    System.out.printf("after kill -9: %d committed, %d images in the index%n", committed, docsBeforeResume);
    // Resume: only what was not committed goes through the encoder.
    IndexReport resumed;
    try (ImageIndexer indexer = IncrementalIndexingTest.builder(index).build()) {
      resumed = indexer.index(List.of(photos));
    }
    assertEquals(List.of(), resumed.failures());
    assertEquals(TOTAL, resumed.found());
    assertEquals(docsBeforeResume, resumed.unchanged());
    assertEquals(TOTAL - docsBeforeResume, resumed.embedded(), "nothing committed is embedded again");
    assertEquals(TOTAL - docsBeforeResume, resumed.added());
    assertEquals(0, resumed.reused());
    assertEquals(TOTAL, LuceneImageStore.readStats(index).images());
    assertEquals(TOTAL, IndexContents.read(index).totalDocs(), "one document per file");
    assertClean(index);
  }

  /** A small drawing whose first row spells {@code i} in black and white: no two files have the same content. */
  static BufferedImage distinct(int i) {
    BufferedImage image = TestImages.draw(40 + i % 7, 32 + i % 5, 1000 + i);
    for (int bit = 0; bit < 16; bit++) {
      int colour = ((i >> bit) & 1) == 1 ? 0xffffff : 0x000000;
      image.setRGB(bit * 2, 0, colour);
      image.setRGB(bit * 2 + 1, 0, colour);
    }
    return image;
  }

  static void assertClean(Path index) throws IOException {
    try (Directory directory = FSDirectory.open(index); CheckIndex check = new CheckIndex(directory)) {
      check.setInfoStream(null);
      CheckIndex.Status status = check.checkIndex();
      assertTrue(status.clean, "CheckIndex finds problems in " + index);
    }
  }

  private static String tail(Path file) {
    try {
      List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
      return String.join("\n", all.subList(Math.max(0, all.size() - 40), all.size()));
    } catch (IOException e) {
      return "(no stderr: " + e.getMessage() + ")";
    }
  }
}
