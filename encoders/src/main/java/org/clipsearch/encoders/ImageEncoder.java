package org.clipsearch.encoders;

import ai.djl.inference.Predictor;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.TranslateException;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;

/**
 * Embeds images with a bundle's image tower. Thread-safe: the model is shared and each call uses its own predictor.
 *
 * <p>Preprocessing ({@link #preprocess}) and the forward pass ({@link #encodePreprocessed}) are separate so that an
 * indexer can decode and preprocess on many threads and keep the model, the one serial stage, busy.
 */
public final class ImageEncoder implements AutoCloseable {
  private final ModelBundle bundle;
  private final ImagePreprocessor preprocessor;
  private final ZooModel<PixelBatch, float[][]> model;

  public ImageEncoder(ModelBundle bundle) {
    this.bundle = bundle;
    this.preprocessor = new ImagePreprocessor(bundle.image().preprocessing());
    this.model =
        TowerLoader.load(
            bundle.image().file(),
            bundle.image().engine(),
            PixelBatch.class,
            float[][].class,
            new ImageTranslator(bundle.image().inputNames(), bundle.embeddingDim(), bundle.name()));
  }

  public int dimension() {
    return bundle.embeddingDim();
  }

  public ImagePreprocessing preprocessing() {
    return preprocessor.config();
  }

  /** Embeds a batch in one forward pass; row {@code i} is the unit-length embedding of image {@code i}. */
  public float[][] encode(List<BufferedImage> images) {
    requireNonEmpty(images);
    List<float[]> tensors = new ArrayList<>(images.size());
    for (int i = 0; i < images.size(); i++) {
      if (images.get(i) == null) {
        throw new EncoderException("image " + i + " of the batch is null");
      }
      tensors.add(preprocessor.toTensor(images.get(i)));
    }
    return encodePreprocessed(tensors);
  }

  public float[] encode(BufferedImage image) {
    return encode(List.of(image))[0];
  }

  /** The model input for one image; safe to call from many threads at once. */
  public float[] preprocess(BufferedImage image) {
    return preprocessor.toTensor(image);
  }

  /** Embeds images already turned into tensors by {@link #preprocess}. */
  public float[][] encodePreprocessed(List<float[]> tensors) {
    requireNonEmpty(tensors);
    int size = preprocessor.tensorSize();
    float[] batch = new float[tensors.size() * size];
    for (int i = 0; i < tensors.size(); i++) {
      float[] tensor = tensors.get(i);
      if (tensor == null || tensor.length != size) {
        throw new EncoderException(
            "tensor " + i + " has " + (tensor == null ? "no" : tensor.length) + " values; expected " + size);
      }
      System.arraycopy(tensor, 0, batch, i * size, size);
    }
    ImagePreprocessing p = preprocessor.config();
    try (Predictor<PixelBatch, float[][]> predictor = model.newPredictor()) {
      return predictor.predict(new PixelBatch(batch, tensors.size(), p.height(), p.width()));
    } catch (TranslateException e) {
      throw unwrap(e, bundle.name() + " image tower");
    }
  }

  static void requireNonEmpty(List<?> batch) {
    if (batch == null || batch.isEmpty()) {
      throw new EncoderException("empty batch: nothing to encode");
    }
  }

  static EncoderException unwrap(TranslateException e, String what) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof EncoderException encoderException) {
        return encoderException;
      }
    }
    return new EncoderException(what + " failed: " + TowerLoader.rootMessage(e), e);
  }

  @Override
  public void close() {
    model.close();
  }
}
