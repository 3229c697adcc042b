package org.clipsearch.api;

import java.time.Instant;

/**
 * One result.
 *
 * @param id a stable id derived from the path, for URLs that must not carry paths
 * @param path the file
 * @param score cosine similarity between the query vector and the image (-1..1)
 */
public record SearchHit(
    String id, String path, float score, int width, int height, String format, long size, Instant date) {}
