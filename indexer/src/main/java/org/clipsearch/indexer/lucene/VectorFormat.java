package org.clipsearch.indexer.lucene;

import java.util.Locale;

/**
 * How the HNSW graph stores vectors. Quantized formats keep a float copy on disk for exact re-ranking but search
 * over 1 byte (int8/int7) or half a byte (int4) per dimension, so the part that must stay in memory shrinks 4-8x.
 *
 * <p>No Lucene class here: the indexer's builder loads this enum (through {@link HnswSettings#DEFAULT}) even when it
 * writes to another backend with no Lucene on the class path (SolrCloud); the codec is chosen in
 * {@link LuceneImageStore}.
 */
public enum VectorFormat {
  FLOAT,
  INT8,
  INT7,
  INT4;

  public static VectorFormat parse(String value) {
    try {
      return valueOf(value.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "unknown vector format '" + value + "': expected float, int8, int7 or int4", e);
    }
  }

  @Override
  public String toString() {
    return name().toLowerCase(Locale.ROOT);
  }
}
