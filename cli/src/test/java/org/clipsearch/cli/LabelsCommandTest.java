package org.clipsearch.cli;

import static org.clipsearch.cli.IndexCommandTest.FIXTURES;
import static org.clipsearch.cli.IndexCommandTest.MODEL;
import static org.clipsearch.cli.IndexCommandTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.clipsearch.api.LabelScore;
import org.clipsearch.cli.IndexCommandTest.Result;
import org.clipsearch.encoders.ClipModel;
import org.clipsearch.searcher.ImageSearcher;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code labels --tag}, {@code search --label} and the label counts of {@code stats}, run as users run them. */
class LabelsCommandTest {
  static final String LABELS = "beach,a forest at night,a mountain,the sea";

  @TempDir Path dir;

  static JsonNode json(Result r) throws Exception {
    assertEquals(0, r.exitCode(), r.err());
    return new ObjectMapper().readTree(r.out());
  }

  @Test
  void tagThenFilterAndCountByLabel() throws Exception {
    Path photos = Files.createDirectories(dir.resolve("photos"));
    for (String name : List.of("rgb.jpg", "grey.png", "alpha.png", "palette.gif", "cmyk.jpg", "exif-rotated.jpg")) {
      Files.copy(FIXTURES.resolve("images").resolve(name), photos.resolve(name));
    }
    String index = dir.resolve("index").toString();
    assertEquals(0, run("index", "--index", index, "--model", MODEL.toString(), photos.toString()).exitCode());
    JsonNode untagged = json(run("stats", "--index", index, "--json"));
    assertEquals(0, untagged.path("tagged").asInt());
    assertEquals(0, untagged.path("labels").size());

    JsonNode tagged = json(run("labels", "--index", index, "--model", MODEL.toString(), "--labels", LABELS,
        "--tag", "--tag-top", "2", "--json"));
    assertEquals(6, tagged.path("tagged").path("images").asInt(), tagged.toString());
    assertEquals(2, tagged.path("tagged").path("top").asInt());
    assertEquals(4, tagged.path("labels").size(), "the label search listing is printed as before");

    // What the index holds, read back through the library.
    Map<String, Set<String>> byLabel = new HashMap<>();
    long tags = 0;
    try (ClipModel model = ClipModel.load(MODEL);
        ImageSearcher searcher = ImageSearcher.open(Path.of(index), model)) {
      try (var files = Files.list(photos)) {
        for (Path p : files.toList()) {
          List<LabelScore> list = searcher.tags(p.toString());
          assertTrue(list.size() >= 1 && list.size() <= 2, p + ": " + list);
          tags += list.size();
          list.forEach(t -> byLabel.computeIfAbsent(t.label(), x -> new HashSet<>()).add(p.toString()));
        }
      }
    }

    JsonNode stats = json(run("stats", "--index", index, "--json"));
    assertEquals(6, stats.path("tagged").asInt());
    long sum = 0;
    for (var e : byLabel.entrySet()) {
      assertEquals(e.getValue().size(), stats.path("labels").path(e.getKey()).asInt(), e.getKey());
      assertEquals(e.getValue().size(), tagged.path("tagged").path("counts").path(e.getKey()).asInt(), e.getKey());
      sum += stats.path("labels").path(e.getKey()).asInt();
    }
    assertEquals(tags, sum);
    Result plain = run("stats", "--index", index);
    assertTrue(plain.out().lines().anyMatch(l -> l.matches("tagged:\\s+6 of 6 images.*")), plain.out());
    String first = byLabel.keySet().iterator().next();
    assertTrue(plain.out().lines().anyMatch(l -> l.matches("\\s+" + first + "\\s+" + byLabel.get(first).size())),
        plain.out());

    for (String label : LABELS.split(",")) {
      JsonNode hits = json(run("search", "--index", index, "--model", MODEL.toString(), "--label", label, "--k",
          "50", "--json", "a picture")).path("hits");
      Set<String> found = new HashSet<>();
      hits.forEach(h -> found.add(h.path("path").asText()));
      assertEquals(byLabel.getOrDefault(label, Set.of()), found, label);
    }
    JsonNode jpegs = json(run("search", "--index", index, "--model", MODEL.toString(), "--label", first,
        "--format", "jpeg", "--k", "50", "--json", "a picture")).path("hits");
    jpegs.forEach(h -> assertTrue(byLabel.get(first).contains(h.path("path").asText())
        && h.path("format").asText().equals("jpeg"), h.toString()));

    // "jpg" is the file-name spelling of the format the index records as "jpeg"; names no index holds are refused,
    // and so are dates past the years 0 to 9999 (they used to overflow: "long overflow", exit status 1).
    JsonNode jpgs = json(run("search", "--index", index, "--model", MODEL.toString(), "--label", first,
        "--format", "JPG", "--k", "50", "--json", "a picture")).path("hits");
    assertEquals(jpegs, jpgs);
    for (String[] filter : new String[][] {{"--format", "bogus"}, {"--from", "-999999999-01-01"},
        {"--to", "+999999999-12-31"}, {"--from", "+1000000000-01-01T00:00:00Z"}}) {
      Result refused = run("search", "--index", index, "--model", MODEL.toString(), filter[0], filter[1],
          "a picture");
      assertEquals(2, refused.exitCode(), String.join(" ", filter) + ": " + refused.err());
      assertTrue(refused.err().startsWith("clipsearch: error: "), refused.err());
      assertFalse(refused.err().contains("overflow") || refused.err().contains("\tat "), refused.err());
    }

    Result bad = run("labels", "--index", index, "--model", MODEL.toString(), "--labels", LABELS, "--tag",
        "--tag-top", "0");
    assertEquals(2, bad.exitCode(), bad.err());
    assertTrue(bad.err().contains("clipsearch: error: the number of labels per image"), bad.err());
  }
}
