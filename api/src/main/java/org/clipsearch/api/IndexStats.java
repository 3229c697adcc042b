package org.clipsearch.api;

import java.time.Instant;

/**
 * What an index holds, as {@code clipsearch stats} reports it.
 *
 * @param images number of indexed images
 * @param model the model that wrote the index
 * @param sizeBytes bytes on disk (embedded index) or reported by the cluster
 * @param vectorFormat the vector encoding (float, int7, int4, ...)
 * @param lastCommit when the index was last committed, or null if never
 */
public record IndexStats(long images, ModelIdentity model, long sizeBytes, String vectorFormat, Instant lastCommit) {}
