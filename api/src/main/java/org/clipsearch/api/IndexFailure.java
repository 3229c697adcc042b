package org.clipsearch.api;

/**
 * A file that could not be indexed, and why. The run goes on without it.
 *
 * @param path the file's path as found
 * @param reason a short human-readable reason ("truncated JPEG", "not an image", ...)
 */
public record IndexFailure(String path, String reason) {}
