package org.clipsearch.api;

/**
 * Which model wrote an index. Vectors of different models live in different spaces, so an index is only ever
 * written and searched with the model that it records.
 *
 * @param name the bundle's name
 * @param dimension the embedding dimension
 * @param fingerprint a hash of the model's files
 */
public record ModelIdentity(String name, int dimension, String fingerprint) {
  /** True when both name the same model files. */
  public boolean sameModelAs(ModelIdentity other) {
    return other != null && dimension == other.dimension && fingerprint.equals(other.fingerprint);
  }

  @Override
  public String toString() {
    return name + " (" + dimension + "-d, " + fingerprint.substring(0, Math.min(12, fingerprint.length())) + ")";
  }
}
