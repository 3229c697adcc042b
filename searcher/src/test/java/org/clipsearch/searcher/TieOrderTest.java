package org.clipsearch.searcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.clipsearch.api.QueryTerm;
import org.clipsearch.api.SearchHit;
import org.clipsearch.api.SearchRequest;
import org.clipsearch.indexer.ImageIndexer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ties on the embedded index come in path order, as on the SolrCloud backend, whatever order the images were
 * indexed in: copies of one picture (one embedding, equal scores) and equal ranks in keyword fusion.
 */
class TieOrderTest {
  static final Instant T = Instant.parse("2022-05-01T00:00:00Z");
  @TempDir Path dir;

  @Test
  void copiesOfOnePictureComeInPathOrderNotIndexingOrder() throws IOException {
    BufferedImage picture = TestFiles.draw(80, 60, 42);
    for (String folder : List.of("c", "a", "b")) {
      TestFiles.write(dir.resolve(folder).resolve("copy.png"), "png", picture, T);
      TestFiles.write(dir.resolve(folder).resolve("other.png"), "png", TestFiles.draw(70, 70, folder.charAt(0)), T);
    }
    // c before a before b, so that doc ids follow that order.
    Path index = indexOneFolderPerRun(List.of("c", "a", "b"));
    try (ImageSearcher searcher = ImageSearcher.open(index, TestFiles.model())) {
      byte[] content = Files.readAllBytes(dir.resolve("a/copy.png"));
      List<SearchHit> hits = searcher.search(new SearchRequest(List.of(new QueryTerm.ImageBytes(content, 1f)), 3, 0,
          null, 0, false, false)).hits();
      assertEquals(3, hits.size());
      assertEquals(hits.get(0).score(), hits.get(2).score(), "the copies tie");
      assertEquals(List.of("a", "b", "c"),
          hits.stream().map(h -> Path.of(h.path()).getParent().getFileName().toString()).toList());
    }
  }

  @Test
  void copiesAmongManyImagesComeInPathOrderToo() throws IOException {
    // Two tied images among 82: few enough that their paths are read from the stored fields (with three among six,
    // above, the path terms are walked instead).
    assertTrue(2 * ImageSearcher.STORED_PATH_COST_IN_TERMS <= 82, "the set-up takes the stored-fields way");
    BufferedImage picture = TestFiles.draw(80, 60, 42);
    for (int i = 0; i < 80; i++) {
      TestFiles.write(dir.resolve("b").resolve("other" + i + ".png"), "png", TestFiles.draw(40, 40, 500 + i), T);
    }
    TestFiles.write(dir.resolve("c").resolve("copy.png"), "png", picture, T);
    TestFiles.write(dir.resolve("a").resolve("copy.png"), "png", picture, T);
    Path index = indexOneFolderPerRun(List.of("c", "a", "b"));
    try (ImageSearcher searcher = ImageSearcher.open(index, TestFiles.model())) {
      assertEquals(82, searcher.stats().images());
      byte[] content = Files.readAllBytes(dir.resolve("c/copy.png"));
      List<SearchHit> hits = searcher.search(new SearchRequest(List.of(new QueryTerm.ImageBytes(content, 1f)), 2, 0,
          null, 0, false, false)).hits();
      assertEquals(hits.get(0).score(), hits.get(1).score(), "the copies tie");
      assertEquals(List.of("a/copy.png", "c/copy.png"), hits.stream().map(TieOrderTest::shortName).toList());
    }
  }

  @Test
  void keywordFusionBreaksRankTiesByPath() throws IOException {
    // b/ is indexed first, so its images get the smaller doc ids; a/zebra.png is the only keyword match.
    writePictures();
    TestFiles.write(dir.resolve("a").resolve("zebra.png"), "png", TestFiles.draw(64, 64, 7), T);
    assertKeywordRankingsFirstIs("a/zebra.png", indexOneFolderPerRun(List.of("b", "a")),
        "rank 1 by keywords ties rank 1 by vector; a/zebra.png comes before b/...");
  }

  @Test
  void equalKeywordScoresAtThePoolsEdgeArePickedByPathNotDocId() throws IOException {
    // Three images named zebra in folders named alike score the same BM25; c/ is indexed first, so c/zebra.png has
    // the smallest doc id, and a/zebra.png is first by path.
    writePictures();
    for (String folder : List.of("a", "b", "c")) {
      TestFiles.write(dir.resolve(folder).resolve("zebra.png"), "png", TestFiles.draw(64, 64, 300 + folder.charAt(0)),
          T);
    }
    assertKeywordRankingsFirstIs("a/zebra.png", indexOneFolderPerRun(List.of("c", "a", "b")),
        "of the zebras tied by BM25, the first by path is the keyword ranking's first");
  }

  /** Eight pictures in b/, for the vector ranking's first. */
  private void writePictures() throws IOException {
    for (int i = 0; i < 8; i++) {
      TestFiles.write(dir.resolve("b").resolve("picture" + i + ".png"), "png", TestFiles.draw(64, 64, 100 + i), T);
    }
  }

  /** One indexing run per folder, in this order, so that doc ids follow it. */
  private Path indexOneFolderPerRun(List<String> folders) throws IOException {
    Path index = dir.resolve("index");
    for (String folder : folders) {
      try (ImageIndexer indexer = ImageIndexer.builder().index(index).model(TestFiles.model()).threads(1).build()) {
        indexer.index(List.of(dir.resolve(folder)));
      }
    }
    return index;
  }

  /**
   * Searches "zebra" with one candidate each way, so that the keyword ranking's first (after a check that no zebra
   * is among the vector ranking's first two) comes beside the vector ranking's first: equal in RRF, in path order.
   */
  private static void assertKeywordRankingsFirstIs(String expected, Path index, String why) throws IOException {
    try (ImageSearcher searcher = ImageSearcher.open(index, TestFiles.model())) {
      SearchRequest vectorOnly = new SearchRequest(List.of(new QueryTerm.Text("zebra", 1f)), 2, 0, null, 1, false,
          false);
      List<SearchHit> byVector = searcher.search(vectorOnly).hits();
      assertFalse(byVector.stream().anyMatch(h -> shortName(h).endsWith("/zebra.png")),
          "the set-up needs no zebra in the vector ranking's first two: " + byVector);
      List<SearchHit> fused = searcher.search(vectorOnly.withKeywords(true)).hits();
      assertEquals(List.of(expected, shortName(byVector.get(0))), fused.stream().map(TieOrderTest::shortName).toList(),
          why);
    }
  }

  private static String shortName(SearchHit hit) {
    Path path = Path.of(hit.path());
    return path.getParent().getFileName() + "/" + path.getFileName();
  }
}
