package org.clipsearch.encoders;

import java.awt.image.BufferedImage;

/**
 * Turns an RGB image into the normalised {@code 3×H×W} tensor a model expects, with the geometry of CLIP's
 * torchvision pipeline: resize (shortest side, squash, or pad to the aspect ratio first), centre crop, scale to
 * {@code [0, 1]}, subtract the mean and divide by the standard deviation, channel by channel.
 */
public final class ImagePreprocessor {
  private final ImagePreprocessing config;
  private final float[] scale = new float[3];
  private final float[] offset = new float[3];

  public ImagePreprocessor(ImagePreprocessing config) {
    this.config = config;
    float[] mean = config.mean();
    float[] std = config.std();
    for (int c = 0; c < 3; c++) {
      scale[c] = 1f / (255f * std[c]);
      offset[c] = mean[c] / std[c];
    }
  }

  public ImagePreprocessing config() {
    return config;
  }

  /** The number of floats in one preprocessed image. */
  public int tensorSize() {
    return 3 * config.height() * config.width();
  }

  /**
   * @param image any image; it is converted to RGB first (alpha on white, grey and CMYK to RGB)
   * @return the {@code 3×H×W} tensor, channels first
   */
  public float[] toTensor(BufferedImage image) {
    if (image == null) {
      throw new EncoderException("image is null");
    }
    BufferedImage rgb = Images.toRgb(image);
    int w = rgb.getWidth();
    int h = rgb.getHeight();
    byte[] pixels = Images.rgbBytes(rgb);
    int targetH = config.height();
    int targetW = config.width();
    byte[] cropped;
    if (config.resizeMode() == ImagePreprocessing.ResizeMode.SQUASH) {
      cropped = PillowResampler.resize(pixels, w, h, targetW, targetH, config.interpolation());
    } else if (config.pads(w, h)) {
      int[] canvas = paddedSize(w, h, targetW, targetH);
      byte[] padded = padCentred(pixels, w, h, canvas[0], canvas[1]);
      cropped = PillowResampler.resize(padded, canvas[0], canvas[1], targetW, targetH, config.interpolation());
    } else {
      int[] size = shortestSideSize(w, h, targetW, targetH);
      byte[] resized = PillowResampler.resize(pixels, w, h, size[0], size[1], config.interpolation());
      cropped = centreCrop(resized, size[0], size[1], targetW, targetH);
    }
    float[] tensor = new float[3 * targetH * targetW];
    int plane = targetH * targetW;
    for (int i = 0; i < plane; i++) {
      for (int c = 0; c < 3; c++) {
        tensor[c * plane + i] = (cropped[i * 3 + c] & 0xff) * scale[c] - offset[c];
      }
    }
    return tensor;
  }

  /**
   * The size torchvision's {@code Resize(int)} gives: the shortest side becomes the target and the long side is
   * truncated, not rounded. A non-square target scales so that the image covers it (OpenCLIP's ResizeKeepRatio).
   */
  static int[] shortestSideSize(int w, int h, int targetW, int targetH) {
    if (targetW == targetH) {
      int size = targetW;
      if (w <= h) {
        return new int[] {size, (int) ((long) size * h / (double) w)};
      }
      return new int[] {(int) ((long) size * w / (double) h), size};
    }
    double ratio = Math.max((double) targetW / w, (double) targetH / h);
    return new int[] {
      Math.max(targetW, (int) Math.round(w * ratio)), Math.max(targetH, (int) Math.round(h * ratio))
    };
  }

  /**
   * The smallest canvas of the target's aspect ratio that holds a {@code w×h} image: one side is the image's, the
   * other rounded to the nearest pixel, halves to even as Python's round() (for a square target, {@code max(w, h)}
   * on both).
   */
  static int[] paddedSize(int w, int h, int targetW, int targetH) {
    if ((long) w * targetH >= (long) h * targetW) {
      return new int[] {w, Math.max(h, (int) Math.rint((double) w * targetH / targetW))};
    }
    return new int[] {Math.max(w, (int) Math.rint((double) h * targetW / targetH)), h};
  }

  /** The image on a white canvas, at left {@code (cw - w) / 2} and top {@code (ch - h) / 2} (rounded down). */
  private static byte[] padCentred(byte[] rgb, int w, int h, int cw, int ch) {
    if (w == cw && h == ch) {
      return rgb;
    }
    byte[] out = new byte[cw * ch * 3];
    java.util.Arrays.fill(out, (byte) 0xff);
    int top = (ch - h) / 2;
    int left = (cw - w) / 2;
    for (int y = 0; y < h; y++) {
      System.arraycopy(rgb, y * w * 3, out, ((y + top) * cw + left) * 3, w * 3);
    }
    return out;
  }

  private static byte[] centreCrop(byte[] rgb, int w, int h, int cropW, int cropH) {
    if (w == cropW && h == cropH) {
      return rgb;
    }
    // Python's round() rounds halves to even, as Math.rint does.
    int top = (int) Math.rint((h - cropH) / 2.0);
    int left = (int) Math.rint((w - cropW) / 2.0);
    byte[] out = new byte[cropW * cropH * 3];
    for (int y = 0; y < cropH; y++) {
      System.arraycopy(rgb, ((y + top) * w + left) * 3, out, y * cropW * 3, cropW * 3);
    }
    return out;
  }
}
