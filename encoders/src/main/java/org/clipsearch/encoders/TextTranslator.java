package org.clipsearch.encoders;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.NoBatchifyTranslator;
import ai.djl.translate.TranslatorContext;
import java.util.List;

/**
 * Feeds token ids (and, when the model takes them, the attention mask and token types) to a text tower, and pools
 * and normalises what comes back.
 */
final class TextTranslator implements NoBatchifyTranslator<TokenBatch, float[][]> {
  private static final String MASK = "mask";

  private final List<String> inputNames;
  private final ModelBundle.TokenType tokenType;
  private final ModelBundle.Pooling pooling;
  private final int dimension;
  private final String modelName;

  TextTranslator(
      List<String> inputNames,
      ModelBundle.TokenType tokenType,
      ModelBundle.Pooling pooling,
      int dimension,
      String modelName) {
    this.inputNames = inputNames;
    this.tokenType = tokenType;
    this.pooling = pooling;
    this.dimension = dimension;
    this.modelName = modelName;
  }

  @Override
  public NDList processInput(TranslatorContext ctx, TokenBatch batch) {
    ctx.setAttachment(MASK, batch.mask());
    NDManager manager = ctx.getNDManager();
    NDList inputs = new NDList();
    for (int i = 0; i < inputNames.size(); i++) {
      String name = inputNames.get(i);
      long[][] values;
      if (i == 0) {
        values = batch.ids();
      } else if (name.equals("attention_mask")) {
        values = batch.mask();
      } else if (name.equals("token_type_ids")) {
        values = new long[batch.count()][batch.length()];
      } else {
        throw new EncoderException(
            modelName + " text tower: don't know what to feed input '" + name + "' (known: the token ids first,"
                + " then attention_mask and token_type_ids)");
      }
      NDArray array = create(manager, values, batch.count(), batch.length());
      array.setName(name);
      inputs.add(array);
    }
    return inputs;
  }

  private NDArray create(NDManager manager, long[][] values, int rows, int columns) {
    Shape shape = new Shape(rows, columns);
    if (tokenType == ModelBundle.TokenType.INT32) {
      int[] flat = new int[rows * columns];
      for (int r = 0; r < rows; r++) {
        for (int c = 0; c < columns; c++) {
          flat[r * columns + c] = (int) values[r][c];
        }
      }
      return manager.create(flat, shape);
    }
    long[] flat = new long[rows * columns];
    for (int r = 0; r < rows; r++) {
      System.arraycopy(values[r], 0, flat, r * columns, columns);
    }
    return manager.create(flat, shape);
  }

  @Override
  public float[][] processOutput(TranslatorContext ctx, NDList list) {
    long[][] mask = pooling == ModelBundle.Pooling.MEAN ? (long[][]) ctx.getAttachment(MASK) : null;
    return Embeddings.fromOutput(list.get(0), mask, dimension, modelName + " text tower");
  }
}
