package org.clipsearch.encoders;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * Tokenizes with a Hugging Face {@code tokenizer.json} through DJL. Truncation is left to the tokenizer, which keeps
 * the special tokens inside the limit (so a truncated CLIP sequence still ends with end-of-text, as OpenAI's
 * tokenizer does); padding is done here, with the pad id the bundle names, because CLIP pads with a token that
 * the tokenizer itself does not know as padding.
 */
final class TextTokenizer implements AutoCloseable {
  private final HuggingFaceTokenizer tokenizer;
  private final ModelBundle.TextTower config;
  private final long padId;

  TextTokenizer(ModelBundle.TextTower config) {
    this.config = config;
    DjlEnvironment.ensureConfigured();
    try {
      this.tokenizer =
          HuggingFaceTokenizer.builder()
              .optTokenizerPath(config.tokenizer())
              .optAddSpecialTokens(true)
              .optTruncation(config.truncation())
              .optMaxLength(config.maxLength())
              .optPadding(false)
              .build();
    } catch (IOException | RuntimeException e) {
      throw new EncoderException("cannot load tokenizer " + config.tokenizer() + ": " + e.getMessage(), e);
    }
    this.padId = findPadId(config);
  }

  TokenBatch encode(List<String> texts) {
    if (texts == null || texts.isEmpty()) {
      throw new EncoderException("empty batch: no texts to encode");
    }
    for (int i = 0; i < texts.size(); i++) {
      String text = texts.get(i);
      if (text == null || text.isBlank()) {
        throw new EncoderException("text " + i + " of the batch is " + (text == null ? "null" : "empty"));
      }
    }
    Encoding[] encodings = tokenizer.batchEncode(texts);
    int longest = 0;
    for (int i = 0; i < encodings.length; i++) {
      int length = encodings[i].getIds().length;
      if (length > config.maxLength()) {
        throw new EncoderException(
            "text " + i + " has " + length + " tokens, more than the model's " + config.maxLength()
                + " and truncation is off");
      }
      longest = Math.max(longest, length);
    }
    int length = config.padding() == ModelBundle.Padding.MAX_LENGTH ? config.maxLength() : longest;
    long[][] ids = new long[encodings.length][length];
    long[][] mask = new long[encodings.length][length];
    for (int i = 0; i < encodings.length; i++) {
      long[] tokens = encodings[i].getIds();
      Arrays.fill(ids[i], padId);
      System.arraycopy(tokens, 0, ids[i], 0, tokens.length);
      Arrays.fill(mask[i], 0, tokens.length, 1L);
    }
    return new TokenBatch(ids, mask);
  }

  /** The unpadded ids of one text, special tokens included. */
  long[] ids(String text) {
    return unpadded(encode(List.of(text)));
  }

  private static long[] unpadded(TokenBatch batch) {
    long[] mask = batch.mask()[0];
    int n = 0;
    while (n < mask.length && mask[n] == 1) {
      n++;
    }
    return Arrays.copyOf(batch.ids()[0], n);
  }

  /** The pad id: the bundle's pad token looked up in the vocabulary, else the tokenizer's padding, else 0. */
  private static long findPadId(ModelBundle.TextTower config) {
    JsonNode root;
    try {
      root = new ObjectMapper().readTree(config.tokenizer().toFile());
    } catch (IOException e) {
      throw new EncoderException("cannot read tokenizer " + config.tokenizer() + ": " + e.getMessage(), e);
    }
    String padToken = config.padToken();
    if (padToken == null) {
      JsonNode padding = root.path("padding");
      return padding.path("pad_id").asLong(0);
    }
    for (JsonNode added : root.path("added_tokens")) {
      if (padToken.equals(added.path("content").asText())) {
        return added.path("id").asLong();
      }
    }
    JsonNode id = root.path("model").path("vocab").get(padToken);
    if (id != null && id.canConvertToLong()) {
      return id.asLong();
    }
    throw new EncoderException(
        "pad token '" + padToken + "' is not in the vocabulary of " + config.tokenizer());
  }

  @Override
  public void close() {
    tokenizer.close();
  }
}
