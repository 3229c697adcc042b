package org.clipsearch.encoders;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The tokenizer.json built from OpenAI's BPE vocabulary gives exactly the ids of OpenAI's reference tokenizer. */
class TokenizerParityTest {
  @TempDir static Path dir;
  static TextTokenizer tokenizer;

  @BeforeAll
  static void build() throws Exception {
    Path json = Fixtures.clipTokenizerJson(dir);
    tokenizer =
        new TextTokenizer(
            new ModelBundle.TextTower(
                json, ModelBundle.Engine.PYTORCH, java.util.List.of("input_ids"), ModelBundle.TokenType.INT64,
                json, 77, ModelBundle.Padding.MAX_LENGTH, true, "!", ModelBundle.Pooling.NONE));
  }

  @AfterAll
  static void close() {
    tokenizer.close();
  }

  @Test
  void everyReferenceStringGetsOpenAisIds() throws Exception {
    JsonNode reference = Fixtures.json(Fixtures.clipReference().resolve("token-ids.json"));
    int checked = 0;
    for (Iterator<Map.Entry<String, JsonNode>> it = reference.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> entry = it.next();
      assertArrayEquals(
          Fixtures.longs(entry.getValue()), tokenizer.ids(entry.getKey()), "ids of '" + entry.getKey() + "'");
      checked++;
    }
    assertTrue(checked >= 10, "expected the reference list to hold strings, found " + checked);
  }

  @Test
  void longTextIsTruncatedTo77IdsEndingWithEndOfText() {
    String text = String.join(" ", java.util.Collections.nCopies(200, "word"));
    long[] ids = tokenizer.ids(text);
    assertEquals(77, ids.length);
    assertEquals(49406, ids[0]);
    assertEquals(49407, ids[76]);
  }

  @Test
  void shortTextIsPaddedWithThePadTokenAndMasked() {
    TokenBatch batch = tokenizer.encode(java.util.List.of("a dog"));
    assertEquals(77, batch.length());
    // "!" is id 0 in CLIP's vocabulary: OpenAI pads with zeros.
    assertEquals(0, batch.ids()[0][10]);
    assertEquals(1, batch.mask()[0][3]);
    assertEquals(0, batch.mask()[0][4]);
  }
}
