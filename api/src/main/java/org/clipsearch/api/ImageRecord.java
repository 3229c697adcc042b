package org.clipsearch.api;

import java.time.Instant;
import java.util.Objects;

/**
 * One indexed image: where it is, what it is, and its embedding. The unit both index backends store, keyed by
 * {@link #path}.
 *
 * @param path absolute, normalised file path; the unique key
 * @param sha256 hex SHA-256 of the file's bytes; identical content under two paths shares one embedding
 * @param size file size in bytes
 * @param modified file modification time
 * @param width width in pixels as displayed (after EXIF orientation)
 * @param height height in pixels as displayed
 * @param format lower-case format name ("jpeg", "png", ...)
 * @param exif EXIF facts, {@link Exif#NONE} when the file has none
 * @param thumbnail a small JPEG of the image, or null
 * @param vector the unit-length embedding
 */
public record ImageRecord(
    String path,
    String sha256,
    long size,
    Instant modified,
    int width,
    int height,
    String format,
    Exif exif,
    byte[] thumbnail,
    float[] vector) {

  public ImageRecord {
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(sha256, "sha256");
    Objects.requireNonNull(modified, "modified");
    exif = exif == null ? Exif.NONE : exif;
  }

  /** The stable id of the image at {@code path}: URLs carry it instead of the path. */
  public static String idOf(String path) {
    try {
      byte[] digest =
          java.security.MessageDigest.getInstance("SHA-256")
              .digest(path.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      return java.util.HexFormat.of().formatHex(digest, 0, 8);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  public String id() {
    return idOf(path);
  }

  /** What the indexer keeps of this image to tell whether its file changed. */
  public StoredImage stored() {
    return new StoredImage(path, size, modified, sha256);
  }

  /** The capture date when the camera recorded one, else the modification time: what date filters use. */
  public Instant date() {
    return exif.captured() != null ? exif.captured() : modified;
  }

  /**
   * EXIF facts worth searching by.
   *
   * @param captured DateTimeOriginal, or null
   * @param orientation EXIF orientation 1..8 (1 when absent); the dimensions above are already upright
   */
  public record Exif(
      Instant captured, String cameraMake, String cameraModel, Double latitude, Double longitude, int orientation) {
    public static final Exif NONE = new Exif(null, null, null, null, null, 1);
  }
}
