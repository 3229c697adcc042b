package org.clipsearch.indexer;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.Optional;
import java.util.Properties;
import org.clipsearch.api.IndexFailure;

/**
 * An indexing run's progress in a small file inside the embedded index's folder, so that another process (the web
 * server's status line beside a {@code clipsearch index} run) can show it: the indexer's process id, files done, total
 * and failed, refreshed at most once a second and deleted when the run ends. A file left by a run that died is
 * recognised by its process being gone. Lucene leaves the file alone: its name is not an index file's.
 *
 * <p>Passes every event on to the progress it wraps.
 */
public final class ProgressFile implements IndexProgress {
  /** The file's name in the index folder. */
  public static final String NAME = "clipsearch-indexing.properties";
  private static final long WRITE_EVERY_NANOS = 1_000_000_000L;

  private final Path file;
  private final IndexProgress next;
  private final Instant startedAt = Instant.now();
  private long lastWrite;
  private boolean written;

  /** A snapshot of another process's run, read from its file. */
  public record Snapshot(long pid, int done, int total, int failed, Instant startedAt, Instant updatedAt) {}

  ProgressFile(Path indexDir, IndexProgress next) {
    this.file = indexDir.resolve(NAME);
    this.next = next;
  }

  @Override
  public void started(int total) {
    write(0, total, 0);
    next.started(total);
  }

  @Override
  public void advanced(int done, int total, int failed) {
    if (System.nanoTime() - lastWrite >= WRITE_EVERY_NANOS) {
      write(done, total, failed);
    }
    next.advanced(done, total, failed);
  }

  @Override
  public void failed(IndexFailure failure) {
    next.failed(failure);
  }

  @Override
  public void committed(int written) {
    next.committed(written);
  }

  @Override
  public void finished() {
    try {
      if (written) {
        Files.deleteIfExists(file);
      }
    } catch (IOException e) {
      // A stale file is harmless: readers check that its process is alive.
    } finally {
      next.finished();
    }
  }

  private void write(int done, int total, int failed) {
    lastWrite = System.nanoTime();
    Properties p = new Properties();
    p.setProperty("pid", Long.toString(ProcessHandle.current().pid()));
    p.setProperty("done", Integer.toString(done));
    p.setProperty("total", Integer.toString(total));
    p.setProperty("failed", Integer.toString(failed));
    p.setProperty("started", startedAt.toString());
    p.setProperty("updated", Instant.now().toString());
    Path tmp = file.resolveSibling(NAME + ".tmp");
    try {
      try (Writer out = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
        p.store(out, "clipsearch indexing progress");
      }
      try {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
      written = true;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the progress file " + file, e);
    }
  }

  /** The run indexing {@code indexDir} in another live process, if any. */
  public static Optional<Snapshot> read(Path indexDir) {
    Properties p = new Properties();
    try (Reader in = Files.newBufferedReader(indexDir.resolve(NAME), StandardCharsets.UTF_8)) {
      p.load(in);
      long pid = Long.parseLong(p.getProperty("pid"));
      if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
        return Optional.of(new Snapshot(pid, Integer.parseInt(p.getProperty("done")),
            Integer.parseInt(p.getProperty("total")), Integer.parseInt(p.getProperty("failed")),
            Instant.parse(p.getProperty("started")), Instant.parse(p.getProperty("updated"))));
      }
      return Optional.empty();
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException | RuntimeException e) {
      return Optional.empty(); // half-written or foreign: nothing to show
    }
  }
}
