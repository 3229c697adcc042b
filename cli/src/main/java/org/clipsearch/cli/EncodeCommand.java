package org.clipsearch.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.clipsearch.encoders.EncoderException;
import org.clipsearch.encoders.ImageEncoder;
import org.clipsearch.encoders.Images;
import org.clipsearch.encoders.ModelBundle;
import org.clipsearch.encoders.TextEncoder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Embeds images and texts and prints their vectors. Also the tool that embeds a file of captions once for training
 * (one caption a line, written as raw float32 rows), since the text tower is frozen there.
 */
@Command(
    name = "encode",
    mixinStandardHelpOptions = true,
    description = "Embed images and texts with the model and print their unit-length vectors as JSON lines.")
final class EncodeCommand implements Callable<Integer> {
  private static final Logger LOG = LoggerFactory.getLogger(EncodeCommand.class);

  @Mixin ModelOptions modelOptions = new ModelOptions();

  @Option(names = {"-t", "--text"}, paramLabel = "TEXT", description = "A text to embed (repeatable).")
  List<String> texts = new ArrayList<>();

  @ArgGroup(exclusive = false)
  TextsFile textsFile;

  static final class TextsFile {
    @Option(
        names = "--texts-file",
        required = true,
        paramLabel = "FILE",
        description = "Embed every non-empty line of FILE (UTF-8).")
    Path file;

    @Option(
        names = "--out",
        paramLabel = "FILE",
        description = "Write the texts-file vectors to FILE as raw little-endian float32 rows instead of JSON.")
    Path out;
  }

  @Option(names = "--batch", defaultValue = "64", description = "Batch size (default: ${DEFAULT-VALUE}).")
  int batch;

  @Parameters(paramLabel = "IMAGE", description = "Image files to embed.")
  List<Path> images = new ArrayList<>();

  @Override
  public Integer call() throws IOException {
    if (batch <= 0) {
      throw new IllegalArgumentException("--batch must be positive, got " + batch);
    }
    if (texts.isEmpty() && images.isEmpty() && textsFile == null) {
      throw new IllegalArgumentException("nothing to encode: give IMAGE files, --text or --texts-file");
    }
    PrintStream out = System.out;
    ObjectMapper json = new ObjectMapper().configure(JsonGenerator.Feature.AUTO_CLOSE_TARGET, false);
    int failures = 0;
    ModelBundle bundle = modelOptions.bundle();
    LOG.info(
        "model {} ({} layout, {} dimensions, image {}, text on {})",
        bundle.name(),
        bundle.layout(),
        bundle.embeddingDim(),
        bundle.image() == null ? "none" : bundle.image().preprocessing() + " on " + bundle.image().engine().djlName(),
        bundle.text().engine().djlName());
    if (!images.isEmpty()) {
      if (bundle.image() == null) {
        throw new EncoderException("model " + bundle.name() + " has no image tower; it embeds texts only");
      }
      try (ImageEncoder encoder = new ImageEncoder(bundle)) {
        for (Path image : images) {
          BufferedImage decoded;
          try {
            decoded = Images.read(image);
          } catch (IOException | RuntimeException e) {
            System.err.println("clipsearch: skipped " + image + ": " + describe(e));
            failures++;
            continue;
          }
          printJson(json, out, "image", image.toString(), encoder.encode(decoded));
        }
      }
    }
    if (!texts.isEmpty() || textsFile != null) {
      try (TextEncoder encoder = new TextEncoder(bundle)) {
        for (int i = 0; i < texts.size(); i += batch) {
          List<String> chunk = texts.subList(i, Math.min(texts.size(), i + batch));
          float[][] vectors = encoder.encode(chunk);
          for (int j = 0; j < chunk.size(); j++) {
            printJson(json, out, "text", chunk.get(j), vectors[j]);
          }
        }
        if (textsFile != null) {
          encodeTextsFile(encoder, json, out);
        }
      }
    }
    out.flush();
    return failures == 0 ? 0 : 1;
  }

  private void encodeTextsFile(TextEncoder model, ObjectMapper json, PrintStream out) throws IOException {
    List<String> lines =
        Files.readAllLines(textsFile.file, StandardCharsets.UTF_8).stream()
            .map(String::strip)
            .filter(line -> !line.isEmpty())
            .toList();
    if (lines.isEmpty()) {
      throw new EncoderException(textsFile.file + " holds no text");
    }
    OutputStream binary = textsFile.out == null ? null : new BufferedOutputStream(Files.newOutputStream(textsFile.out));
    try {
      ByteBuffer row = ByteBuffer.allocate(4 * model.dimension()).order(ByteOrder.LITTLE_ENDIAN);
      for (int i = 0; i < lines.size(); i += batch) {
        List<String> chunk = lines.subList(i, Math.min(lines.size(), i + batch));
        float[][] vectors = model.encode(chunk);
        for (int j = 0; j < chunk.size(); j++) {
          if (binary != null) {
            row.clear();
            row.asFloatBuffer().put(vectors[j]);
            binary.write(row.array());
          } else {
            printJson(json, out, "text", chunk.get(j), vectors[j]);
          }
        }
        if (binary != null) {
          LOG.info("embedded {} of {} texts", Math.min(lines.size(), i + batch), lines.size());
        }
      }
    } finally {
      if (binary != null) {
        binary.close();
      }
    }
  }

  private static String describe(Exception e) {
    if (e instanceof java.nio.file.NoSuchFileException) {
      return "no such file";
    }
    if (e instanceof java.nio.file.AccessDeniedException) {
      return "permission denied";
    }
    return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
  }

  private static void printJson(ObjectMapper json, PrintStream out, String kind, String input, float[] vector)
      throws IOException {
    var node = json.createObjectNode();
    node.put(kind, input);
    var array = node.putArray("vector");
    for (float v : vector) {
      array.add(v);
    }
    json.writeValue(out, node);
    out.println();
  }
}
