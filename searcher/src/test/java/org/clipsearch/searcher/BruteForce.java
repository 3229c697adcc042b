package org.clipsearch.searcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.FloatVectorValues;
import org.apache.lucene.index.KnnVectorValues;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.StoredFields;
import org.apache.lucene.store.FSDirectory;
import org.clipsearch.api.ImageFields;
import org.clipsearch.api.SearchHit;

/**
 * The reference every search is checked against: every vector of the index read straight from Lucene (not through
 * the searcher), and exact rankings by the dot product computed here in double precision.
 */
final class BruteForce {
  /** How closely a search's scores must match the exact ones. */
  static final double TOLERANCE = 1e-5;

  final Map<String, float[]> vectors;

  private BruteForce(Map<String, float[]> vectors) {
    this.vectors = vectors;
  }

  /** Every live document's path and vector in the committed index at {@code index}. */
  static BruteForce read(Path index) throws IOException {
    Map<String, float[]> vectors = new LinkedHashMap<>();
    try (var directory = FSDirectory.open(index); DirectoryReader reader = DirectoryReader.open(directory)) {
      for (LeafReaderContext leaf : reader.leaves()) {
        FloatVectorValues values = leaf.reader().getFloatVectorValues(ImageFields.VECTOR);
        StoredFields stored = leaf.reader().storedFields();
        var live = leaf.reader().getLiveDocs();
        KnnVectorValues.DocIndexIterator it = values.iterator();
        for (int doc = it.nextDoc(); doc != KnnVectorValues.DocIndexIterator.NO_MORE_DOCS; doc = it.nextDoc()) {
          if (live == null || live.get(doc)) {
            String path = stored.document(doc, Set.of(ImageFields.PATH)).get(ImageFields.PATH);
            vectors.put(path, values.vectorValue(it.index()).clone());
          }
        }
      }
    }
    return new BruteForce(vectors);
  }

  record Scored(String path, double score) {}

  static double dot(float[] a, float[] b) {
    assertEquals(a.length, b.length, "dimensions");
    double sum = 0;
    for (int i = 0; i < a.length; i++) {
      sum += (double) a[i] * b[i];
    }
    return sum;
  }

  /** The unit vector along {@code sum of weights[i] * vectors[i]}. */
  static float[] normalizedSum(float[][] vectors, double[] weights) {
    double[] sum = new double[vectors[0].length];
    for (int v = 0; v < vectors.length; v++) {
      for (int i = 0; i < sum.length; i++) {
        sum[i] += weights[v] * vectors[v][i];
      }
    }
    double norm = 0;
    for (double x : sum) {
      norm += x * x;
    }
    norm = Math.sqrt(norm);
    float[] unit = new float[sum.length];
    for (int i = 0; i < sum.length; i++) {
      unit[i] = (float) (sum[i] / norm);
    }
    return unit;
  }

  static float[] normalized(float[] v) {
    return normalizedSum(new float[][] {v}, new double[] {1});
  }

  double score(float[] query, String path) {
    float[] v = vectors.get(path);
    if (v == null) {
      fail("not in the index: " + path);
    }
    return dot(query, v);
  }

  /** Every indexed image allowed by {@code allowed}, by exact similarity to {@code query}, best first. */
  List<Scored> ranking(float[] query, Predicate<String> allowed) {
    List<Scored> all = new ArrayList<>();
    for (var e : vectors.entrySet()) {
      if (allowed.test(e.getKey())) {
        all.add(new Scored(e.getKey(), dot(query, e.getValue())));
      }
    }
    all.sort(Comparator.comparingDouble((Scored s) -> -s.score).thenComparing(Scored::path));
    return all;
  }

  List<Scored> ranking(float[] query) {
    return ranking(query, p -> true);
  }

  /**
   * Asserts that {@code hits} are exactly {@code expected} (an exact ranking's slice): the same scores in the same
   * order, each hit's score its own exact similarity, no hit twice, and the same image at every rank where the exact
   * score is not tied (within the tolerance) with a neighbour's.
   */
  void assertSameRanking(List<Scored> expected, List<SearchHit> hits, float[] query, String what) {
    List<String> actualPaths = hits.stream().map(SearchHit::path).toList();
    assertEquals(expected.size(), hits.size(),
        what + ": number of hits; expected " + paths(expected) + " but got " + actualPaths);
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < hits.size(); i++) {
      SearchHit hit = hits.get(i);
      assertTrue(seen.add(hit.path()), what + ": " + hit.path() + " returned twice");
      assertEquals(score(query, hit.path()), hit.score(), TOLERANCE,
          what + ": the score of " + hit.path() + " at rank " + i + " is not its cosine similarity to the query");
      assertEquals(expected.get(i).score(), hit.score(), TOLERANCE,
          what + ": score at rank " + i + "; expected " + paths(expected) + " but got " + actualPaths);
      boolean tiedBefore = i > 0 && Math.abs(expected.get(i - 1).score() - expected.get(i).score()) <= TOLERANCE;
      boolean tiedAfter = i + 1 < expected.size()
          && Math.abs(expected.get(i + 1).score() - expected.get(i).score()) <= TOLERANCE;
      if (!tiedBefore && !tiedAfter) {
        assertEquals(expected.get(i).path(), hit.path(),
            what + ": image at rank " + i + "; expected " + paths(expected) + " but got " + actualPaths);
      }
    }
  }

  static List<String> paths(List<Scored> scored) {
    return scored.stream().map(Scored::path).toList();
  }

  static List<Scored> top(List<Scored> ranking, int k) {
    return ranking.subList(0, Math.min(k, ranking.size()));
  }
}
