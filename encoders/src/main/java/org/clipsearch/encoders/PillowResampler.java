package org.clipsearch.encoders;

/**
 * Resizes 8-bit RGB pixels exactly as Pillow's {@code Image.resize} does, because CLIP models were trained on
 * images resized by Pillow (through torchvision) and a different resampler shifts their embeddings.
 *
 * <p>This follows Pillow's {@code Resample.c}: a separable convolution whose support grows with the downscaling
 * factor (antialiasing), fixed-point coefficients with 22 fractional bits, a horizontal pass over the rows that the
 * vertical pass needs, and rounding to 8 bits between the passes.
 */
final class PillowResampler {
  private static final int PRECISION_BITS = 32 - 8 - 2;

  private PillowResampler() {}

  /**
   * @param rgb interleaved R, G, B bytes of a {@code width×height} image, row by row
   * @return interleaved R, G, B bytes of the {@code outWidth×outHeight} result
   */
  static byte[] resize(
      byte[] rgb, int width, int height, int outWidth, int outHeight, ImagePreprocessing.Interpolation filter) {
    if (outWidth == width && outHeight == height) {
      return rgb.clone();
    }
    if (filter == ImagePreprocessing.Interpolation.NEAREST) {
      return nearest(rgb, width, height, outWidth, outHeight);
    }
    Coefficients horizontal = Coefficients.compute(width, outWidth, filter);
    Coefficients vertical = Coefficients.compute(height, outHeight, filter);
    boolean needHorizontal = outWidth != width;
    boolean needVertical = outHeight != height;

    byte[] source = rgb;
    int sourceHeight = height;
    int firstRow = 0;
    if (needHorizontal) {
      // Only the rows that the vertical pass reads are resampled horizontally.
      firstRow = needVertical ? vertical.bounds[0] : 0;
      int lastRow =
          needVertical
              ? vertical.bounds[(outHeight - 1) * 2] + vertical.bounds[(outHeight - 1) * 2 + 1]
              : height;
      source = horizontalPass(rgb, width, firstRow, lastRow, outWidth, horizontal);
      sourceHeight = lastRow - firstRow;
    }
    if (!needVertical) {
      return source;
    }
    return verticalPass(source, outWidth, sourceHeight, firstRow, outHeight, vertical);
  }

  private static byte[] horizontalPass(
      byte[] in, int width, int firstRow, int lastRow, int outWidth, Coefficients c) {
    int rows = lastRow - firstRow;
    byte[] out = new byte[rows * outWidth * 3];
    for (int y = 0; y < rows; y++) {
      int rowIn = (y + firstRow) * width * 3;
      int rowOut = y * outWidth * 3;
      for (int x = 0; x < outWidth; x++) {
        int xmin = c.bounds[x * 2];
        int count = c.bounds[x * 2 + 1];
        int k = x * c.kernelSize;
        int r = 1 << (PRECISION_BITS - 1);
        int g = r;
        int b = r;
        for (int i = 0; i < count; i++) {
          int p = rowIn + (xmin + i) * 3;
          int w = c.fixed[k + i];
          r += (in[p] & 0xff) * w;
          g += (in[p + 1] & 0xff) * w;
          b += (in[p + 2] & 0xff) * w;
        }
        out[rowOut + x * 3] = clip8(r);
        out[rowOut + x * 3 + 1] = clip8(g);
        out[rowOut + x * 3 + 2] = clip8(b);
      }
    }
    return out;
  }

  private static byte[] verticalPass(
      byte[] in, int width, int height, int rowOffset, int outHeight, Coefficients c) {
    byte[] out = new byte[outHeight * width * 3];
    for (int y = 0; y < outHeight; y++) {
      int ymin = c.bounds[y * 2] - rowOffset;
      int count = c.bounds[y * 2 + 1];
      int k = y * c.kernelSize;
      for (int x = 0; x < width; x++) {
        int r = 1 << (PRECISION_BITS - 1);
        int g = r;
        int b = r;
        for (int i = 0; i < count; i++) {
          int p = ((ymin + i) * width + x) * 3;
          int w = c.fixed[k + i];
          r += (in[p] & 0xff) * w;
          g += (in[p + 1] & 0xff) * w;
          b += (in[p + 2] & 0xff) * w;
        }
        int o = (y * width + x) * 3;
        out[o] = clip8(r);
        out[o + 1] = clip8(g);
        out[o + 2] = clip8(b);
      }
    }
    return out;
  }

  private static byte clip8(int value) {
    if (value >= (1 << PRECISION_BITS << 8)) {
      return (byte) 255;
    }
    if (value <= 0) {
      return 0;
    }
    return (byte) (value >> PRECISION_BITS);
  }

  /** Pillow maps an output pixel centre back onto the source and takes the pixel it falls in. */
  private static byte[] nearest(byte[] in, int width, int height, int outWidth, int outHeight) {
    byte[] out = new byte[outWidth * outHeight * 3];
    double sx = (double) width / outWidth;
    double sy = (double) height / outHeight;
    for (int y = 0; y < outHeight; y++) {
      int yi = Math.min(height - 1, (int) ((y + 0.5) * sy));
      for (int x = 0; x < outWidth; x++) {
        int xi = Math.min(width - 1, (int) ((x + 0.5) * sx));
        System.arraycopy(in, (yi * width + xi) * 3, out, (y * outWidth + x) * 3, 3);
      }
    }
    return out;
  }

  private static double filter(ImagePreprocessing.Interpolation f, double x) {
    x = Math.abs(x);
    if (f == ImagePreprocessing.Interpolation.BILINEAR) {
      return x < 1.0 ? 1.0 - x : 0.0;
    }
    // Keys' cubic convolution with a = -0.5, as Pillow uses for BICUBIC.
    double a = -0.5;
    if (x < 1.0) {
      return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
    }
    if (x < 2.0) {
      return (((x - 5) * x + 8) * x - 4) * a;
    }
    return 0.0;
  }

  private static double support(ImagePreprocessing.Interpolation f) {
    return f == ImagePreprocessing.Interpolation.BILINEAR ? 1.0 : 2.0;
  }

  /** Per output pixel: the first source index, the count of source pixels, and their fixed-point weights. */
  private record Coefficients(int kernelSize, int[] bounds, int[] fixed) {
    static Coefficients compute(int inSize, int outSize, ImagePreprocessing.Interpolation f) {
      double scale = (double) inSize / outSize;
      double filterScale = Math.max(scale, 1.0);
      double support = support(f) * filterScale;
      int kernelSize = (int) Math.ceil(support) * 2 + 1;
      int[] bounds = new int[outSize * 2];
      int[] fixed = new int[outSize * kernelSize];
      double[] weights = new double[kernelSize];
      for (int xx = 0; xx < outSize; xx++) {
        double center = (xx + 0.5) * scale;
        double ss = 1.0 / filterScale;
        int xmin = Math.max((int) (center - support + 0.5), 0);
        int xmax = Math.min((int) (center + support + 0.5), inSize) - xmin;
        double total = 0;
        for (int x = 0; x < xmax; x++) {
          double w = filter(f, (x + xmin - center + 0.5) * ss);
          weights[x] = w;
          total += w;
        }
        for (int x = 0; x < xmax; x++) {
          double k = total != 0.0 ? weights[x] / total : weights[x];
          fixed[xx * kernelSize + x] =
              k < 0 ? (int) (-0.5 + k * (1 << PRECISION_BITS)) : (int) (0.5 + k * (1 << PRECISION_BITS));
        }
        bounds[xx * 2] = xmin;
        bounds[xx * 2 + 1] = xmax;
      }
      return new Coefficients(kernelSize, bounds, fixed);
    }
  }
}
