package org.clipsearch.searcher;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
 * One picture under several paths shares one embedding, so its copies tie exactly. The embedded index puts them in
 * path order, as the SolrCloud backend does, whatever order they were indexed in.
 */
class TieOrderTest {
  static final Instant T = Instant.parse("2022-05-01T00:00:00Z");
  @TempDir Path dir;

  @Test
  void copiesOfOnePictureComeInPathOrderNotIndexingOrder() throws IOException {
    BufferedImage picture = TestFiles.draw(80, 60, 42);
    Path index = dir.resolve("index");
    // Indexed one folder per run, c before a before b, so that doc ids follow that order.
    for (String folder : List.of("c", "a", "b")) {
      TestFiles.write(dir.resolve(folder).resolve("copy.png"), "png", picture, T);
      TestFiles.write(dir.resolve(folder).resolve("other.png"), "png", TestFiles.draw(70, 70, folder.charAt(0)), T);
      try (ImageIndexer indexer = ImageIndexer.builder().index(index).model(TestFiles.model()).threads(1).build()) {
        indexer.index(List.of(dir.resolve(folder)));
      }
    }
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
}
