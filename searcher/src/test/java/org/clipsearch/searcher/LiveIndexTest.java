package org.clipsearch.searcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.clipsearch.api.SearchFilters;
import org.clipsearch.api.SearchHit;
import org.clipsearch.api.SearchRequest;
import org.clipsearch.api.SearchResult;
import org.clipsearch.encoders.ClipModel;
import org.clipsearch.indexer.ImageIndexer;
import org.clipsearch.indexer.IndexReport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A searcher open while an indexer writes to the same index: it sees each commit (near-real-time), and many threads
 * search through one searcher while the indexer commits under them.
 */
class LiveIndexTest {
  static final Instant T = Instant.parse("2021-01-01T00:00:00Z");
  @TempDir Path dir;

  static List<Path> images(Path folder, int count, long seed) throws IOException {
    List<Path> files = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      String format = i % 2 == 0 ? "jpeg" : "png";
      files.add(TestFiles.write(folder.resolve("p" + i + (i % 2 == 0 ? ".jpg" : ".png")), format,
          TestFiles.draw(64 + i % 20, 64 + (i * 3) % 20, seed + i), T));
    }
    return files;
  }

  static ImageIndexer.Builder indexer(Path index) {
    return ImageIndexer.builder().index(index).model(TestFiles.model()).threads(2).batchSize(4);
  }

  static Set<String> everything(ImageSearcher searcher) throws IOException {
    Set<String> paths = new HashSet<>();
    searcher.search(SearchRequest.text("anything", SearchRequest.MAX_K)).hits().forEach(h -> paths.add(h.path()));
    return paths;
  }

  static Set<String> strings(List<Path> paths) {
    Set<String> s = new HashSet<>();
    paths.forEach(p -> s.add(p.toString()));
    return s;
  }

  @Test
  void aSearcherSeesEachCommitOfAnIndexerWritingBesideIt() throws Exception {
    ClipModel model = TestFiles.model();
    Path index = dir.resolve("index");
    List<Path> first = images(dir.resolve("photos/first"), 12, 10);
    try (ImageIndexer indexer = indexer(index).build()) {
      indexer.index(List.of(dir.resolve("photos/first")));
    }
    try (ImageSearcher searcher = ImageSearcher.open(index, model);
        ImageIndexer indexer = indexer(index).prune(true).build()) {
      assertEquals(strings(first), everything(searcher));

      // Committed by the indexer, then seen after refresh().
      List<Path> second = images(dir.resolve("photos/second"), 10, 20);
      IndexReport report = indexer.index(List.of(dir.resolve("photos/second")));
      assertEquals(10, report.added());
      // stats() reads the searcher's own reader but never an old commit: a page polls it while indexing.
      assertEquals(first.size() + second.size(), searcher.stats().images(), "stats() at once, without refresh()");
      searcher.refresh();
      Set<String> expected = strings(first);
      expected.addAll(strings(second));
      assertEquals(expected, everything(searcher), "after refresh()");
      BruteForce brute = BruteForce.read(index);
      float[] query = model.encodeText("a kite");
      brute.assertSameRanking(BruteForce.top(brute.ranking(query), 15),
          searcher.search(SearchRequest.text("a kite", 15)).hits(), query, "after the commit");

      // Seen without refresh() too, once the searcher's refresh interval has passed.
      List<Path> third = images(dir.resolve("photos/third"), 6, 30);
      indexer.index(List.of(dir.resolve("photos/third")));
      Thread.sleep(ImageSearcher.REFRESH_NANOS / 1_000_000 + 200);
      expected.addAll(strings(third));
      assertEquals(expected, everything(searcher), "after the refresh interval, without refresh()");

      // Deletions too: a pruned file disappears from the results, from similar() and from image().
      Path gone = second.get(3);
      Files.delete(gone);
      IndexReport pruned = indexer.index(List.of(dir.resolve("photos/second")));
      assertEquals(1, pruned.deleted());
      searcher.refresh();
      expected.remove(gone.toString());
      assertEquals(expected, everything(searcher), "after a prune");
      assertFalse(searcher.image(gone.toString()).isPresent());
      assertTrue(searcher.similar(second.get(4).toString(), 50, null).hits().stream()
          .noneMatch(h -> h.path().equals(gone.toString())));
    }
  }

  @Test
  void manyThreadsSearchWhileAnIndexerCommits() throws Exception {
    ClipModel model = TestFiles.model();
    Path index = dir.resolve("index");
    images(dir.resolve("photos/base"), 24, 100);
    try (ImageIndexer indexer = indexer(index).build()) {
      indexer.index(List.of(dir.resolve("photos/base")));
    }
    images(dir.resolve("photos/incoming"), 40, 200);
    String base = dir.resolve("photos/base").toString();

    List<String> queries = List.of("a cat", "a red car", "snow", "the sea at night", "a bowl of soup", "a forest",
        "an old map", "two dogs");
    List<float[]> vectors = queries.stream().map(model::encodeText).toList();
    List<Throwable> errors = Collections.synchronizedList(new ArrayList<>());
    Set<Integer> sizes = java.util.concurrent.ConcurrentHashMap.newKeySet();
    AtomicBoolean indexing = new AtomicBoolean(true);
    CountDownLatch started = new CountDownLatch(queries.size());
    ExecutorService pool = Executors.newFixedThreadPool(queries.size() + 1);
    try (ImageSearcher searcher = ImageSearcher.open(index, model)) {
      assertEquals(24, everything(searcher).size());
      List<Future<List<List<SearchHit>>>> searches = new ArrayList<>();
      for (int t = 0; t < queries.size(); t++) {
        final int q = t;
        searches.add(pool.submit(() -> {
          List<List<SearchHit>> seen = new ArrayList<>();
          started.countDown();
          int round = 0;
          int lastSize = 0;
          // Until the indexer is done and this thread has seen all its images (the searcher refreshes by itself).
          while (indexing.get() || round < 5 || lastSize < 64) {
            SearchRequest request = SearchRequest.text(queries.get(q), 10);
            if (round % 3 == 1) {
              request = request.withFilters(new SearchFilters(base, null, null, null, null, null, null, null));
            } else if (round % 3 == 2) {
              request = request.withPage(10, 10);
            }
            SearchResult result = searcher.search(request);
            assertEquals(10, result.hits().size(), queries.get(q) + ": a full page in round " + round);
            if (round % 3 != 2) {
              seen.add(result.hits());
            }
            if (round % 4 == 0) {
              lastSize = searcher.search(SearchRequest.text(queries.get(q), SearchRequest.MAX_K)).hits().size();
              sizes.add(lastSize);
            }
            round++;
            Thread.sleep(2); // leave the indexer some of a small machine's time
          }
          return seen;
        }));
      }
      Future<IndexReport> writer = pool.submit(() -> {
        try (ImageIndexer indexer = indexer(index).commitEvery(5).build()) {
          started.await();
          return indexer.index(List.of(dir.resolve("photos/incoming")));
        } finally {
          indexing.set(false);
        }
      });
      IndexReport report = writer.get(120, TimeUnit.SECONDS);
      assertEquals(40, report.added());

      BruteForce brute = BruteForce.read(index);
      assertEquals(64, brute.vectors.size());
      int checked = 0;
      for (int q = 0; q < queries.size(); q++) {
        float[] query = vectors.get(q);
        for (List<SearchHit> hits : searches.get(q).get(120, TimeUnit.SECONDS)) {
          // Whatever commit a search saw, its hits are distinct, ranked, and scored by their exact cosine.
          Set<String> paths = new HashSet<>();
          for (int i = 0; i < hits.size(); i++) {
            SearchHit hit = hits.get(i);
            assertTrue(paths.add(hit.path()), "a hit twice: " + hits);
            assertEquals(brute.score(query, hit.path()), hit.score(), BruteForce.TOLERANCE, hit.path());
            assertTrue(i == 0 || hits.get(i - 1).score() >= hit.score(), "ranked best first");
          }
          checked++;
        }
        searcher.refresh();
        SearchResult end = searcher.search(SearchRequest.text(queries.get(q), 20));
        brute.assertSameRanking(BruteForce.top(brute.ranking(query), 20), end.hits(), query,
            "'" + queries.get(q) + "' after the indexer finished");
      }
      assertTrue(checked >= 5 * queries.size(), "searches ran: " + checked);
      assertTrue(sizes.contains(64) && sizes.stream().allMatch(n -> n >= 24 && n <= 64),
          "searches saw the index grow under them: " + sizes);
    } catch (java.util.concurrent.ExecutionException e) {
      errors.add(e.getCause());
    } finally {
      pool.shutdownNow();
      assertTrue(pool.awaitTermination(60, TimeUnit.SECONDS));
    }
    assertEquals(List.of(), errors);
  }
}
