package org.clipsearch.searcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.clipsearch.api.QueryTerm;
import org.clipsearch.api.SearchFilters;
import org.clipsearch.api.SearchHit;
import org.clipsearch.api.SearchRequest;
import org.clipsearch.api.SearchResult;
import org.junit.jupiter.api.Test;

/** Pagination, keyword fusion and the adaptive cutoff on the shared 200-image index, against brute force. */
class PagingKeywordsCutoffTest extends SharedCorpusTest {

  static List<String> paths(List<SearchHit> hits) {
    return hits.stream().map(SearchHit::path).toList();
  }

  // ---------------------------------------------------------------------------------------------- pagination

  @Test
  void pagesDoNotOverlapAndConcatenateToOneLongPage() throws IOException {
    for (String text : List.of("a red boat", "mountains at dawn")) {
      float[] query = model.encodeText(text);
      SearchRequest request = SearchRequest.text(text, 10);
      List<SearchHit> concatenated = new ArrayList<>();
      Set<String> seen = new HashSet<>();
      for (int page = 0; page < 3; page++) {
        List<SearchHit> hits = searcher.search(request.withPage(10, page * 10)).hits();
        assertEquals(10, hits.size(), "page " + (page + 1));
        for (SearchHit hit : hits) {
          assertTrue(seen.add(hit.path()), "'" + text + "': " + hit.path() + " on two pages");
        }
        concatenated.addAll(hits);
      }
      List<SearchHit> single = searcher.search(request.withPage(30, 0)).hits();
      assertEquals(paths(single), paths(concatenated), "'" + text + "': pages 1-3 against one page of 30");
      corpus.brute.assertSameRanking(BruteForce.top(corpus.brute.ranking(query), 30), concatenated, query,
          "'" + text + "' pages 1-3");
    }
  }

  @Test
  void pagesAcrossTheCandidateStepAndAtTheEnd() throws IOException {
    float[] query = model.encodeText("an old map");
    List<BruteForce.Scored> exact = corpus.brute.ranking(query);
    SearchRequest request = SearchRequest.text("an old map", 10);
    // HNSW's candidate pool grows by numCandidates (100 here) once a page reaches past it: pages 10 and 11 come from
    // pools of 100 and 200 and still join up.
    for (int offset : new int[] {80, 90, 95, 100, 150}) {
      SearchResult page = searcher.search(request.withPage(10, offset));
      corpus.brute.assertSameRanking(exact.subList(offset, offset + 10), page.hits(), query, "offset " + offset);
    }
    SearchResult last = searcher.search(request.withPage(10, 195));
    corpus.brute.assertSameRanking(exact.subList(195, 200), last.hits(), query, "the last, partial page");
    assertEquals(List.of(), searcher.search(request.withPage(10, 200)).hits(), "past the end");
    assertEquals(List.of(), searcher.search(request.withPage(10, 5000)).hits(), "far past the end");

    // A small numCandidates: every page comes from its own pool (10, 20, 30) and they still join up.
    List<SearchHit> pages = new ArrayList<>();
    for (int p = 0; p < 3; p++) {
      pages.addAll(searcher.search(request.withNumCandidates(10).withPage(10, 10 * p)).hits());
    }
    corpus.brute.assertSameRanking(exact.subList(0, 30), pages, query, "numCandidates 10, pages 1-3");
  }

  @Test
  void candidatePoolGrowsInStepsOfNumCandidates() {
    SearchRequest r = SearchRequest.text("x", 10);
    assertEquals(100, ImageSearcher.candidatePool(r));
    assertEquals(100, ImageSearcher.candidatePool(r.withPage(10, 90)));
    assertEquals(200, ImageSearcher.candidatePool(r.withPage(10, 91)));
    assertEquals(300, ImageSearcher.candidatePool(r.withPage(30, 0)), "at least 10 candidates per hit");
    assertEquals(40, ImageSearcher.candidatePool(r.withNumCandidates(20).withPage(10, 25)));
  }

  // ---------------------------------------------------------------------------------------------- keywords

  @Test
  void keywordFusionBringsInImagesFromAFolderNamedLikeTheQuery() throws IOException {
    float[] query = model.encodeText(Corpus.PARIS_QUERY);
    List<String> exact = BruteForce.paths(corpus.brute.ranking(query));
    List<String> paris = corpus.matching(i -> i.folder().equals("trips/paris-2019")).stream()
        .map(Corpus.Image::key).toList();
    assertEquals(3, paris.size());
    for (String p : paris) {
      assertTrue(exact.indexOf(p) >= ImageSearcher.DEFAULT_CANDIDATES,
          "test set-up: " + p + " should rank low by vector alone, it is at " + exact.indexOf(p));
    }

    SearchRequest request = SearchRequest.text(Corpus.PARIS_QUERY, 6);
    List<String> vectorOnly = paths(searcher.search(request).hits());
    assertTrue(vectorOnly.stream().noneMatch(paris::contains), "without keywords: " + vectorOnly);

    List<SearchHit> fused = searcher.search(request.withKeywords(true)).hits();
    assertEquals(6, fused.size());
    assertTrue(paths(fused).containsAll(paris), "with keywords the paris-2019 images are in the first 6: " + fused);
    // Reciprocal rank fusion: the keyword ranks 1-3 score like the vector ranks 1-3; the others are the vector top 3.
    List<String> others = paths(fused).stream().filter(p -> !paris.contains(p)).toList();
    assertEquals(exact.subList(0, 3), others);
    for (SearchHit hit : fused) {
      assertEquals(corpus.brute.score(query, hit.path()), hit.score(), BruteForce.TOLERANCE,
          "a fused hit's score is still its cosine similarity: " + hit.path());
    }

    // Keywords respect filters, and words that name nothing leave the vector ranking as it is.
    SearchFilters pngOnly = new SearchFilters(null, null, null, null, List.of("png"), null, null, null);
    assertTrue(paths(searcher.search(request.withKeywords(true).withFilters(pngOnly)).hits()).stream()
        .noneMatch(paris::contains), "the paris images are JPEGs");
    SearchRequest giraffe = SearchRequest.text("giraffe", 10);
    assertEquals(paths(searcher.search(giraffe).hits()), paths(searcher.search(giraffe.withKeywords(true)).hits()));
    // Negative terms are not keywords.
    List<QueryTerm> notParis = List.of(new QueryTerm.Text("a street", 1f), new QueryTerm.Text("paris", -0.5f));
    List<String> withNegative = paths(searcher.search(
        new SearchRequest(notParis, 6, 0, SearchFilters.NONE, 0, true, false)).hits());
    assertFalse(withNegative.stream().anyMatch(paris::contains), "a negative word brought in " + withNegative);
  }

  @Test
  void queryWordsAreSplitLikeNames() {
    assertEquals(List.of("paris", "2019"), ImageSearcher.nameTokens("Paris-2019"));
    assertEquals(List.of("img", "12", "beach"), ImageSearcher.nameTokens("IMG_12 beach.."));
    assertEquals(List.of(), ImageSearcher.nameTokens("  -- "));
  }

  // ---------------------------------------------------------------------------------------------- cutoff

  /** mean + 2 standard deviations of the query's similarity to every indexed image (all 200 are the sample). */
  static double expectedThreshold(float[] query) {
    double sum = 0;
    int n = 0;
    for (float[] v : corpus.brute.vectors.values()) {
      sum += BruteForce.dot(query, v);
      n++;
    }
    double mean = sum / n;
    double squares = 0;
    for (float[] v : corpus.brute.vectors.values()) {
      double d = BruteForce.dot(query, v) - mean;
      squares += d * d;
    }
    return mean + 2 * Math.sqrt(squares / n);
  }

  /**
   * A query that {@code image} matches far better than the collection at large: its vector less the collection's
   * mean. (The fixture model's image vectors share one dominant direction, so an image's own vector is about as
   * similar to every image, and nothing stands out from that.)
   */
  static float[] standingOut(Corpus.Image image) {
    float[][] all = corpus.brute.vectors.values().toArray(float[][]::new);
    double[] weights = new double[all.length + 1];
    java.util.Arrays.fill(weights, -1.0 / all.length);
    weights[all.length] = 1;
    float[][] vectors = java.util.Arrays.copyOf(all, all.length + 1);
    vectors[all.length] = corpus.brute.vectors.get(image.key());
    return BruteForce.normalizedSum(vectors, weights);
  }

  @Test
  void cutoffKeepsOnlyHitsThatStandOutFromTheCollection() throws IOException {
    Corpus.Image example = new ArrayList<>(corpus.images.values()).get(120);
    List<float[]> queries = List.of(model.encodeText("a giraffe"), model.encodeText("sunset over the sea"),
        standingOut(example));
    for (float[] query : queries) {
      SearchRequest request = new SearchRequest(List.of(new QueryTerm.Vector(query, 1f)), 50, 0, SearchFilters.NONE,
          0, false, true);
      SearchResult result = searcher.search(request);
      double threshold = expectedThreshold(query);
      assertEquals(threshold, result.threshold(), 1e-5, "threshold = mean + 2 std of the query's similarities");
      List<BruteForce.Scored> exact = corpus.brute.ranking(query);
      assertTrue(exact.stream().noneMatch(s -> Math.abs(s.score() - result.threshold()) < 1e-6),
          "test set-up: no image right at the threshold");
      List<BruteForce.Scored> above = exact.stream().filter(s -> s.score() >= result.threshold()).toList();
      assertTrue(above.size() < 50, "fewer than k stand out: " + above.size());
      if (query == queries.get(2)) {
        assertTrue(above.size() >= 3, "some images stand out: " + above);
      }
      for (SearchHit hit : result.hits()) {
        assertTrue(hit.score() >= result.threshold(), hit.score() + " below the threshold " + result.threshold());
      }
      corpus.brute.assertSameRanking(above, result.hits(), query, "cutoff on");
      assertEquals(above.size(), result.candidates(), "candidates left after the cutoff");

      SearchResult off = searcher.search(request.withCutoff(false));
      assertEquals(50, off.hits().size(), "without the cutoff a full page");
      assertTrue(Float.isNaN(off.threshold()));
    }
  }

  @Test
  void cutoffPagesAndFilters() throws IOException {
    float[] query = standingOut(new ArrayList<>(corpus.images.values()).get(120));
    double threshold = expectedThreshold(query);
    SearchFilters notBmp = new SearchFilters(null, null, null, null, List.of("jpeg", "png"), null, null, null);
    SearchRequest request = new SearchRequest(List.of(new QueryTerm.Vector(query, 1f)), 2, 0, notBmp, 0, false, true);
    List<BruteForce.Scored> expected = corpus.brute.ranking(query,
        p -> !corpus.images.get(p).format().equals("bmp") && corpus.brute.score(query, p) >= threshold);
    List<BruteForce.Scored> unfiltered = corpus.brute.ranking(query, p -> corpus.brute.score(query, p) >= threshold);
    assertTrue(expected.size() >= 3 && expected.size() < unfiltered.size(),
        "test set-up: several JPEGs and PNGs stand out, and a BMP that the filter leaves out: " + unfiltered);
    List<SearchHit> all = new ArrayList<>();
    for (int offset = 0; offset < expected.size() + 2; offset += 2) {
      SearchResult page = searcher.search(request.withPage(2, offset));
      // The threshold is the query's against the whole collection, whatever the filter.
      assertEquals(threshold, page.threshold(), 1e-5);
      all.addAll(page.hits());
    }
    corpus.brute.assertSameRanking(expected, all, query, "cutoff, no BMPs, pages of 2");
  }
}
