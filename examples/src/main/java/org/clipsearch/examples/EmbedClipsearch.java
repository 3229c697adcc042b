package org.clipsearch.examples;

import java.nio.file.Path;
import java.util.List;
import org.clipsearch.api.Classification;
import org.clipsearch.api.LabelScore;
import org.clipsearch.api.SearchHit;
import org.clipsearch.api.SearchRequest;
import org.clipsearch.encoders.ClipModel;
import org.clipsearch.encoders.Images;
import org.clipsearch.indexer.ImageIndexer;
import org.clipsearch.searcher.ImageSearcher;

/**
 * Another Java application embedding clipsearch: opens a model, indexes a folder into an index on disk, searches it
 * by text and classifies the best hit into labels, then closes everything.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
 *     -cp "examples/target/classes:examples/target/lib/*" org.clipsearch.examples.EmbedClipsearch \
 *     [MODEL_DIR|default] [PHOTOS] [INDEX] [QUERY]
 * </pre>
 *
 * <p>MODEL_DIR is a model bundle; without it (or with {@code default}) the default model is loaded. PHOTOS defaults
 * to {@code photos}, INDEX to {@code index} (created if missing; a second run embeds only new or changed files),
 * QUERY to "a dog on the beach".
 */
public final class EmbedClipsearch {
  private EmbedClipsearch() {}

  public static void main(String[] args) throws Exception {
    boolean ownModel = args.length > 0 && !args[0].equals("default");
    Path photos = Path.of(args.length > 1 ? args[1] : "photos");
    Path index = Path.of(args.length > 2 ? args[2] : "index");
    String query = args.length > 3 ? args[3] : "a dog on the beach";
    try (ClipModel model = ownModel ? ClipModel.load(Path.of(args[0])) : ClipModel.loadDefault()) {
      try (ImageIndexer indexer = ImageIndexer.builder().index(index).model(model).build()) {
        System.out.println("indexed " + indexer.index(List.of(photos)).added() + " new images");
      }
      try (ImageSearcher searcher = ImageSearcher.open(index, model)) {
        List<SearchHit> hits = searcher.search(SearchRequest.text(query, 5)).hits();
        for (SearchHit hit : hits) {
          System.out.printf("%.4f  %s%n", hit.score(), hit.path());
        }
        if (!hits.isEmpty()) {
          Path best = Path.of(hits.get(0).path());
          Classification c = searcher.classify(best.toString(), Images.read(best),
              List.of("dog", "cat", "beach", "car"), null, 3);
          for (LabelScore label : c.labels()) {
            System.out.printf("%s: %.4f%n", label.label(), label.probability());
          }
        }
      }
    }
  }
}
