package org.clipsearch.encoders;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import org.junit.jupiter.api.Test;

/**
 * A bundle on the classpath is unpacked once into the cache, with files named by a leading '/' taken from the
 * classpath root (here MiniLM's ONNX file and tokenizer from the langchain4j artifact).
 */
class ClasspathBundleTest {
  @Test
  void textOnlyBundleFromTheClasspathRoot() throws Exception {
    ModelBundle bundle = ModelBundle.resolve("classpath:org/clipsearch/models/minilm-l6-v2");
    assertNull(bundle.image(), "text-only bundle");
    assertEquals(384, bundle.embeddingDim());
    assertEquals("all-minilm-l6-v2-q.onnx", bundle.text().file().getFileName().toString());
    assertTrue(Files.size(bundle.text().file()) > 1_000_000, "the ONNX file was unpacked whole");
    assertEquals(bundle.directory(), ModelBundle.resolve("classpath:org/clipsearch/models/minilm-l6-v2").directory());

    EncoderException e = assertThrows(EncoderException.class, () -> ClipModel.load(bundle));
    assertTrue(e.getMessage().contains("no image tower"), e.getMessage());

    try (TextEncoder encoder = new TextEncoder(bundle)) {
      float[][] v = encoder.encode(java.util.List.of("a photo of a cat", "a cat", "a red sports car on a road"));
      assertEquals(384, v[0].length);
      // A sentence encoder puts the two cat sentences closer together than either is to the car.
      assertTrue(Vectors.dot(v[0], v[1]) > Vectors.dot(v[0], v[2]) + 0.2f);
    }
  }

  @Test
  void missingClasspathBundle() {
    EncoderException e =
        assertThrows(EncoderException.class, () -> ModelBundle.resolve("classpath:org/clipsearch/models/nothing"));
    assertTrue(e.getMessage().contains("org/clipsearch/models/nothing"), e.getMessage());
  }
}
