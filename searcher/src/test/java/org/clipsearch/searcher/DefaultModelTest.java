package org.clipsearch.searcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import org.clipsearch.api.LabelScore;
import org.clipsearch.api.SearchHit;
import org.clipsearch.api.SearchRequest;
import org.clipsearch.encoders.ClipModel;
import org.clipsearch.indexer.ImageIndexer;
import org.clipsearch.indexer.IndexReport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shipped default model on the shipped sample collection (held-out images it never saw in training): it loads
 * with no flag and finds images by meaning. The bounds sit well above chance and below what the model card
 * measures, so that a broken model, a wrong preprocessing or a wrong text tower fails them.
 */
class DefaultModelTest {
  static final Path SAMPLE = Path.of("../index-data/sample").toAbsolutePath().normalize();
  @TempDir static Path dir;
  static ClipModel model;
  static ImageSearcher searcher;
  /** file name → openclipart top-level category, from SOURCES.tsv. */
  static final Map<String, String> CATEGORY = new HashMap<>();
  static IndexReport report;

  @BeforeAll
  static void indexSample() throws Exception {
    for (String line : Files.readAllLines(SAMPLE.resolve("SOURCES.tsv"), StandardCharsets.UTF_8)) {
      String[] f = line.split("\t");
      if (line.startsWith("#") || f.length < 2 || !f[1].startsWith("/usr/share/openclipart/png/")) {
        continue;
      }
      CATEGORY.put(f[0], f[1].substring("/usr/share/openclipart/png/".length()).split("/")[0]);
    }
    model = ClipModel.loadDefault();
    try (ImageIndexer indexer = ImageIndexer.builder().index(dir.resolve("index")).model(model).build()) {
      report = indexer.index(List.of(SAMPLE));
    }
    searcher = ImageSearcher.open(dir.resolve("index"), model);
  }

  @AfterAll
  static void close() throws Exception {
    searcher.close();
    model.close();
  }

  @Test
  void loadsWithNoFlagAndIndexesTheWholeSample() throws Exception {
    assertEquals("clipsearch-default-v29", model.name());
    assertEquals(384, model.dimension());
    assertTrue(Files.size(model.bundle().image().file()) < 20_000_000, "the image tower is at most 20 MB");
    assertTrue(CATEGORY.size() >= 300, "SOURCES.tsv lists the sample");
    assertEquals(CATEGORY.size(), report.found());
    assertTrue(report.failures().isEmpty(), report.failures().toString());
  }

  /**
   * The default text tower is int8 with one quantisation scale per batch, so a text embedded beside others comes
   * out slightly different (cosine about 0.99). A query's terms are embedded one by one, so that the "a red car"
   * in "a red car -a truck" is the very vector of the query "a red car".
   */
  @Test
  void eachTextOfAQueryIsEmbeddedAsItWouldBeAlone() throws Exception {
    String positive = "a red car";
    String negative = "a long freight train crossing a wide river on an old bridge";
    float[] alone = model.encodeText(positive);
    float[] together = model.encodeTexts(List.of(positive, negative))[0];
    assertTrue(org.clipsearch.encoders.Vectors.dot(alone, together) < 0.9999f,
        "the premise: this pair's batch moves the embedding of \"" + positive + "\"");

    List<org.clipsearch.api.QueryTerm> terms = QueryParser.parse(positive + " -\"" + negative + "\"");
    assertEquals(2, terms.size(), terms.toString());
    float[] got = SearchMath.queryVector(terms, model, idOrPath -> {
      throw new AssertionError("no indexed image is asked for");
    }).vector();
    float[] expected = BruteForce.normalizedSum(new float[][] {alone, model.encodeText(negative)},
        new double[] {1.0, -QueryParser.NEGATIVE_WEIGHT});
    for (int i = 0; i < expected.length; i++) {
      assertEquals(expected[i], got[i], 1e-6f, "component " + i);
    }
  }

  @Test
  void zeroShotClassifiesSampleImagesIntoTheirCategoriesFarAboveChance() throws Exception {
    List<String> labels = new ArrayList<>(new LinkedHashSet<>(CATEGORY.values()));
    List<String> names = labels.stream().map(l -> l.replace('_', ' ')).toList();
    int correct = 0;
    for (Map.Entry<String, String> e : CATEGORY.entrySet()) {
      float[] vector = searcher.image(SAMPLE.resolve(e.getKey()).toString()).orElseThrow().vector();
      List<LabelScore> top = searcher.classify(vector, names, null, 1);
      if (top.get(0).label().equals(e.getValue().replace('_', ' '))) {
        correct++;
      }
    }
    double accuracy = (double) correct / CATEGORY.size();
    double chance = 1.0 / labels.size();
    System.out.printf("default model on the sample: zero-shot top-1 over %d categories %.3f%n", labels.size(),
        accuracy);
    assertTrue(accuracy >= ZERO_SHOT_MIN && accuracy >= 3 * chance,
        "zero-shot top-1 over " + labels.size() + " categories: " + accuracy + " (chance " + chance + ")");
  }

  @Test
  void textQueriesFindImagesOfTheirCategory() throws Exception {
    Map<String, String> queries = Map.of(
        "food", "food",
        "a computer icon", "computer",
        "a person", "people",
        "a vehicle", "transportation");
    int relevant = 0;
    int total = 0;
    for (Map.Entry<String, String> q : queries.entrySet()) {
      for (SearchHit hit : searcher.search(SearchRequest.text(q.getKey(), 10)).hits()) {
        total++;
        if (q.getValue().equals(CATEGORY.get(Path.of(hit.path()).getFileName().toString()))) {
          relevant++;
        }
      }
    }
    double precision = (double) relevant / total;
    System.out.printf("default model on the sample: precision@10 of the category queries %.3f%n", precision);
    assertTrue(precision >= PRECISION_MIN, "precision@10 of category queries: " + precision);
  }

  /**
   * The issue's first searches of a newcomer find what they name among their first eight hits; what each image
   * shows is read from its openclipart file name, not from the model. "a cat" came in with v20's memory of the
   * training captions (the drawing of a cat and a dog fourth, with v21's, v22's and v23's third, with v29's fourth
   * again; v17 and v7 had no cat among the first eight).
   */
  @Test
  void aNewcomersFirstSearchesFindWhatTheyName() throws Exception {
    Map<String, Predicate<String>> shows = Map.of(
        "a red car", Pattern.compile("(?<![a-z])car(?![a-z])|hummer").asPredicate(),
        "musical instrument", Pattern.compile("guitar|drum|trumpet|cello|violin|piano|flute|saxophone").asPredicate(),
        "food", name -> "food".equals(CATEGORY.get(name)),
        "a cat", Pattern.compile("(?<![a-z])cats?(?![a-z])|gatt[io]").asPredicate());
    for (Map.Entry<String, Predicate<String>> q : shows.entrySet()) {
      List<String> names = searcher.search(SearchRequest.text(q.getKey(), 8)).hits().stream()
          .map(hit -> Path.of(hit.path()).getFileName().toString()).toList();
      assertTrue(names.stream().anyMatch(q.getValue()), q.getKey() + " found none of what it names: " + names);
    }
  }

  /** Three times chance over 20 categories; docs/model.md measures 0.27 on this sample (v20: 0.34, v17: 0.21). */
  static final double ZERO_SHOT_MIN = 0.15;
  /** The four categories make up about a tenth of the sample each; docs/model.md measures 0.550 (v22 0.475). */
  static final double PRECISION_MIN = 0.3;
}
