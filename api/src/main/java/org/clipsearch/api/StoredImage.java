package org.clipsearch.api;

import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * What the indexer needs to know of an image already in the index to decide whether a file changed.
 *
 * @param path the key
 * @param size file size when indexed
 * @param modified modification time when indexed
 * @param sha256 content hash when indexed
 */
public record StoredImage(String path, long size, Instant modified, String sha256) {
  /**
   * Whether a file of {@code size} bytes modified at {@code modified} is the one indexed: what the indexer skips as
   * unchanged, and the only file the web server serves under this image. Times are stored to the millisecond.
   */
  public boolean isUnchanged(long size, Instant modified) {
    return this.size == size && this.modified.equals(modified.truncatedTo(ChronoUnit.MILLIS));
  }
}
