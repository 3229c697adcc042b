package org.clipsearch.api;

import java.time.Duration;
import java.util.List;

/**
 * A page of results.
 *
 * @param hits the page, best first
 * @param candidates how many candidates were ranked exactly
 * @param threshold the adaptive cutoff applied, or NaN when none was
 * @param took time spent, embedding the query included
 * @param encoding the part of {@code took} spent in the encoders embedding the query's texts and images (zero for
 *     indexed images and vectors), so that a server can report the encoder's time and the index's time apart
 */
public record SearchResult(List<SearchHit> hits, int candidates, float threshold, Duration took, Duration encoding) {
  public long tookMillis() {
    return took.toMillis();
  }
}
