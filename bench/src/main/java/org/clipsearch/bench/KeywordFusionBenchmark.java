package org.clipsearch.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.clipsearch.api.SearchRequest;
import org.clipsearch.encoders.ClipModel;
import org.clipsearch.indexer.lucene.HnswSettings;
import org.clipsearch.indexer.lucene.LuceneImageStore;
import org.clipsearch.searcher.ImageSearcher;

/**
 * What keyword fusion ({@code --keywords}) adds to a text search, as the ratio of its latency to the same search
 * without it, in one run on one index of synthetic photo records ({@link SyntheticImages}: camera-style names such as
 * {@code /bench/photos/2019/2019-05 lisbon/IMG_0001234.jpg}). The queries range from a word in every name ("img":
 * BM25 ties across the whole collection, which are put in path order) through an album's place (one image in 28)
 * to one image's number (no ties).
 *
 * <p>Usage: KeywordFusionBenchmark IMAGES INDEX_DIR [ROUNDS]. The index is written once and reused by later runs.
 */
public final class KeywordFusionBenchmark {
  static final List<String> QUERIES = List.of("img", "lisbon", "a beach house in kyoto", "img 0012345");
  static final int WARMUP = 20;

  private KeywordFusionBenchmark() {}

  public static void main(String[] args) throws IOException {
    int images = Integer.parseInt(args[0]);
    Path index = Path.of(args[1]);
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 200;
    try (ClipModel model = ClipModel.loadDefault()) {
      try (LuceneImageStore store = LuceneImageStore.open(index, HnswSettings.DEFAULT)) {
        WebLoadServer.prepare(store, model, new SyntheticImages(model.dimension(), images, 42), images);
      }
      System.out.printf(Locale.ROOT, "%d images, %d rounds, k 10, default candidates; median (p90) ms%n", images,
          rounds);
      System.out.printf(Locale.ROOT, "%-26s %16s %16s %8s%n", "query", "vector only", "with keywords", "ratio");
      try (ImageSearcher searcher = ImageSearcher.open(index, model)) {
        for (String query : QUERIES) {
          SearchRequest plain = SearchRequest.text(query, 10);
          SearchRequest fused = plain.withKeywords(true);
          for (int i = 0; i < WARMUP; i++) {
            searcher.search(plain);
            searcher.search(fused);
          }
          // Alternated, so that both see the same machine state.
          double[] plainMs = new double[rounds];
          double[] fusedMs = new double[rounds];
          for (int i = 0; i < rounds; i++) {
            plainMs[i] = millis(searcher, plain);
            fusedMs[i] = millis(searcher, fused);
          }
          System.out.printf(Locale.ROOT, "%-26s %7.2f (%6.2f) %7.2f (%6.2f) %8.2f%n", "\"" + query + "\"",
              quantile(plainMs, 0.5), quantile(plainMs, 0.9), quantile(fusedMs, 0.5), quantile(fusedMs, 0.9),
              quantile(fusedMs, 0.5) / quantile(plainMs, 0.5));
        }
      }
    }
  }

  private static double millis(ImageSearcher searcher, SearchRequest request) throws IOException {
    long start = System.nanoTime();
    if (searcher.search(request).hits().isEmpty()) {
      throw new IllegalStateException("no hits for " + request);
    }
    return (System.nanoTime() - start) / 1e6;
  }

  private static double quantile(double[] values, double q) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[Math.min(sorted.length - 1, (int) Math.floor(q * sorted.length))];
  }
}
