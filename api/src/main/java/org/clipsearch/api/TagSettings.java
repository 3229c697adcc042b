package org.clipsearch.api;

/**
 * How many labels a tagging run ({@code clipsearch labels --tag}) writes into each image.
 *
 * @param top at most this many labels per image, most probable first
 * @param minProbability labels after the first need at least this probability; the most probable label is always
 *     written, so that every tagged image carries the label it fits best (as label search files it)
 */
public record TagSettings(int top, float minProbability) {
  public static final int DEFAULT_TOP = 3;
  public static final float DEFAULT_MIN_PROBABILITY = 0.05f;
  public static final TagSettings DEFAULT = new TagSettings(DEFAULT_TOP, DEFAULT_MIN_PROBABILITY);

  public TagSettings {
    if (top < 1 || top > 100) {
      throw new IllegalArgumentException("the number of labels per image must be between 1 and 100, got " + top);
    }
    if (!(minProbability >= 0 && minProbability <= 1)) {
      throw new IllegalArgumentException("the minimum probability must be between 0 and 1, got " + minProbability);
    }
  }
}
