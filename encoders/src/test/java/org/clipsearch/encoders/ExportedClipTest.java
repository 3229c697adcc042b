package org.clipsearch.encoders;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A CLIP ViT of OpenAI's architecture, randomly initialised and exported by encoders/export/export_clip.py through
 * the same path as real checkpoints, loads in Java and gives Python's embeddings; its tokenizer.json is built from
 * OpenAI's vocabulary at test time, so the text side checks tokenizer and model together.
 */
class ExportedClipTest {
  static final Path EXPORT = Fixtures.MODELS.resolve("random-vit-export");

  @Test
  void exportedBundleReproducesPythonEmbeddings(@TempDir Path dir) throws Exception {
    for (String file : List.of(ModelBundle.MANIFEST, "image.pt", "text.pt")) {
      Files.copy(EXPORT.resolve(file), dir.resolve(file));
    }
    Fixtures.clipTokenizerJson(dir);
    JsonNode golden = Fixtures.json(EXPORT.resolve("golden.json"));
    try (ClipModel model = ClipModel.load(dir)) {
      assertEquals(golden.path("embedding_dim").asInt(), model.dimension());

      List<float[]> inputs = new ArrayList<>();
      for (JsonNode image : golden.path("images")) {
        inputs.add(Fixtures.floats(image.path("input")));
      }
      float[][] vectors = model.imageEncoder().encodePreprocessed(inputs);
      int i = 0;
      for (JsonNode image : golden.path("images")) {
        float[] expected = Fixtures.floats(image.path("embedding"));
        assertArrayEquals(expected, vectors[i++], 1e-4f, image.path("name").asText());
        // And from the raw pixels, through the Java preprocessing (resize and centre crop for the 48x40 image).
        BufferedImage rgb = toImage(image);
        assertArrayEquals(expected, model.encodeImage(rgb), 1e-3f, image.path("name").asText() + " from pixels");
      }

      List<String> texts = new ArrayList<>();
      golden.path("texts").forEach(t -> texts.add(t.path("text").asText()));
      float[][] textVectors = model.encodeTexts(texts);
      i = 0;
      for (JsonNode text : golden.path("texts")) {
        assertArrayEquals(
            Fixtures.longs(text.path("input_ids")), model.textEncoder().tokenIds(texts.get(i)), "ids");
        assertArrayEquals(Fixtures.floats(text.path("embedding")), textVectors[i], 1e-4f, texts.get(i));
        i++;
      }
    }
  }

  private static BufferedImage toImage(JsonNode image) {
    int w = image.path("width").asInt();
    int h = image.path("height").asInt();
    JsonNode pixels = image.path("pixels");
    BufferedImage rgb = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int p = (y * w + x) * 3;
        rgb.setRGB(x, y, pixels.get(p).asInt() << 16 | pixels.get(p + 1).asInt() << 8 | pixels.get(p + 2).asInt());
      }
    }
    return rgb;
  }
}
