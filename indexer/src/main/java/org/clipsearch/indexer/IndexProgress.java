package org.clipsearch.indexer;

import org.clipsearch.api.IndexFailure;

/** Receives progress from an indexing run, on the pipeline's writer thread. Implementations must be quick. */
public interface IndexProgress {
  /** The walk finished: {@code total} image files will be looked at. */
  default void started(int total) {}

  /** {@code done} of {@code total} files are handled (written, unchanged or failed), {@code failed} of them failed. */
  default void advanced(int done, int total, int failed) {}

  /** A file was skipped. */
  default void failed(IndexFailure failure) {}

  /** The index was committed with {@code images} written so far in this run. */
  default void committed(int written) {}

  /** The run ended, whether it completed or failed. */
  default void finished() {}

  IndexProgress NONE = new IndexProgress() {};
}
