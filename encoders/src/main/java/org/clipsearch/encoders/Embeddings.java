package org.clipsearch.encoders;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/** Turns a tower's output tensor into normalised vectors, checking its shape against the bundle. */
final class Embeddings {
  private Embeddings() {}

  /**
   * @param output {@code N×D} embeddings, or {@code N×L×D} token states when {@code mask} is given
   * @param mask the attention mask to mean-pool token states with, or null when the output is the embedding
   */
  static float[][] fromOutput(NDArray output, long[][] mask, int dimension, String what) {
    Shape shape = output.getShape();
    int expectedRank = mask == null ? 2 : 3;
    if (shape.dimension() != expectedRank) {
      throw new EncoderException(
          what + " returned a tensor of shape " + shape + "; expected " + (mask == null
              ? "N×" + dimension + " (pooling 'none')" : "N×L×" + dimension + " token states (pooling 'mean')"));
    }
    long actual = shape.get(shape.dimension() - 1);
    if (actual != dimension) {
      throw new EncoderException(
          what + " returns " + actual + "-dimensional vectors but the bundle says embedding_dim " + dimension);
    }
    NDArray floats = output.getDataType() == DataType.FLOAT32 ? output : output.toType(DataType.FLOAT32, false);
    float[] flat = floats.toFloatArray();
    int n = (int) shape.get(0);
    float[][] vectors = new float[n][dimension];
    if (mask == null) {
      for (int i = 0; i < n; i++) {
        System.arraycopy(flat, i * dimension, vectors[i], 0, dimension);
        Vectors.normalizeInPlace(vectors[i]);
      }
      return vectors;
    }
    int length = (int) shape.get(1);
    for (int i = 0; i < n; i++) {
      double[] sum = new double[dimension];
      long count = 0;
      for (int t = 0; t < length; t++) {
        if (mask[i][t] == 0) {
          continue;
        }
        count++;
        int base = (i * length + t) * dimension;
        for (int d = 0; d < dimension; d++) {
          sum[d] += flat[base + d];
        }
      }
      for (int d = 0; d < dimension; d++) {
        vectors[i][d] = (float) (sum[d] / Math.max(count, 1));
      }
      Vectors.normalizeInPlace(vectors[i]);
    }
    return vectors;
  }
}
