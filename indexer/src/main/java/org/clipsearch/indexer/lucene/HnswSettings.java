package org.clipsearch.indexer.lucene;

/**
 * The HNSW graph's parameters and vector format, chosen per field through the codec.
 *
 * @param maxConn M: neighbours per node (Lucene's default 16); more is better recall, more memory, slower writes
 * @param beamWidth candidates considered while building (Lucene's default 100)
 * @param format how vectors are stored and searched
 */
public record HnswSettings(int maxConn, int beamWidth, VectorFormat format) {
  public static final HnswSettings DEFAULT = new HnswSettings(16, 100, VectorFormat.FLOAT);

  public HnswSettings {
    if (maxConn < 2 || maxConn > 512) {
      throw new IllegalArgumentException("HNSW M must be between 2 and 512, got " + maxConn);
    }
    if (beamWidth < 1 || beamWidth > 3200) {
      throw new IllegalArgumentException("HNSW beam width must be between 1 and 3200, got " + beamWidth);
    }
  }
}
