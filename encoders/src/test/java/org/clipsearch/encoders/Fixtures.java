package org.clipsearch.encoders;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/** Where the committed fixtures (made by src/test/fixtures/make_fixtures.py) and ../shared lie. */
final class Fixtures {
  static final Path ROOT = Path.of("src/test/resources/fixtures").toAbsolutePath();
  static final Path IMAGES = ROOT.resolve("images");
  static final Path MODELS = ROOT.resolve("models");
  static final ObjectMapper JSON = new ObjectMapper();

  private Fixtures() {}

  static JsonNode json(Path file) throws IOException {
    return JSON.readTree(file.toFile());
  }

  static float[] floats(JsonNode array) {
    float[] values = new float[array.size()];
    for (int i = 0; i < values.length; i++) {
      values[i] = (float) array.get(i).asDouble();
    }
    return values;
  }

  static long[] longs(JsonNode array) {
    long[] values = new long[array.size()];
    for (int i = 0; i < values.length; i++) {
      values[i] = array.get(i).asLong();
    }
    return values;
  }

  static float[] readF32(Path file) throws IOException {
    ByteBuffer buffer = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
    float[] values = new float[buffer.remaining() / 4];
    buffer.asFloatBuffer().get(values);
    return values;
  }

  /**
   * OpenAI's CLIP reference files in ../shared (test data that must not be copied into the project). Their absence
   * fails the test rather than skipping it: a skipped parity test would pass for nothing.
   */
  static Path clipReference() {
    String configured = System.getProperty("clipsearch.shared.dir");
    Path shared = configured != null ? Path.of(configured) : Path.of("../../shared");
    Path reference = shared.resolve("clip-reference").toAbsolutePath().normalize();
    assertTrue(
        Files.isRegularFile(reference.resolve("bpe_simple_vocab_16e6.txt.gz")),
        "OpenAI's CLIP vocabulary not found at " + reference + " (expected ../shared beside the project)");
    return reference;
  }

  /** Builds CLIP's tokenizer.json from the shared vocabulary into {@code dir}. */
  static Path clipTokenizerJson(Path dir) throws IOException {
    Path out = dir.resolve("tokenizer.json");
    ClipBpeTokenizerJson.write(clipReference().resolve("bpe_simple_vocab_16e6.txt.gz"), out);
    return out;
  }

  static float maxAbsDiff(float[] a, float[] b) {
    float max = 0;
    for (int i = 0; i < a.length; i++) {
      max = Math.max(max, Math.abs(a[i] - b[i]));
    }
    return max;
  }
}
