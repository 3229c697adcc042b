package org.clipsearch.searcher;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.clipsearch.api.ImageRecord;
import org.clipsearch.api.QueryTerm;
import org.clipsearch.api.SearchFilters;
import org.clipsearch.api.SearchHit;
import org.clipsearch.api.SearchRequest;
import org.clipsearch.api.SearchResult;
import org.clipsearch.encoders.Images;
import org.junit.jupiter.api.Test;

/**
 * Text, image and combined queries on the shared 200-image index, each checked against an exact brute-force ranking
 * of the index's vectors (read from Lucene directly) by the dot product with a query vector computed here.
 */
class QueryKindsTest extends SharedCorpusTest {

  static SearchRequest request(List<QueryTerm> terms, int k) {
    return new SearchRequest(terms, k, 0, SearchFilters.NONE, 0, false, false);
  }

  @Test
  void indexedVectorsAreTheImagesEmbeddings() throws IOException {
    assertEquals(Corpus.SIZE, corpus.brute.vectors.size());
    int checked = 0;
    for (Corpus.Image image : corpus.images.values()) {
      if (checked++ % 20 != 0) {
        continue;
      }
      float[] expected = model.encodeImage(Images.read(image.path()));
      float[] stored = corpus.brute.vectors.get(image.key());
      assertEquals(1.0, BruteForce.dot(stored, stored), 1e-5, "stored vectors are unit length");
      assertEquals(1.0, BruteForce.dot(expected, stored), 1e-4, "stored vector of " + image.path());
    }
  }

  @Test
  void textQueryReturnsTheExactTopKByCosine() throws IOException {
    for (String text : List.of("a photo of a cat", "sunset over the sea", "red car", "x")) {
      float[] query = model.encodeText(text);
      for (int k : new int[] {1, 10, 50}) {
        SearchResult result = searcher.search(SearchRequest.text(text, k));
        corpus.brute.assertSameRanking(BruteForce.top(corpus.brute.ranking(query), k), result.hits(), query,
            "'" + text + "' k=" + k);
        assertTrue(Float.isNaN(result.threshold()), "no cutoff in the raw API by default");
        assertTrue(result.encoding().toNanos() > 0, "the text went through the encoder");
        assertTrue(result.encoding().compareTo(result.took()) <= 0, "encoding is part of the time taken");
      }
    }
  }

  @Test
  void hitsCarryTheFactsOfTheirFiles() throws IOException {
    for (SearchHit hit : searcher.search(SearchRequest.text("a house", 200)).hits()) {
      Corpus.Image image = corpus.images.get(hit.path());
      assertEquals(image.width(), hit.width(), hit.path());
      assertEquals(image.height(), hit.height(), hit.path());
      assertEquals(image.format(), hit.format(), hit.path());
      assertEquals(image.date(), hit.date(), hit.path());
      assertEquals(Files.size(image.path()), hit.size(), hit.path());
      assertEquals(ImageRecord.idOf(hit.path()), hit.id(), hit.path());
    }
  }

  @Test
  void similarByIdAndByPathLeavesTheImageItselfOut() throws IOException {
    List<Corpus.Image> all = new ArrayList<>(corpus.images.values());
    for (Corpus.Image example : List.of(all.get(0), all.get(77), all.get(199))) {
      float[] query = corpus.brute.vectors.get(example.key());
      List<BruteForce.Scored> expected =
          BruteForce.top(corpus.brute.ranking(query, p -> !p.equals(example.key())), 12);

      List<SearchHit> byPath = searcher.similar(example.key(), 12, null).hits();
      corpus.brute.assertSameRanking(expected, byPath, query, "similar to " + example.path() + " by path");
      String id = ImageRecord.idOf(example.key());
      List<SearchHit> byId = searcher.similar(id, 12, SearchFilters.NONE).hits();
      corpus.brute.assertSameRanking(expected, byId, query, "similar to " + example.path() + " by id");
      assertEquals(byPath, byId);
      assertEquals(0, searcher.similar(id, 12, null).encoding().toNanos(), "an indexed image needs no encoder");
      assertFalse(byPath.stream().anyMatch(h -> h.path().equals(example.key())), "the example itself is left out");
    }
  }

  @Test
  void unknownImagesAreReportedByName() throws IOException {
    UnknownImageException e = assertThrows(UnknownImageException.class,
        () -> searcher.similar(corpus.outside.toString(), 5, null));
    assertTrue(e.getMessage().contains(corpus.outside.toString()), e.getMessage());
    assertThrows(UnknownImageException.class, () -> searcher.similar("0123456789abcdef", 5, null));
    assertEquals(Optional.empty(), searcher.image(corpus.outside.toString()));
  }

  @Test
  void imageLooksUpTheRecordWithItsVector() throws IOException {
    Corpus.Image camera = corpus.images.values().stream().filter(i -> i.camera() != null).findFirst().orElseThrow();
    for (String key : List.of(camera.key(), ImageRecord.idOf(camera.key()))) {
      ImageRecord record = searcher.image(key).orElseThrow();
      assertEquals(camera.key(), record.path());
      assertArrayEquals(corpus.brute.vectors.get(camera.key()), record.vector());
      assertEquals(camera.width(), record.width());
      assertEquals(camera.date(), record.date());
      assertEquals(camera.camera(), record.exif().cameraMake() + " " + record.exif().cameraModel());
      assertTrue(record.thumbnail() != null && record.thumbnail().length > 0, "a thumbnail is stored");
    }
  }

  @Test
  void imageBytesNotInTheIndexSearchLikeTheirEmbedding() throws IOException {
    byte[] content = Files.readAllBytes(corpus.outside);
    float[] query = model.encodeImage(Images.read(corpus.outside));
    SearchResult result = searcher.search(request(List.of(new QueryTerm.ImageBytes(content, 1f)), 15));
    corpus.brute.assertSameRanking(BruteForce.top(corpus.brute.ranking(query), 15), result.hits(), query,
        "query by the bytes of " + corpus.outside);
    assertTrue(result.encoding().toNanos() > 0, "the image went through the encoder");
  }

  @Test
  void combinedQueryIsTheNormalisedWeightedSum() throws IOException {
    Corpus.Image example = new ArrayList<>(corpus.images.values()).get(50);
    byte[] outside = Files.readAllBytes(corpus.outside);
    float[] text = model.encodeText("a dog on the beach");
    float[] upload = model.encodeImage(Images.read(corpus.outside));
    float[] indexed = corpus.brute.vectors.get(example.key());
    float[] query = BruteForce.normalizedSum(new float[][] {text, indexed, upload}, new double[] {0.7, 1.0, 0.5});
    List<QueryTerm> terms = List.of(
        new QueryTerm.Text("a dog on the beach", 0.7f),
        new QueryTerm.IndexedImage(example.key(), 1.0f),
        new QueryTerm.ImageBytes(outside, 0.5f));
    SearchResult result = searcher.search(request(terms, 20));
    corpus.brute.assertSameRanking(
        BruteForce.top(corpus.brute.ranking(query, p -> !p.equals(example.key())), 20), result.hits(), query,
        "text 0.7 + indexed image 1.0 + uploaded image 0.5");

    // Two texts and a raw vector (not unit length: the searcher normalises it before weighting).
    float[] raw = new float[model.dimension()];
    for (int i = 0; i < raw.length; i++) {
      raw[i] = (i % 3 - 1) * 3.5f;
    }
    float[] a = model.encodeText("mountains");
    float[] b = model.encodeText("snow");
    float[] query2 = BruteForce.normalizedSum(
        new float[][] {a, b, BruteForce.normalized(raw)}, new double[] {1.0, 2.0, 0.25});
    SearchResult result2 = searcher.search(request(List.of(
        new QueryTerm.Text("mountains", 1f), new QueryTerm.Text("snow", 2f), new QueryTerm.Vector(raw, 0.25f)), 25));
    corpus.brute.assertSameRanking(BruteForce.top(corpus.brute.ranking(query2), 25), result2.hits(), query2,
        "mountains 1 + snow 2 + vector 0.25");
  }

  @Test
  void negativeTermsPushImagesLikeThemDown() throws IOException {
    String positive = "beach";
    String negative = "people";
    List<QueryTerm> parsed = QueryParser.parse(positive + " -" + negative);
    assertEquals(List.of(new QueryTerm.Text(positive, 1f), new QueryTerm.Text(negative, -QueryParser.NEGATIVE_WEIGHT)),
        parsed);

    float[] x = model.encodeText(positive);
    float[] y = model.encodeText(negative);
    float[] expectedQuery = BruteForce.normalizedSum(new float[][] {x, y}, new double[] {1.0, -0.5});
    List<SearchHit> withNegative = searcher.search(request(parsed, Corpus.SIZE)).hits();
    corpus.brute.assertSameRanking(corpus.brute.ranking(expectedQuery), withNegative, expectedQuery,
        "'beach -people' = normalize(e_beach - 0.5 e_people)");
    List<SearchHit> positiveOnly = searcher.search(SearchRequest.text(positive, Corpus.SIZE)).hits();

    // The 10 images most like "people" rank lower, taken together, once "people" is subtracted; the single most
    // "people"-like image can only lose ground (everything that beat it still does).
    List<String> peopleLike = BruteForce.paths(BruteForce.top(corpus.brute.ranking(y), 10));
    Map<String, Integer> before = ranks(positiveOnly);
    Map<String, Integer> after = ranks(withNegative);
    int sumBefore = peopleLike.stream().mapToInt(before::get).sum();
    int sumAfter = peopleLike.stream().mapToInt(after::get).sum();
    assertTrue(sumAfter > sumBefore,
        "images most like 'people' should move down: rank sum " + sumBefore + " -> " + sumAfter);
    assertTrue(after.get(peopleLike.get(0)) >= before.get(peopleLike.get(0)),
        "the image most like 'people' moved up: " + before.get(peopleLike.get(0)) + " -> "
            + after.get(peopleLike.get(0)));
    // And the images least like "people" move up.
    List<BruteForce.Scored> byPeople = corpus.brute.ranking(y);
    List<String> leastPeopleLike = BruteForce.paths(byPeople.subList(byPeople.size() - 10, byPeople.size()));
    assertTrue(leastPeopleLike.stream().mapToInt(after::get).sum()
        < leastPeopleLike.stream().mapToInt(before::get).sum(), "images least like 'people' should move up");
  }

  @Test
  void badQueriesAreRefusedWithAReason() {
    IllegalArgumentException onlyNegative = assertThrows(IllegalArgumentException.class,
        () -> searcher.search(request(List.of(new QueryTerm.Text("people", -1f)), 5)));
    assertTrue(onlyNegative.getMessage().contains("positive weight"), onlyNegative.getMessage());
    IllegalArgumentException blank = assertThrows(IllegalArgumentException.class,
        () -> searcher.search(request(List.of(new QueryTerm.Text("  ", 1f)), 5)));
    assertTrue(blank.getMessage().contains("empty"), blank.getMessage());
    IllegalArgumentException dims = assertThrows(IllegalArgumentException.class,
        () -> searcher.search(request(List.of(new QueryTerm.Vector(new float[3], 1f)), 5)));
    assertTrue(dims.getMessage().contains("dimensions"), dims.getMessage());
    assertThrows(IllegalArgumentException.class, () -> QueryParser.parse("-people"));
    assertThrows(IllegalArgumentException.class, () -> SearchRequest.text("cat", 0));
  }

  static Map<String, Integer> ranks(List<SearchHit> hits) {
    Map<String, Integer> ranks = new java.util.HashMap<>();
    for (int i = 0; i < hits.size(); i++) {
      ranks.put(hits.get(i).path(), i);
    }
    assertEquals(Corpus.SIZE, ranks.size(), "a ranking of the whole index");
    return ranks;
  }
}
