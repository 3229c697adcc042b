package org.clipsearch.indexer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The progress another process reads while an indexer runs: present with the run's counts, gone after it. */
class ProgressFileTest {
  @TempDir Path dir;

  @Test
  void aRunLeavesItsProgressInTheIndexFolderUntilItEnds() throws Exception {
    Path photos = dir.resolve("photos");
    for (int i = 0; i < 12; i++) {
      TestImages.jpeg(photos.resolve("img-" + i + ".jpg"), 40 + i, 32, i);
    }
    Path index = dir.resolve("index");
    List<Optional<ProgressFile.Snapshot>> seen = new ArrayList<>();
    IndexProgress reader = new IndexProgress() {
      @Override
      public void started(int total) {
        seen.add(ProgressFile.read(index));
      }

      @Override
      public void committed(int written) {
        seen.add(ProgressFile.read(index));
      }
    };
    try (ImageIndexer indexer = ImageIndexer.builder().index(index).model(IndexContents.model()).threads(2)
        .batchSize(4).progress(reader).build()) {
      IndexReport report = indexer.index(List.of(photos));
      assertEquals(12, report.added());
    }
    assertFalse(seen.isEmpty());
    ProgressFile.Snapshot atStart = seen.get(0).orElseThrow(() -> new AssertionError("no progress file at the start"));
    assertEquals(ProcessHandle.current().pid(), atStart.pid());
    assertEquals(12, atStart.total());
    assertEquals(0, atStart.done());
    assertTrue(seen.get(seen.size() - 1).isPresent(), "still there at the last commit");
    assertFalse(Files.exists(index.resolve(ProgressFile.NAME)), "deleted when the run ends");
    assertTrue(ProgressFile.read(index).isEmpty());
  }

  @Test
  void aFileLeftByADeadProcessShowsNothing() throws Exception {
    Process gone = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-version")
        .redirectErrorStream(true).start();
    gone.getInputStream().readAllBytes();
    gone.waitFor();
    Files.createDirectories(dir);
    Files.writeString(dir.resolve(ProgressFile.NAME), "pid=" + gone.pid() + "\ndone=3\ntotal=9\nfailed=0\n"
        + "started=2026-01-01T00\\:00\\:00Z\nupdated=2026-01-01T00\\:00\\:01Z\n", StandardCharsets.ISO_8859_1);
    assertTrue(ProgressFile.read(dir).isEmpty(), "the indexer that wrote it is gone");

    Files.writeString(dir.resolve(ProgressFile.NAME), "pid=" + ProcessHandle.current().pid() + "\ndone=3\ntotal=9\n"
        + "failed=1\nstarted=2026-01-01T00\\:00\\:00Z\nupdated=2026-01-01T00\\:00\\:01Z\n",
        StandardCharsets.ISO_8859_1);
    ProgressFile.Snapshot alive = ProgressFile.read(dir).orElseThrow();
    assertEquals(3, alive.done());
    assertEquals(9, alive.total());
    assertEquals(1, alive.failed());
  }
}
