package org.clipsearch.api;

import java.time.Instant;
import java.util.Map;

/**
 * What an index holds, as {@code clipsearch stats} reports it.
 *
 * @param images number of indexed images
 * @param model the model that wrote the index
 * @param sizeBytes bytes on disk (embedded index) or reported by the cluster
 * @param vectorFormat the vector encoding (float, int7, int4, ...)
 * @param lastCommit when the index was last committed, or null if never
 * @param tagged images that carry at least one label tag ({@code clipsearch labels --tag})
 * @param labels per label, the number of images tagged with it, most frequent first (ties by label); empty when
 *     nothing is tagged or the backend has no tags
 */
public record IndexStats(long images, ModelIdentity model, long sizeBytes, String vectorFormat, Instant lastCommit,
    long tagged, Map<String, Long> labels) {

  public IndexStats {
    labels = labels == null ? Map.of() : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(labels));
  }

  /** Statistics of an index without label tags. */
  public IndexStats(long images, ModelIdentity model, long sizeBytes, String vectorFormat, Instant lastCommit) {
    this(images, model, sizeBytes, vectorFormat, lastCommit, 0, Map.of());
  }
}
