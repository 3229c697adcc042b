package org.clipsearch.api;

import java.time.Instant;

/**
 * What the indexer needs to know of an image already in the index to decide whether a file changed.
 *
 * @param path the key
 * @param size file size when indexed
 * @param modified modification time when indexed
 * @param sha256 content hash when indexed
 */
public record StoredImage(String path, long size, Instant modified, String sha256) {}
