package org.clipsearch.encoders;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Java's pixel tensors match Pillow's (through the committed script's golden output) for JPEG with EXIF rotation,
 * PNG with alpha, greyscale, CMYK JPEG and a palette GIF, in two preprocessing configurations.
 */
class PreprocessingParityTest {
  static final Path PREPROCESS = Fixtures.ROOT.resolve("preprocess");

  static Stream<JsonNode> entries() throws Exception {
    List<JsonNode> entries = new ArrayList<>();
    Fixtures.json(PREPROCESS.resolve("index.json")).path("entries").forEach(entries::add);
    assertTrue(entries.size() >= 6, "golden preprocessing entries missing");
    return entries.stream();
  }

  static ImagePreprocessing config(JsonNode params) {
    return new ImagePreprocessing(
        params.path("size").get(0).asInt(),
        params.path("size").get(1).asInt(),
        ImagePreprocessing.ResizeMode.parse(params.path("resize_mode").asText()),
        ImagePreprocessing.Interpolation.parse(params.path("interpolation").asText()),
        Fixtures.floats(params.path("mean")),
        Fixtures.floats(params.path("std")),
        params.path("pad_max_aspect").asDouble(0));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("entries")
  void matchesPillowWithinOneLevelOnAverage(JsonNode entry) throws Exception {
    BufferedImage image = Images.read(Fixtures.IMAGES.resolve(entry.path("image").asText()));
    assertEquals(entry.path("loaded_size").get(0).asInt(), image.getHeight(), "height after EXIF orientation");
    assertEquals(entry.path("loaded_size").get(1).asInt(), image.getWidth(), "width after EXIF orientation");

    ImagePreprocessing config = config(entry.path("params"));
    float[] expected = Fixtures.readF32(PREPROCESS.resolve(entry.path("file").asText()));
    float[] actual = new ImagePreprocessor(config).toTensor(image);
    assertEquals(expected.length, actual.length);

    // Compare in 8-bit levels: undo the normalisation's division by std.
    float[] std = config.std();
    int plane = config.height() * config.width();
    double sum = 0;
    double max = 0;
    for (int i = 0; i < actual.length; i++) {
      double levels = Math.abs(actual[i] - expected[i]) * std[i / plane] * 255;
      sum += levels;
      max = Math.max(max, levels);
    }
    double mean = sum / actual.length;
    assertTrue(mean <= 1.0, entry.path("file").asText() + ": mean difference " + mean + " levels (max " + max + ")");
  }
}
