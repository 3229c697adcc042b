package org.clipsearch.encoders;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The Java encoders reproduce, to 1e-4, the embeddings that the fixture script computed in Python for the same
 * images and strings, for each bundle layout and engine: TorchScript, ONNX with mean pooling, Immich's ONNX layout.
 */
class EncoderGoldenTest {
  static final float TOLERANCE = 1e-4f;

  static Stream<String> bundles() {
    return Stream.of("tiny-torchscript", "tiny-onnx-meanpool", "tiny-immich");
  }

  static JsonNode golden(String bundle) throws Exception {
    return Fixtures.json(Fixtures.ROOT.resolve("golden.json")).path("bundles").path(bundle);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("bundles")
  void layoutIsDetected(String name) throws Exception {
    ModelBundle bundle = ModelBundle.load(Fixtures.MODELS.resolve(name));
    JsonNode golden = golden(name);
    assertEquals(golden.path("layout").asText(), bundle.layout().name().toLowerCase());
    assertEquals(16, bundle.embeddingDim());
    assertEquals((float) golden.path("logit_scale").asDouble(), bundle.logitScale());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("bundles")
  void imageEmbeddingsMatchPythonInBatchAndSingly(String name) throws Exception {
    JsonNode golden = golden(name);
    try (ClipModel model = ClipModel.load(Fixtures.MODELS.resolve(name))) {
      List<float[]> tensors = new ArrayList<>();
      List<BufferedImage> images = new ArrayList<>();
      List<float[]> expected = new ArrayList<>();
      for (JsonNode image : golden.path("images")) {
        tensors.add(Fixtures.readF32(Fixtures.ROOT.resolve(image.path("preprocess").asText())));
        images.add(Images.read(Fixtures.IMAGES.resolve(image.path("image").asText())));
        expected.add(Fixtures.floats(image.path("embedding")));
      }
      assertEquals(6, expected.size());

      // The model on Pillow's tensors: exactly Python's forward pass.
      float[][] batch = model.imageEncoder().encodePreprocessed(tensors);
      for (int i = 0; i < expected.size(); i++) {
        assertArrayEquals(expected.get(i), batch[i], TOLERANCE, name + " batch image " + i);
        float[] single = model.imageEncoder().encodePreprocessed(List.of(tensors.get(i)))[0];
        assertArrayEquals(expected.get(i), single, TOLERANCE, name + " single image " + i);
      }

      // The whole Java path, from the files: decoding and preprocessing are Pillow-exact for these images.
      float[][] fromFiles = model.encodeImages(images);
      for (int i = 0; i < expected.size(); i++) {
        float cosine = Vectors.dot(expected.get(i), fromFiles[i]);
        assertTrue(cosine > 0.9999f, name + " image " + i + " from file: cosine " + cosine);
        assertArrayEquals(fromFiles[i], model.encodeImage(images.get(i)), TOLERANCE, "single equals batch");
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("bundles")
  void textEmbeddingsAndTokensMatchPythonInBatchAndSingly(String name) throws Exception {
    JsonNode golden = golden(name);
    try (ClipModel model = ClipModel.load(Fixtures.MODELS.resolve(name))) {
      List<String> texts = new ArrayList<>();
      golden.path("texts").forEach(t -> texts.add(t.path("text").asText()));
      float[][] batch = model.encodeTexts(texts);
      int i = 0;
      for (JsonNode text : golden.path("texts")) {
        float[] expected = Fixtures.floats(text.path("embedding"));
        assertArrayEquals(expected, batch[i], TOLERANCE, name + " batch text '" + texts.get(i) + "'");
        assertArrayEquals(
            expected, model.encodeText(texts.get(i)), TOLERANCE, name + " single text '" + texts.get(i) + "'");
        long[] ids = model.textEncoder().tokenIds(texts.get(i));
        long maskLength = 0;
        for (JsonNode m : text.path("attention_mask")) {
          maskLength += m.asLong();
        }
        assertEquals(maskLength, ids.length, "unpadded length of '" + texts.get(i) + "'");
        assertArrayEquals(
            java.util.Arrays.copyOf(Fixtures.longs(text.path("input_ids")), ids.length), ids, "ids");
        i++;
      }
    }
  }
}
