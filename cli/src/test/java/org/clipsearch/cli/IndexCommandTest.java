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
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.clipsearch.indexer.lucene.HnswSettings;
import org.clipsearch.indexer.lucene.LuceneImageStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code clipsearch index} and {@code clipsearch stats}, run in-process as users run them, on real files. */
class IndexCommandTest {
  static final Path FIXTURES = Path.of("../encoders/src/test/resources/fixtures").toAbsolutePath().normalize();
  static final Path MODEL = FIXTURES.resolve("models/tiny-torchscript");
  static final Path OTHER_MODEL = FIXTURES.resolve("models/tiny-onnx-meanpool");

  @TempDir Path dir;

  /** What a run printed: {@code err} holds picocli's error writer and System.err (log lines, skipped files). */
  record Result(int exitCode, String out, String err) {}

  static Result run(String... args) {
    PrintStream originalOut = System.out;
    PrintStream originalErr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream systemErr = new ByteArrayOutputStream();
    StringWriter err = new StringWriter();
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(systemErr, true, StandardCharsets.UTF_8));
      // The streams are replaced first: picocli may make writers of System.err while it runs.
      CommandLine cli = Main.commandLine();
      cli.setErr(new PrintWriter(err, true));
      int code = cli.execute(args);
      return new Result(code, out.toString(StandardCharsets.UTF_8),
          err + systemErr.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(originalOut);
      System.setErr(originalErr);
    }
  }

  /** Two fixture images under {@code dir}/photos, one in a subfolder. */
  static Path photos(Path dir) throws Exception {
    Path photos = Files.createDirectories(dir.resolve("photos"));
    Files.copy(FIXTURES.resolve("images/rgb.jpg"), photos.resolve("rgb.jpg"));
    Files.copy(FIXTURES.resolve("images/grey.png"), Files.createDirectories(photos.resolve("sub")).resolve("grey.png"));
    return photos;
  }

  static JsonNode stats(Path index) throws Exception {
    Result stats = run("stats", "--index", index.toString(), "--json");
    assertEquals(0, stats.exitCode(), stats.err());
    return new ObjectMapper().readTree(stats.out());
  }

  @Test
  void aCleanRunExitsZeroAndStatsCountsTheImages() throws Exception {
    Path photos = photos(dir);
    Path index = dir.resolve("index");
    Result result = run("index", "--index", index.toString(), "--model", MODEL.toString(), "--threads", "2",
        photos.toString());
    assertEquals(0, result.exitCode(), result.err());
    assertFalse(result.err().contains("skipped"), result.err());

    JsonNode stats = stats(index);
    assertEquals(2, stats.path("images").asInt(), stats.toString());
    assertEquals("fixture-tiny-torchscript", stats.path("model").path("name").asText());
    assertEquals(16, stats.path("model").path("dimension").asInt());
    assertEquals("float", stats.path("vector_format").asText());
    assertTrue(stats.path("size_bytes").asLong() > 0);
    assertFalse(stats.path("last_commit").isNull());

    // The plain form says the same for people.
    Result plain = run("stats", "--index", index.toString());
    assertEquals(0, plain.exitCode());
    assertTrue(plain.out().lines().anyMatch(l -> l.matches("images:\\s+2")), plain.out());

    // Again: nothing to do, still success.
    Result again = run("index", "--index", index.toString(), "--model", MODEL.toString(), photos.toString());
    assertEquals(0, again.exitCode(), again.err());
    assertEquals(2, stats(index).path("images").asInt());
  }

  @Test
  void aLaterRunWithoutHnswOptionsKeepsTheIndexsVectorFormat() throws Exception {
    Path photos = photos(dir);
    Path index = dir.resolve("index");
    Result first = run("index", "--index", index.toString(), "--model", MODEL.toString(), "--vector-format", "int7",
        "--hnsw-m", "8", photos.toString());
    assertEquals(0, first.exitCode(), first.err());
    assertEquals("int7", stats(index).path("vector_format").asText());

    Files.copy(FIXTURES.resolve("images/rgb.jpg"), photos.resolve("copy.jpg"));
    Result second = run("index", "--index", index.toString(), "--model", MODEL.toString(), photos.toString());
    assertEquals(0, second.exitCode(), second.err());
    assertTrue(second.err().contains("HNSW M=8 beam=100 format=int7"), "settings logged at start: " + second.err());
    JsonNode stats = stats(index);
    assertEquals(3, stats.path("images").asInt());
    assertEquals("int7", stats.path("vector_format").asText(), "not the default float");

    Result explicit = run("index", "--index", index.toString(), "--model", MODEL.toString(), "--vector-format",
        "float", photos.toString());
    assertEquals(0, explicit.exitCode(), explicit.err());
    assertTrue(explicit.err().contains("HNSW M=8 beam=100 format=float"), explicit.err());
  }

  @Test
  void aFailedFileMakesTheExitStatusOneAndIsWrittenToTheErrorsFile() throws Exception {
    Path photos = photos(dir);
    Path notAnImage = Files.writeString(photos.resolve("notes.jpg"), "shopping list, not a photo\n");
    Path empty = Files.write(photos.resolve("sub/empty.png"), new byte[0]);
    Path index = dir.resolve("index");
    Path errors = dir.resolve("errors.jsonl");

    Result result = run("index", "--index", index.toString(), "--model", MODEL.toString(), "--errors",
        errors.toString(), photos.toString());
    assertEquals(1, result.exitCode(), "a file failed: " + result.err());
    assertTrue(result.err().contains("clipsearch: skipped " + notAnImage), result.err());
    assertTrue(result.err().contains("clipsearch: skipped " + empty + ": empty file"), result.err());

    List<String> lines = Files.readAllLines(errors, StandardCharsets.UTF_8);
    assertEquals(2, lines.size(), lines.toString());
    Map<String, String> reasons = new HashMap<>();
    ObjectMapper json = new ObjectMapper();
    for (String line : lines) {
      JsonNode node = json.readTree(line);
      assertTrue(node.path("reason").isTextual() && !node.path("reason").asText().isBlank(), line);
      reasons.put(node.path("path").asText(), node.path("reason").asText());
    }
    assertEquals("empty file", reasons.get(empty.toString()), reasons.toString());
    assertTrue(reasons.get(notAnImage.toString()).contains("not an image"), reasons.toString());
    assertEquals(2, stats(index).path("images").asInt(), "the good images are indexed all the same");

    // The bad files are still there: the next run fails again, and without --errors too.
    Result again = run("index", "--index", index.toString(), "--model", MODEL.toString(), photos.toString());
    assertEquals(1, again.exitCode(), again.err());
    // Gone: success.
    Files.delete(notAnImage);
    Files.delete(empty);
    Result clean = run("index", "--index", index.toString(), "--model", MODEL.toString(), "--errors",
        errors.toString(), photos.toString());
    assertEquals(0, clean.exitCode(), clean.err());
    assertEquals(0, Files.size(errors), "the errors file of a clean run is empty");
  }

  @Test
  void anotherModelALockedIndexAForeignIndexAndAMissingIndexAreOneLineErrors() throws Exception {
    Path photos = photos(dir);
    Path index = dir.resolve("index");
    assertEquals(0, run("index", "--index", index.toString(), "--model", MODEL.toString(), photos.toString())
        .exitCode());

    Result mismatch = run("index", "--index", index.toString(), "--model", OTHER_MODEL.toString(), photos.toString());
    assertEquals(2, mismatch.exitCode(), mismatch.err());
    assertTrue(mismatch.err().contains("clipsearch: error: ") && mismatch.err().contains("--reindex"),
        mismatch.err());
    assertFalse(mismatch.err().contains("\tat "), "no stack trace: " + mismatch.err());
    Result reindexed = run("index", "--index", index.toString(), "--model", OTHER_MODEL.toString(), "--reindex",
        photos.toString());
    assertEquals(0, reindexed.exitCode(), reindexed.err());
    assertEquals("fixture-tiny-onnx-meanpool", stats(index).path("model").path("name").asText());

    try (LuceneImageStore other = LuceneImageStore.open(index, HnswSettings.DEFAULT)) {
      assertEquals(index.toAbsolutePath().normalize(), other.path(), "another writer holds this index");
      Result locked = run("index", "--index", index.toString(), "--model", OTHER_MODEL.toString(),
          photos.toString());
      assertEquals(2, locked.exitCode(), locked.err());
      assertTrue(locked.err().contains("locked"), locked.err());
      assertFalse(locked.err().contains("\tat "), "no stack trace: " + locked.err());
      assertEquals(2, stats(index).path("images").asInt(), "stats reads while another writer holds the lock");
    }

    Path foreign = Files.createDirectories(dir.resolve("foreign"));
    Files.writeString(foreign.resolve("segments_1"), "not a Lucene segments file");
    for (String command : List.of("index", "stats")) {
      Result unreadable = command.equals("index")
          ? run("index", "--index", foreign.toString(), "--model", MODEL.toString(), photos.toString())
          : run("stats", "--index", foreign.toString());
      assertEquals(2, unreadable.exitCode(), unreadable.err());
      assertTrue(unreadable.err().contains("clipsearch: error: the index at " + foreign), unreadable.err());
      assertFalse(unreadable.err().contains("\tat "), "no stack trace: " + unreadable.err());
    }

    Result missing = run("stats", "--index", dir.resolve("nowhere").toString(), "--json");
    assertEquals(2, missing.exitCode());
    assertTrue(missing.err().contains("no clipsearch index here"), missing.err());
    assertFalse(java.nio.file.Files.exists(dir.resolve("nowhere")), "stats must not create the folder it was given");
  }
}
