package org.clipsearch.encoders;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;

/**
 * A CLIP-style model: an image encoder and a text encoder that embed into one space, and the logit scale that
 * turns their cosine similarities into zero-shot probabilities. The one entry point of this module.
 *
 * <pre>{@code
 * try (ClipModel model = ClipModel.load(Path.of("models/ViT-B-32"))) {
 *   float[] cat = model.encodeText("a photo of a cat");
 *   float[] photo = model.encodeImage(Images.read(Path.of("cat.jpg")));
 *   float similarity = Vectors.dot(cat, photo);
 * }
 * }</pre>
 */
public final class ClipModel implements AutoCloseable {
  /** Where the default model is packaged on the classpath, once a build ships one. */
  public static final String DEFAULT_MODEL_LOCATION = "org/clipsearch/models/default";

  private final ModelBundle bundle;
  private final ImageEncoder images;
  private final TextEncoder texts;

  private ClipModel(ModelBundle bundle) {
    if (bundle.image() == null) {
      throw new EncoderException(
          "model " + bundle.name() + " at " + bundle.directory() + " has no image tower (a text-only bundle)");
    }
    this.bundle = bundle;
    ImageEncoder imageEncoder = new ImageEncoder(bundle);
    try {
      this.texts = new TextEncoder(bundle);
    } catch (RuntimeException e) {
      imageEncoder.close();
      throw e;
    }
    this.images = imageEncoder;
  }

  /** Loads a model bundle directory in either layout. */
  public static ClipModel load(Path directory) {
    return new ClipModel(ModelBundle.load(directory));
  }

  public static ClipModel load(ModelBundle bundle) {
    return new ClipModel(bundle);
  }

  /** Loads the default model that ships with clipsearch. */
  public static ClipModel loadDefault() {
    return new ClipModel(ModelBundle.resolve(ModelBundle.CLASSPATH_PREFIX + DEFAULT_MODEL_LOCATION));
  }

  public ModelBundle bundle() {
    return bundle;
  }

  public String name() {
    return bundle.name();
  }

  public int dimension() {
    return bundle.embeddingDim();
  }

  public float logitScale() {
    return bundle.logitScale();
  }

  public ImageEncoder imageEncoder() {
    return images;
  }

  public TextEncoder textEncoder() {
    return texts;
  }

  public float[][] encodeImages(List<BufferedImage> batch) {
    return images.encode(batch);
  }

  public float[] encodeImage(BufferedImage image) {
    return images.encode(image);
  }

  public float[][] encodeTexts(List<String> batch) {
    return texts.encode(batch);
  }

  public float[] encodeText(String text) {
    return texts.encode(text);
  }

  @Override
  public void close() {
    try {
      images.close();
    } finally {
      texts.close();
    }
  }
}
