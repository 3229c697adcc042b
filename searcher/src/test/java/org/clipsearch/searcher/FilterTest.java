package org.clipsearch.searcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.function.Predicate;
import org.clipsearch.api.QueryTerm;
import org.clipsearch.api.SearchFilters;
import org.clipsearch.api.SearchHit;
import org.clipsearch.api.SearchRequest;
import org.clipsearch.api.SearchResult;
import org.junit.jupiter.api.Test;

/**
 * Every filter, inside the vector search: each filtered search must return exactly the brute-force top k among the
 * images that match the filter (which images match is known from how the corpus was written, not from the index).
 * Filters that match few images are searched with a query that ranks those images last, where searching first and
 * filtering after would lose them.
 */
class FilterTest extends SharedCorpusTest {

  static SearchFilters folder(String folder) {
    return new SearchFilters(folder, null, null, null, null, null, null, null);
  }

  static SearchFilters names(String... words) {
    return new SearchFilters(null, List.of(words), null, null, null, null, null, null);
  }

  static SearchFilters dates(Instant from, Instant to) {
    return new SearchFilters(null, null, from, to, null, null, null, null);
  }

  static SearchFilters formats(String... formats) {
    return new SearchFilters(null, null, null, null, List.of(formats), null, null, null);
  }

  static SearchFilters size(Integer minWidth, Integer minHeight) {
    return new SearchFilters(null, null, null, null, null, minWidth, minHeight, null);
  }

  static SearchFilters camera(String camera) {
    return new SearchFilters(null, null, null, null, null, null, null, camera);
  }

  /**
   * Searches with {@code filters} for a text, and for a query that ranks the matching images low; asserts both equal
   * the brute-force top k among {@code matches}. When no more than k images match, it searches again asking HNSW for
   * only k candidates, with a query that ranks none of them among the k best of the whole index: searching first and
   * filtering after would return nothing, filtering inside the search returns them all.
   */
  void assertFiltered(SearchFilters filters, Predicate<Corpus.Image> matches, int k, String what) throws IOException {
    List<Corpus.Image> matching = corpus.matching(matches);
    assertTrue(!matching.isEmpty() && matching.size() < Corpus.SIZE,
        what + ": a filter test needs some but not all images to match, got " + matching.size());
    float[] text = model.encodeText("a quiet street at night");
    float[] awayFromThem = awayFrom(matching);
    List<Integer> candidates = matching.size() <= k ? List.of(0, k) : List.of(0);
    for (float[] query : List.of(text, awayFromThem)) {
      for (int numCandidates : candidates) {
        SearchRequest request = new SearchRequest(List.of(new QueryTerm.Vector(query, 1f)), k, 0, filters,
            numCandidates, false, false);
        SearchResult result = searcher.search(request);
        List<BruteForce.Scored> expected = BruteForce.top(corpus.brute.ranking(query, corpus.allowed(matches)), k);
        corpus.brute.assertSameRanking(expected, result.hits(), query, what + ", numCandidates " + numCandidates);
        for (SearchHit hit : result.hits()) {
          assertTrue(matches.test(corpus.images.get(hit.path())), what + ": " + hit.path() + " does not match");
        }
      }
    }
    if (matching.size() <= k) {
      List<String> unfiltered = BruteForce.paths(corpus.brute.ranking(awayFromThem));
      int best = matching.stream().mapToInt(i -> unfiltered.indexOf(i.key())).min().orElseThrow();
      assertTrue(best >= k,
          what + ": the query should rank no matching image among the k best (test set-up), but one is at " + best);
    }
  }

  /**
   * A unit vector from the images' centroid towards the collection's: they are among the least similar to it. (The
   * fixture model's image vectors share one dominant direction, so the centroids' difference is what sets them
   * apart.)
   */
  static float[] awayFrom(List<Corpus.Image> images) {
    float[] all = BruteForce.normalizedSum(corpus.brute.vectors.values().toArray(float[][]::new),
        filled(corpus.brute.vectors.size(), 1.0 / corpus.brute.vectors.size()));
    float[] theirs = BruteForce.normalizedSum(
        images.stream().map(i -> corpus.brute.vectors.get(i.key())).toArray(float[][]::new),
        filled(images.size(), 1.0 / images.size()));
    return BruteForce.normalizedSum(new float[][] {all, theirs}, new double[] {1, -1});
  }

  static double[] filled(int n, double value) {
    double[] a = new double[n];
    java.util.Arrays.fill(a, value);
    return a;
  }

  void assertNothing(SearchFilters filters, String what) throws IOException {
    SearchResult result = searcher.search(SearchRequest.text("a photo", 10).withFilters(filters));
    assertEquals(List.of(), result.hits(), what);
    assertEquals(List.of(), searcher.similar(corpus.images.keySet().iterator().next(), 10, filters).hits(), what);
  }

  @Test
  void folderPrefix() throws IOException {
    String trips = corpus.photos.resolve("trips").toString();
    assertFiltered(folder(trips), i -> i.folder().startsWith("trips/"), 10, "folder trips/");
    assertFiltered(folder(trips + "/paris-2019/"), i -> i.folder().equals("trips/paris-2019"), 5,
        "folder trips/paris-2019 (3 images, k=5)");
    assertFiltered(folder(corpus.photos.resolve("family").toString()), i -> i.folder().startsWith("family"), 20,
        "folder family/ with its sub-folder");
    // A folder is a whole path component, not a string prefix: "trip" is not "trips".
    assertNothing(folder(corpus.photos.resolve("trip").toString()), "folder trip (no such folder)");
    assertNothing(folder(corpus.root.resolve("not-indexed").toString()), "a folder outside the index");
  }

  @Test
  void nameKeywords() throws IOException {
    assertFiltered(names("rome"), i -> i.folder().equals("trips/rome-2021"), 10, "keyword rome (folder name)");
    assertFiltered(names("Birthday"), i -> i.folder().equals("family/birthday"), 10, "keyword birthday");
    assertFiltered(names("garden"), i -> i.path().getFileName().toString().startsWith("garden_"), 10,
        "keyword garden (file name garden_N)");
    assertFiltered(names("screenshot"), i -> i.folder().equals("screens"), 10, "keyword screenshot");
    assertFiltered(names("paris-2019"), i -> i.folder().equals("trips/paris-2019"), 5, "keyword paris-2019");
    assertFiltered(names("dsc", "camera"), i -> i.folder().equals("camera"), 10, "keywords dsc and camera");
    assertNothing(names("rome", "garden"), "all keywords must match");
    assertNothing(names("giraffe"), "keyword giraffe");
  }

  @Test
  void dateRangeUsesTheCaptureDateElseTheModificationTime() throws IOException {
    Instant from = Instant.parse("2017-01-01T00:00:00Z");
    Instant to = Instant.parse("2019-01-01T00:00:00Z");
    Predicate<Corpus.Image> inRange = i -> !i.date().isBefore(from) && i.date().isBefore(to);
    assertFiltered(dates(from, to), inRange, 15, "modified in 2017-2018");
    assertFiltered(dates(from, null), i -> !i.date().isBefore(from), 15, "modified since 2017");
    assertFiltered(dates(null, from), i -> i.date().isBefore(from), 15, "modified before 2017");
    // The six EXIF images were modified in 2025 (after every other image) but captured in 2008 and 2009: their
    // capture date is what counts.
    assertFiltered(dates(Instant.parse("2008-01-01T00:00:00Z"), Instant.parse("2010-01-01T00:00:00Z")),
        i -> i.camera() != null, 6, "captured 2008-2009 (EXIF)");
    assertFiltered(dates(Instant.parse("2009-01-01T00:00:00Z"), Instant.parse("2010-01-01T00:00:00Z")),
        i -> i.camera() != null && i.camera().startsWith("NIKON"), 5, "captured 2009 (EXIF, two images)");
    assertNothing(dates(Instant.parse("2025-01-01T00:00:00Z"), Instant.parse("2026-01-01T00:00:00Z")),
        "modified in 2025, but the capture date is what counts for EXIF images");
    // An image dated exactly at "to" is outside: the range is half-open.
    Corpus.Image first = corpus.images.values().iterator().next();
    assertNothing(dates(first.date().minusSeconds(3600 * 24 * 16), first.date()), "before the first image");
    assertFiltered(dates(first.date(), first.date().plusMillis(1)), i -> i.date().equals(first.date()), 3,
        "exactly the first image's date");
  }

  @Test
  void formats() throws IOException {
    assertFiltered(formats("bmp"), i -> i.format().equals("bmp"), 5, "format bmp (5 of 200, k=5)");
    assertFiltered(formats("png"), i -> i.format().equals("png"), 10, "format png");
    assertFiltered(formats("JPG"), i -> i.format().equals("jpeg"), 10, "format jpg, an alias of jpeg");
    assertFiltered(formats("png", "bmp"), i -> !i.format().equals("jpeg"), 12, "formats png or bmp");
    assertNothing(formats("webp"), "format webp");
  }

  @Test
  void minimumWidthAndHeight() throws IOException {
    assertFiltered(size(120, null), i -> i.width() >= 120, 10, "width >= 120");
    assertFiltered(size(null, 125), i -> i.height() >= 125, 10, "height >= 125");
    assertFiltered(size(110, 110), i -> i.width() >= 110 && i.height() >= 110, 8, "both >= 110");
    assertFiltered(size(128, null), i -> i.width() >= 128, 8, "width 128 exactly (the widest)");
    assertNothing(size(129, null), "wider than every image");
  }

  @Test
  void camera() throws IOException {
    assertFiltered(camera("canon"), i -> i.camera() != null && i.camera().startsWith("Canon"), 4,
        "camera canon (4 EXIF images, k=4)");
    assertFiltered(camera("Nikon D750"), i -> i.camera() != null && i.camera().startsWith("NIKON"), 10,
        "camera nikon d750");
    assertFiltered(camera("EOS 5D"), i -> i.camera() != null && i.camera().startsWith("Canon"), 10, "camera eos 5d");
    assertNothing(camera("sony"), "camera sony");
    assertNothing(camera("canon d750"), "every camera word must match");
  }

  @Test
  void combinedFilters() throws IOException {
    SearchFilters all = new SearchFilters(corpus.photos.resolve("family").toString(), List.of("garden"),
        Instant.parse("2016-01-01T00:00:00Z"), null, List.of("jpeg"), 80, null, null);
    assertFiltered(all,
        i -> i.folder().startsWith("family") && i.path().getFileName().toString().startsWith("garden_")
            && !i.date().isBefore(Instant.parse("2016-01-01T00:00:00Z")) && i.format().equals("jpeg")
            && i.width() >= 80,
        6, "family, garden, since 2016, jpeg, width >= 80");
  }

  @Test
  void filtersApplyToPagesAndToSimilar() throws IOException {
    SearchFilters png = formats("png");
    Predicate<Corpus.Image> isPng = i -> i.format().equals("png");
    float[] query = model.encodeText("birds");
    List<BruteForce.Scored> expected = corpus.brute.ranking(query, corpus.allowed(isPng));
    SearchResult page = searcher.search(SearchRequest.text("birds", 10).withFilters(png).withPage(10, 20));
    corpus.brute.assertSameRanking(expected.subList(20, 30), page.hits(), query, "png, third page");

    Corpus.Image example = corpus.matching(i -> i.folder().equals("screens")).get(3);
    float[] vector = corpus.brute.vectors.get(example.key());
    List<SearchHit> similar = searcher.similar(example.key(), 7, png).hits();
    corpus.brute.assertSameRanking(
        BruteForce.top(corpus.brute.ranking(vector, p -> !p.equals(example.key()) && isPng.test(corpus.images.get(p))),
            7),
        similar, vector, "similar, png only");
  }

  @Test
  void formatNamesAreNormalised() {
    assertEquals("jpeg", SearchMath.normalizeFormat(" JPG "));
    assertEquals("tiff", SearchMath.normalizeFormat("tif"));
    assertEquals("webp", SearchMath.normalizeFormat("WebP"));
    assertEquals(null, ImageSearcher.filterQuery(SearchFilters.NONE));
    assertEquals(null, ImageSearcher.filterQuery(camera("  ")));
    assertTrue(ImageSearcher.filterQuery(formats("png")) != null);
  }
}
