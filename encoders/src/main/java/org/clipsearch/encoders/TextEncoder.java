package org.clipsearch.encoders;

import ai.djl.inference.Predictor;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.TranslateException;
import java.util.List;

/** Embeds texts with a bundle's text tower. Thread-safe: each call uses its own predictor. */
public final class TextEncoder implements AutoCloseable {
  private final ModelBundle bundle;
  private final TextTokenizer tokenizer;
  private final ZooModel<TokenBatch, float[][]> model;

  public TextEncoder(ModelBundle bundle) {
    this.bundle = bundle;
    ModelBundle.TextTower text = bundle.text();
    this.tokenizer = new TextTokenizer(text);
    List<String> inputNames = text.inputNames();
    ModelBundle.TokenType tokenType = text.inputType();
    ZooModel<TokenBatch, float[][]> loaded;
    if (inputNames.isEmpty()) {
      // Immich layout: the ONNX file itself says what it takes ("text", or M-CLIP's input_ids and attention_mask).
      loaded = loadWith(bundle, probeInputNames(bundle), tokenType);
    } else {
      loaded = loadWith(bundle, inputNames, tokenType);
    }
    this.model = loaded;
  }

  private static List<String> probeInputNames(ModelBundle bundle) {
    try (ZooModel<TokenBatch, float[][]> probe = loadWith(bundle, List.of("input_ids"), ModelBundle.TokenType.INT64)) {
      List<String> names = probe.describeInput().keys();
      if (names.isEmpty()) {
        throw new EncoderException(bundle.text().file() + " declares no inputs");
      }
      if (names.contains("input_ids")) {
        return names.indexOf("input_ids") == 0
            ? names
            : java.util.stream.Stream.concat(
                    java.util.stream.Stream.of("input_ids"), names.stream().filter(n -> !n.equals("input_ids")))
                .toList();
      }
      return names;
    }
  }

  private static ZooModel<TokenBatch, float[][]> loadWith(
      ModelBundle bundle, List<String> names, ModelBundle.TokenType type) {
    // Immich's CLIP text models take int32 "text"; M-CLIP's take int64 "input_ids".
    ModelBundle.TokenType resolved = type != null ? type : names.get(0).equals("text")
        ? ModelBundle.TokenType.INT32 : ModelBundle.TokenType.INT64;
    return TowerLoader.load(
        bundle.text().file(),
        bundle.text().engine(),
        TokenBatch.class,
        float[][].class,
        new TextTranslator(names, resolved, bundle.text().pooling(), bundle.embeddingDim(), bundle.name()));
  }

  public int dimension() {
    return bundle.embeddingDim();
  }

  /** Embeds a batch in one forward pass; row {@code i} is the unit-length embedding of text {@code i}. */
  public float[][] encode(List<String> texts) {
    TokenBatch tokens = tokenizer.encode(texts);
    try (Predictor<TokenBatch, float[][]> predictor = model.newPredictor()) {
      return predictor.predict(tokens);
    } catch (TranslateException e) {
      throw ImageEncoder.unwrap(e, bundle.name() + " text tower");
    }
  }

  public float[] encode(String text) {
    return encode(List.of(text))[0];
  }

  /** The token ids the model sees for {@code text}, special tokens included, without padding. */
  public long[] tokenIds(String text) {
    return tokenizer.ids(text);
  }

  @Override
  public void close() {
    model.close();
    tokenizer.close();
  }
}
