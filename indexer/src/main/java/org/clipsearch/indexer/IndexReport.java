package org.clipsearch.indexer;

import java.time.Duration;
import java.util.List;
import org.clipsearch.api.IndexFailure;

/**
 * What an indexing run did.
 *
 * @param found image files found under the roots
 * @param added new images written
 * @param updated changed images rewritten in place
 * @param unchanged images skipped because size and modification time (or content) had not changed
 * @param deleted images removed by prune
 * @param embedded images that went through the image encoder
 * @param reused images whose vector was reused from identical content (same hash) instead of embedded
 * @param failures files skipped, with their reasons
 */
public record IndexReport(
    int found,
    int added,
    int updated,
    int unchanged,
    int deleted,
    int embedded,
    int reused,
    List<IndexFailure> failures,
    Duration took) {

  public boolean hasFailures() {
    return !failures.isEmpty();
  }
}
