package org.clipsearch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.clipsearch.cli.IndexCommandTest.Result;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Arguments a command cannot run with are the command's error, said once, with exit status 2 and no stack trace,
 * before any work: cases a new-user QA pass found answered with an internal message, with every image skipped one by
 * one, with a wrong result, or not at all.
 */
class ArgumentErrorsTest {
  static final String MODEL = IndexCommandTest.MODEL.toString();

  @TempDir Path dir;

  private static void assertArgumentError(Result r, String expected) {
    assertEquals(2, r.exitCode(), r.out() + r.err());
    assertTrue(r.err().startsWith("clipsearch: error: ") && r.err().contains(expected), r.err());
    assertFalse(r.err().contains("\tat "), "no stack trace: " + r.err());
  }

  @Test
  void pagesAndCandidatesBeyondTheirLimits() throws Exception {
    String index = dir.resolve("index").toString();
    Result built = IndexCommandTest.run("index", "--index", index, "--model", MODEL,
        IndexCommandTest.photos(dir).toString());
    assertEquals(0, built.exitCode(), built.err());
    // These overflowed k + offset inside the searcher and came back as "k must be at least 1, got: -2147483500".
    assertArgumentError(IndexCommandTest.run("search", "--index", index, "--model", MODEL, "--offset",
        "2147483640", "--k", "1", "a picture"), "offset must be between 0 and");
    assertArgumentError(IndexCommandTest.run("search", "--index", index, "--model", MODEL, "--candidates",
        "2147483647", "a picture"), "candidates must be between 0");
    assertArgumentError(IndexCommandTest.run("search", "--index", index, "--model", MODEL, "--candidates", "-3",
        "a picture"), "candidates must be between 0");
    // k = 0 listed every label with "0 images".
    assertArgumentError(IndexCommandTest.run("labels", "--index", index, "--model", MODEL, "--labels", "a,b",
        "--k", "0"), "--k must be between 1 and");
  }

  @Test
  void classifyChecksItsLabelsTemplatesAndTopOnceBeforeAnyImage() throws Exception {
    Path photos = IndexCommandTest.photos(dir);
    Result template = IndexCommandTest.run("classify", "--model", MODEL, "--labels", "a cat,a dog", "--template",
        "a photo", photos.toString());
    assertArgumentError(template, "has no {}");
    assertFalse(template.err().contains("skipped"), "said once, not per image: " + template.err());
    assertArgumentError(IndexCommandTest.run("classify", "--model", MODEL, "--labels", "a cat,a dog", "--top", "0",
        photos.toString()), "--top must be at least 1");
  }

  @Test
  // A separate thread: a blocked open of a FIFO does not answer an interrupt, so the test fails instead of hanging.
  @Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void aNamedPipeIsSkippedNotWaitedOn() throws Exception {
    Path pipe = dir.resolve("pipe.png");
    Process mkfifo = new ProcessBuilder("mkfifo", pipe.toString()).inheritIO().start();
    assertEquals(0, mkfifo.waitFor(), "mkfifo");
    Path photos = IndexCommandTest.photos(dir);
    Result r = IndexCommandTest.run("classify", "--model", MODEL, "--labels", "a cat,a dog", pipe.toString(),
        photos.resolve("rgb.jpg").toString());
    assertEquals(1, r.exitCode(), "one input failed: " + r.err());
    assertTrue(r.err().contains("skipped " + pipe + ": ") && r.err().contains("not a regular file"), r.err());
    assertTrue(r.out().contains("rgb.jpg"), "the other image is classified: " + r.out());
    assertTrue(List.of(r.out().split("\n")).stream().noneMatch(l -> l.contains("pipe.png")), r.out());
  }

  @Test
  void aTruncatedImageIsRefusedByClassifyAsByTheIndexer() throws Exception {
    Path photos = IndexCommandTest.photos(dir);
    byte[] whole = java.nio.file.Files.readAllBytes(photos.resolve("rgb.jpg"));
    Path half = java.nio.file.Files.write(dir.resolve("half.jpg"), java.util.Arrays.copyOf(whole, whole.length / 2));
    Result r = IndexCommandTest.run("classify", "--model", MODEL, "--labels", "a cat,a dog", half.toString(),
        photos.resolve("rgb.jpg").toString());
    assertEquals(1, r.exitCode(), r.err());
    assertTrue(r.err().contains("skipped " + half + ": corrupt or truncated jpeg"), r.err());
    assertTrue(r.out().contains("rgb.jpg") && !r.out().contains("half.jpg"), r.out());
  }

  @Test
  void everyCommandTellsItsVersion() {
    String top = IndexCommandTest.run("--version").out().strip();
    assertTrue(top.startsWith("clipsearch "), top);
    for (String command : List.of("index", "search", "serve", "classify")) {
      Result r = IndexCommandTest.run(command, "-V");
      assertEquals(0, r.exitCode(), r.err());
      assertEquals(top, r.out().strip(), command + " -V");
    }
  }
}
