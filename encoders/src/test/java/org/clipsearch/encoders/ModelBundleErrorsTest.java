package org.clipsearch.encoders;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each kind of bad model or bad input gets an exception whose message names the problem. */
class ModelBundleErrorsTest {
  @TempDir Path dir;

  private static void assertMessage(Throwable e, String... parts) {
    for (String part : parts) {
      assertTrue(e.getMessage().contains(part), "message '" + e.getMessage() + "' should mention '" + part + "'");
    }
  }

  /** A copy of the TorchScript fixture with its manifest edited. */
  private Path bundleWith(Consumer<ObjectNode> edit) throws Exception {
    Path source = Fixtures.MODELS.resolve("tiny-torchscript");
    try (var files = Files.list(source)) {
      for (Path file : files.toList()) {
        Files.copy(file, dir.resolve(file.getFileName()));
      }
    }
    Path manifest = dir.resolve(ModelBundle.MANIFEST);
    ObjectNode root = (ObjectNode) Fixtures.json(manifest);
    edit.accept(root);
    Fixtures.JSON.writeValue(manifest.toFile(), root);
    return dir;
  }

  @Test
  void missingDirectory() {
    Path missing = dir.resolve("no-such-model");
    assertMessage(assertThrows(EncoderException.class, () -> ModelBundle.load(missing)),
        missing.toString(), "does not exist");
  }

  @Test
  void directoryWithoutModel() {
    assertMessage(assertThrows(EncoderException.class, () -> ModelBundle.load(dir)), "clipsearch-model.json", "Immich");
  }

  @Test
  void unreadableManifest() throws Exception {
    Files.writeString(dir.resolve(ModelBundle.MANIFEST), "{ not json");
    assertMessage(assertThrows(EncoderException.class, () -> ModelBundle.load(dir)), "not valid JSON");
  }

  @Test
  void missingField() throws Exception {
    Path bundle = bundleWith(root -> root.remove("embedding_dim"));
    assertMessage(assertThrows(EncoderException.class, () -> ModelBundle.load(bundle)),
        "missing field 'embedding_dim'");
  }

  @Test
  void missingTowerField() throws Exception {
    Path bundle = bundleWith(root -> ((ObjectNode) root.get("text")).remove("tokenizer"));
    assertMessage(assertThrows(EncoderException.class, () -> ModelBundle.load(bundle)), "text", "'tokenizer'");
  }

  @Test
  void missingModelFile() throws Exception {
    Path bundle = bundleWith(root -> ((ObjectNode) root.get("image")).put("file", "nothing.pt"));
    assertMessage(assertThrows(EncoderException.class, () -> ModelBundle.load(bundle)), "nothing.pt", "does not exist");
  }

  @Test
  void unknownEngineAndResizeMode() throws Exception {
    Path bundle = bundleWith(root -> ((ObjectNode) root.get("image")).put("engine", "TensorFlow"));
    assertMessage(assertThrows(EncoderException.class, () -> ModelBundle.load(bundle)), "TensorFlow", "PyTorch");
  }

  /** A pad limit must be a number of at least 1 and belong to resize_mode "pad"; a valid one is read. */
  @Test
  void badPadLimits() throws Exception {
    String[][] cases = {
        {"pad", "\"two\"", "pad_max_aspect must be a number"},
        {"pad", "0.5", "pad_max_aspect must be at least 1"},
        {"shortest", "2", "applies to resize_mode 'pad' only"}};
    for (String[] c : cases) {
      var limit = Fixtures.JSON.readTree(c[1]);
      Path bundle = bundleWith(root -> ((ObjectNode) root.get("image")).put("resize_mode", c[0])
          .set("pad_max_aspect", limit));
      assertMessage(assertThrows(EncoderException.class, () -> ModelBundle.load(bundle)), c[2]);
      try (var files = Files.list(dir)) {
        for (Path file : files.toList()) {
          Files.delete(file);
        }
      }
    }
    Path good = bundleWith(root -> ((ObjectNode) root.get("image")).put("resize_mode", "pad").put("pad_max_aspect", 2));
    ImagePreprocessing read = ModelBundle.load(good).image().preprocessing();
    assertTrue(read.pads(200, 100) && !read.pads(201, 100), "padded up to 2:1, cropped beyond: " + read);
  }

  @Test
  void dimensionThatDoesNotMatchTheModel() throws Exception {
    Path bundle = bundleWith(root -> root.put("embedding_dim", 8));
    try (ClipModel model = ClipModel.load(bundle)) {
      BufferedImage image = new BufferedImage(80, 60, BufferedImage.TYPE_INT_RGB);
      assertMessage(assertThrows(EncoderException.class, () -> model.encodeImage(image)), "16", "embedding_dim 8");
      assertMessage(assertThrows(EncoderException.class, () -> model.encodeText("a cat")), "16", "embedding_dim 8");
    }
  }

  @Test
  void emptyBatchesAndEmptyStrings() {
    try (ClipModel model = ClipModel.load(Fixtures.MODELS.resolve("tiny-torchscript"))) {
      assertMessage(assertThrows(EncoderException.class, () -> model.encodeImages(List.of())), "empty batch");
      assertMessage(assertThrows(EncoderException.class, () -> model.encodeTexts(List.of())), "empty batch");
      assertMessage(assertThrows(EncoderException.class, () -> model.encodeText("")), "empty");
      assertMessage(assertThrows(EncoderException.class, () -> model.encodeTexts(List.of("a cat", "  "))),
          "text 1", "empty");
    }
  }

  @Test
  void notAnImage() throws Exception {
    Path file = dir.resolve("fake.jpg");
    Files.writeString(file, "this is text, not a JPEG");
    assertMessage(assertThrows(java.io.IOException.class, () -> Images.read(file)), "not an image");
    Path empty = Files.createFile(dir.resolve("empty.png"));
    assertMessage(assertThrows(java.io.IOException.class, () -> Images.read(empty)), "empty");
  }
}
