package org.clipsearch.encoders;

/** Small vector helpers shared by the encoders and their callers. */
public final class Vectors {
  private Vectors() {}

  /** Scales {@code v} in place to unit length; a zero or non-finite vector is a broken model output. */
  public static float[] normalizeInPlace(float[] v) {
    double sum = 0;
    for (float x : v) {
      sum += (double) x * x;
    }
    if (!(sum > 0) || Double.isInfinite(sum)) {
      throw new EncoderException("model produced a " + (sum == 0 ? "zero" : "non-finite") + " vector");
    }
    float inv = (float) (1.0 / Math.sqrt(sum));
    for (int i = 0; i < v.length; i++) {
      v[i] *= inv;
    }
    return v;
  }

  public static float dot(float[] a, float[] b) {
    if (a.length != b.length) {
      throw new IllegalArgumentException("dimensions differ: " + a.length + " and " + b.length);
    }
    float sum = 0;
    for (int i = 0; i < a.length; i++) {
      sum += a[i] * b[i];
    }
    return sum;
  }
}
