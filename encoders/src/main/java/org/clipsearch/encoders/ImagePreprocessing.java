package org.clipsearch.encoders;

import java.util.Arrays;
import java.util.Locale;

/**
 * How a model wants its pixels: the input size, how an image is brought to that size, and the per-channel
 * normalisation. Mirrors the preprocessing of CLIP and OpenCLIP (torchvision on Pillow images).
 */
public record ImagePreprocessing(
    int height,
    int width,
    ResizeMode resizeMode,
    Interpolation interpolation,
    float[] mean,
    float[] std,
    double padMaxAspect) {

  /** CLIP's normalisation constants, the default of OpenAI and most OpenCLIP models. */
  public static final float[] CLIP_MEAN = {0.48145466f, 0.4578275f, 0.40821073f};

  public static final float[] CLIP_STD = {0.26862954f, 0.26130258f, 0.27577711f};

  public enum ResizeMode {
    /** Resize the shortest side to the input size, keeping the aspect ratio, then centre crop (CLIP). */
    SHORTEST,
    /** Resize to the input size, ignoring the aspect ratio. */
    SQUASH,
    /**
     * Pad with white to the input's aspect ratio, the image centred, then resize: the whole image in view
     * (letterboxing), as the default model's training images are stored. An image longer than {@link
     * #padMaxAspect} to one is centre-cropped as {@link #SHORTEST} instead, since padding would leave it too thin
     * to see.
     */
    PAD;

    static ResizeMode parse(String value) {
      return switch (value.toLowerCase(Locale.ROOT)) {
        case "shortest" -> SHORTEST;
        case "squash" -> SQUASH;
        case "pad" -> PAD;
        default ->
            throw new EncoderException(
                "unsupported resize_mode '" + value + "': expected 'shortest', 'squash' or 'pad'");
      };
    }
  }

  public enum Interpolation {
    NEAREST,
    BILINEAR,
    BICUBIC;

    static Interpolation parse(String value) {
      return switch (value.toLowerCase(Locale.ROOT)) {
        case "nearest" -> NEAREST;
        case "bilinear", "linear" -> BILINEAR;
        case "bicubic", "cubic" -> BICUBIC;
        default ->
            throw new EncoderException(
                "unsupported interpolation '" + value + "': expected 'bicubic', 'bilinear' or 'nearest'");
      };
    }
  }

  /** Any mode but a bounded {@link ResizeMode#PAD}. */
  public ImagePreprocessing(
      int height, int width, ResizeMode resizeMode, Interpolation interpolation, float[] mean, float[] std) {
    this(height, width, resizeMode, interpolation, mean, std, 0);
  }

  /**
   * @param padMaxAspect for {@link ResizeMode#PAD}: the longest side over the shortest up to which an image is
   *     padded (longer ones are centre-cropped); 0 pads every image
   */
  public ImagePreprocessing {
    if (!(padMaxAspect == 0 || padMaxAspect >= 1)) {
      throw new EncoderException("pad_max_aspect must be at least 1 (or absent), got " + padMaxAspect);
    }
    if (padMaxAspect != 0 && resizeMode != ResizeMode.PAD) {
      throw new EncoderException("pad_max_aspect applies to resize_mode 'pad' only, not '"
          + resizeMode.name().toLowerCase(Locale.ROOT) + "'");
    }
    if (height <= 0 || width <= 0) {
      throw new EncoderException("image size must be positive, got " + height + "x" + width);
    }
    if (mean == null || mean.length != 3 || std == null || std.length != 3) {
      throw new EncoderException("image mean and std must have 3 values each (R, G, B)");
    }
    for (float s : std) {
      if (!(s > 0)) {
        throw new EncoderException("image std values must be positive, got " + Arrays.toString(std));
      }
    }
    mean = mean.clone();
    std = std.clone();
  }

  @Override
  public float[] mean() {
    return mean.clone();
  }

  @Override
  public float[] std() {
    return std.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ImagePreprocessing p
        && p.height == height
        && p.width == width
        && p.resizeMode == resizeMode
        && p.interpolation == interpolation
        && Arrays.equals(p.mean, mean)
        && Arrays.equals(p.std, std)
        && p.padMaxAspect == padMaxAspect;
  }

  /** Whether an image of {@code w×h} is padded ({@link ResizeMode#PAD} within {@link #padMaxAspect}). */
  public boolean pads(int w, int h) {
    return resizeMode == ResizeMode.PAD
        && (padMaxAspect == 0 || Math.max(w, h) <= padMaxAspect * Math.min(w, h));
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(new Object[] {height, width, resizeMode, interpolation, padMaxAspect})
        + 31 * Arrays.hashCode(mean)
        + 961 * Arrays.hashCode(std);
  }

  @Override
  public String toString() {
    // A model's fingerprint hashes this text, so modes without a pad limit keep the text they always had.
    return height + "x" + width + " " + resizeMode.name().toLowerCase(Locale.ROOT)
        + (padMaxAspect == 0 ? "" : " up to " + padMaxAspect + ":1") + " "
        + interpolation.name().toLowerCase(Locale.ROOT) + " mean=" + Arrays.toString(mean)
        + " std=" + Arrays.toString(std);
  }
}
