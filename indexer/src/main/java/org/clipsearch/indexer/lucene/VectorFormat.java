package org.clipsearch.indexer.lucene;

import java.util.Locale;
import org.apache.lucene.codecs.KnnVectorsFormat;
import org.apache.lucene.codecs.lucene104.Lucene104HnswScalarQuantizedVectorsFormat;
import org.apache.lucene.codecs.lucene99.Lucene99HnswVectorsFormat;
import org.apache.lucene.util.quantization.QuantizedByteVectorValues.ScalarEncoding;

/**
 * How the HNSW graph stores vectors. Quantized formats keep a float copy on disk for exact re-ranking but search
 * over 1 byte (int8/int7) or half a byte (int4) per dimension, so the part that must stay in memory shrinks 4-8x.
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

  KnnVectorsFormat knnFormat(int maxConn, int beamWidth) {
    return switch (this) {
      case FLOAT -> new Lucene99HnswVectorsFormat(maxConn, beamWidth);
      case INT8 -> new Lucene104HnswScalarQuantizedVectorsFormat(ScalarEncoding.UNSIGNED_BYTE, maxConn, beamWidth);
      case INT7 -> new Lucene104HnswScalarQuantizedVectorsFormat(ScalarEncoding.SEVEN_BIT, maxConn, beamWidth);
      case INT4 -> new Lucene104HnswScalarQuantizedVectorsFormat(ScalarEncoding.PACKED_NIBBLE, maxConn, beamWidth);
    };
  }

  @Override
  public String toString() {
    return name().toLowerCase(Locale.ROOT);
  }
}
