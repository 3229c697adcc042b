package org.clipsearch.encoders;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.NoBatchifyTranslator;
import ai.djl.translate.TranslatorContext;
import java.nio.FloatBuffer;
import java.util.List;

/**
 * Feeds a batch of preprocessed images to an image tower and reads back normalised embeddings. The batch is built
 * by the encoder, not by DJL's batchifier, so that one forward pass serves the whole batch.
 */
final class ImageTranslator implements NoBatchifyTranslator<PixelBatch, float[][]> {
  private final String inputName;
  private final int dimension;
  private final String modelName;

  ImageTranslator(List<String> inputNames, int dimension, String modelName) {
    this.inputName = inputNames.isEmpty() ? null : inputNames.get(0);
    this.dimension = dimension;
    this.modelName = modelName;
  }

  @Override
  public NDList processInput(TranslatorContext ctx, PixelBatch batch) {
    NDArray pixels =
        ctx.getNDManager()
            .create(FloatBuffer.wrap(batch.data()), new Shape(batch.count(), 3, batch.height(), batch.width()));
    if (inputName != null) {
      pixels.setName(inputName);
    }
    return new NDList(pixels);
  }

  @Override
  public float[][] processOutput(TranslatorContext ctx, NDList list) {
    return Embeddings.fromOutput(list.get(0), null, dimension, modelName + " image tower");
  }
}
