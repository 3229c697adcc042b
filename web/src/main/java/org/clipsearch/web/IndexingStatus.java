package org.clipsearch.web;

import java.time.Instant;
import org.clipsearch.api.IndexFailure;
import org.clipsearch.indexer.IndexProgress;

/**
 * The progress of an indexer running in the same process as the server, for the page's status line: pass it to
 * {@code ImageIndexer.builder().progress(...)} and to {@link WebServerConfig.Builder#indexing}. Thread-safe.
 */
public final class IndexingStatus implements IndexProgress {
  private volatile boolean running;
  private volatile int done;
  private volatile int total;
  private volatile int failed;
  private volatile Instant startedAt;
  private volatile Instant finishedAt;

  /** A snapshot of the progress. */
  public record Snapshot(boolean running, int done, int total, int failed, Instant startedAt, Instant finishedAt) {}

  /** Call before the indexer starts walking (its first callback comes only after the walk). */
  public void begin() {
    done = 0;
    total = 0;
    failed = 0;
    startedAt = Instant.now();
    finishedAt = null;
    running = true;
  }

  /** Call when the indexer returned or failed. */
  public void end() {
    running = false;
    finishedAt = Instant.now();
  }

  @Override
  public void started(int total) {
    this.total = total;
    if (!running) {
      begin();
      this.total = total;
    }
  }

  @Override
  public void advanced(int done, int total, int failed) {
    this.done = done;
    this.total = total;
    this.failed = failed;
  }

  @Override
  public void failed(IndexFailure failure) {}

  public Snapshot snapshot() {
    return new Snapshot(running, done, total, failed, startedAt, finishedAt);
  }
}
