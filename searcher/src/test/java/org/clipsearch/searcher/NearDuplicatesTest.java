package org.clipsearch.searcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.clipsearch.api.SearchHit;
import org.clipsearch.indexer.ImageIndexer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Near-duplicates on a small index of its own: a byte-identical copy of one file in another folder, a PNG and a JPEG
 * of one drawing, and distinct drawings. Groups are checked against connected components computed here from the
 * files' hashes and the exact pairwise cosines.
 */
class NearDuplicatesTest {
  static Path photos;
  static Path index;
  static BruteForce brute;
  static ImageSearcher searcher;
  static Path original;
  static Path copy;
  static Path drawingPng;
  static Path drawingJpeg;

  @BeforeAll
  static void build() throws IOException {
    Path root = TestFiles.scratch("searcher-duplicates");
    photos = root.resolve("photos");
    Instant t = Instant.parse("2020-05-01T00:00:00Z");
    for (int i = 0; i < 8; i++) {
      TestFiles.write(photos.resolve("distinct/d" + i + ".jpg"), "jpeg", TestFiles.draw(80 + 4 * i, 72, 500 + i), t);
    }
    original = TestFiles.write(photos.resolve("a/original.jpg"), "jpeg", TestFiles.draw(96, 96, 61), t);
    copy = photos.resolve("b/copy-of-original.jpg");
    Files.createDirectories(copy.getParent());
    Files.copy(original, copy);
    BufferedImage drawing = TestFiles.draw(100, 90, 62);
    drawingPng = TestFiles.write(photos.resolve("a/drawing.png"), "png", drawing, t);
    drawingJpeg = TestFiles.write(photos.resolve("c/drawing.jpg"), "jpeg", drawing, t);
    index = root.resolve("index");
    try (ImageIndexer indexer = ImageIndexer.builder().index(index).model(TestFiles.model()).build()) {
      var report = indexer.index(List.of(photos));
      assertEquals(12, report.added(), report.toString());
    }
    brute = BruteForce.read(index);
    searcher = ImageSearcher.open(index, TestFiles.model());
  }

  @AfterAll
  static void close() throws IOException {
    searcher.close();
  }

  static Set<Set<String>> groups(List<List<SearchHit>> groups) {
    Set<Set<String>> result = new HashSet<>();
    for (List<SearchHit> g : groups) {
      Set<String> paths = g.stream().map(SearchHit::path).collect(Collectors.toSet());
      assertEquals(g.size(), paths.size(), "an image twice in a group: " + g);
      assertTrue(result.add(paths), "a group twice");
    }
    return result;
  }

  /** Connected components (of two or more) of: identical bytes, or cosine at least {@code threshold}. */
  static Set<Set<String>> expectedGroups(double threshold) throws IOException {
    List<String> paths = new ArrayList<>(brute.vectors.keySet());
    Map<String, String> parent = new HashMap<>();
    paths.forEach(p -> parent.put(p, p));
    for (int i = 0; i < paths.size(); i++) {
      for (int j = i + 1; j < paths.size(); j++) {
        String a = paths.get(i);
        String b = paths.get(j);
        boolean identical = Files.mismatch(Path.of(a), Path.of(b)) == -1;
        if (identical || BruteForce.dot(brute.vectors.get(a), brute.vectors.get(b)) >= threshold) {
          parent.put(root(parent, a), root(parent, b));
        }
      }
    }
    Map<String, Set<String>> components = new HashMap<>();
    paths.forEach(p -> components.computeIfAbsent(root(parent, p), x -> new HashSet<>()).add(p));
    return components.values().stream().filter(c -> c.size() > 1).collect(Collectors.toSet());
  }

  static String root(Map<String, String> parent, String p) {
    while (!parent.get(p).equals(p)) {
      p = parent.get(p);
    }
    return p;
  }

  @Test
  void identicalFilesAreGroupedByTheirContentAlone() throws IOException {
    // No two vectors reach a cosine of 1.01: only identical bytes group.
    List<List<SearchHit>> groups = searcher.nearDuplicates(1.01f, 20);
    assertEquals(Set.of(Set.of(original.toString(), copy.toString())), groups(groups));
    for (SearchHit hit : groups.get(0)) {
      assertEquals(1.0, hit.score(), 1e-5, "identical files have identical vectors");
    }
  }

  @Test
  void nearDuplicatesAreTheComponentsAboveTheThreshold() throws IOException {
    double pair = BruteForce.dot(brute.vectors.get(drawingPng.toString()), brute.vectors.get(drawingJpeg.toString()));
    List<Double> distinct = new ArrayList<>();
    List<String> paths = new ArrayList<>(brute.vectors.keySet());
    for (int i = 0; i < paths.size(); i++) {
      for (int j = i + 1; j < paths.size(); j++) {
        distinct.add(BruteForce.dot(brute.vectors.get(paths.get(i)), brute.vectors.get(paths.get(j))));
      }
    }
    for (double threshold : new double[] {pair - 1e-4, 0.99, 0.98, 0.95}) {
      final double t = threshold;
      assertTrue(distinct.stream().noneMatch(d -> Math.abs(d - t) < 1e-6), "test set-up: no pair at the threshold");
      Set<Set<String>> expected = expectedGroups(threshold);
      List<List<SearchHit>> actual = searcher.nearDuplicates((float) threshold, 20);
      assertEquals(expected, groups(actual), "threshold " + threshold);
      for (List<SearchHit> group : actual) {
        float[] first = brute.vectors.get(group.get(0).path());
        for (SearchHit hit : group) {
          assertEquals(BruteForce.dot(first, brute.vectors.get(hit.path())), hit.score(), 1e-5,
              "a member's score is its cosine with the group's first image");
        }
      }
    }
    Set<Set<String>> atPair = expectedGroups(pair - 1e-4);
    assertTrue(atPair.stream().anyMatch(g -> g.contains(drawingPng.toString()) && g.contains(drawingJpeg.toString())),
        "the PNG and the JPEG of one drawing are near-duplicates: " + atPair);
  }
}
