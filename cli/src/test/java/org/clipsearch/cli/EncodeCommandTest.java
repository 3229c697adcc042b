package org.clipsearch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.clipsearch.encoders.ClipModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The encode command, run as users run it, on the encoders module's fixture model and images. */
class EncodeCommandTest {
  static final Path FIXTURES = Path.of("../encoders/src/test/resources/fixtures").toAbsolutePath().normalize();
  static final Path MODEL = FIXTURES.resolve("models/tiny-torchscript");

  record Result(int exitCode, String out, String err) {}

  static Result run(String... args) {
    PrintStream originalOut = System.out;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    StringWriter err = new StringWriter();
    CommandLine cli = Main.commandLine();
    cli.setErr(new PrintWriter(err, true));
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      int code = cli.execute(args);
      return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString());
    } finally {
      System.setOut(originalOut);
    }
  }

  @Test
  void printsUnitVectorsForImagesAndTexts() throws Exception {
    Result result =
        run("encode", "--model", MODEL.toString(), "-t", "a photo of a cat",
            FIXTURES.resolve("images/rgb.jpg").toString());
    assertEquals(0, result.exitCode(), result.err());
    List<String> lines = result.out().lines().toList();
    assertEquals(2, lines.size(), result.out());
    ObjectMapper json = new ObjectMapper();
    JsonNode image = json.readTree(lines.get(0));
    JsonNode text = json.readTree(lines.get(1));
    assertTrue(image.path("image").asText().endsWith("rgb.jpg"));
    assertEquals("a photo of a cat", text.path("text").asText());
    for (JsonNode node : List.of(image, text)) {
      assertEquals(16, node.path("vector").size());
      double norm = 0;
      for (JsonNode v : node.path("vector")) {
        norm += v.asDouble() * v.asDouble();
      }
      assertEquals(1.0, norm, 1e-5);
    }
  }

  @Test
  void textsFileIsWrittenAsFloat32Rows(@TempDir Path dir) throws Exception {
    Path captions = Files.writeString(dir.resolve("captions.txt"), "a red car\n\na cat\nthe blue dog\n");
    Path out = dir.resolve("captions.f32");
    Result result = run("encode", "--model", MODEL.toString(), "--texts-file", captions.toString(),
        "--out", out.toString(), "--batch", "2");
    assertEquals(0, result.exitCode(), result.err());
    ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(out)).order(ByteOrder.LITTLE_ENDIAN);
    assertEquals(3 * 16 * 4, bytes.remaining());
    try (ClipModel model = ClipModel.load(MODEL)) {
      float[] expected = model.encodeText("a cat");
      for (int d = 0; d < 16; d++) {
        assertEquals(expected[d], bytes.getFloat((16 + d) * 4), 1e-6f, "row 2 is the second non-empty line");
      }
    }
  }

  @Test
  void badInputGetsOneLineAndAnExitStatus(@TempDir Path dir) throws Exception {
    Result missingModel = run("encode", "--model", dir.resolve("nope").toString(), "-t", "x");
    assertEquals(2, missingModel.exitCode());
    assertTrue(missingModel.err().startsWith("clipsearch: error: model directory"), missingModel.err());
    assertFalse(missingModel.err().contains("\tat "), "no stack trace: " + missingModel.err());

    Path notImage = Files.writeString(dir.resolve("notes.jpg"), "not an image");
    Result skipped = run("encode", "--model", MODEL.toString(), notImage.toString(),
        FIXTURES.resolve("images/grey.png").toString());
    assertEquals(1, skipped.exitCode(), "a skipped file makes the run fail");
    assertEquals(1, skipped.out().lines().count(), "the good image is still encoded");

    Result nothing = run("encode", "--model", MODEL.toString());
    assertEquals(2, nothing.exitCode());
    assertTrue(nothing.err().contains("nothing to encode"), nothing.err());
  }
}
