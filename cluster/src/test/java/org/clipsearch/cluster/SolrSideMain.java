package org.clipsearch.cluster;

import java.nio.file.Path;
import java.util.List;
import org.clipsearch.encoders.ClipModel;
import org.clipsearch.indexer.ImageIndexer;
import org.clipsearch.indexer.IndexReport;

/**
 * A child JVM of {@link SolrCloudTest} on this module's run-time class path, which has neither Lucene nor Jetty:
 * proves that the indexer's pipeline ({@code ImageIndexer.builder().store(...)}) and the SolrCloud backend run
 * without them. Indexes a folder into the collection, then optionally runs {@link Queries} and writes the results.
 *
 * <p>Arguments: ZKHOST COLLECTION MODEL PHOTOS [--prune] [--search OUT.json]. Prints {@code ISOLATED} after
 * checking the class path and {@code REPORT found added updated unchanged deleted embedded reused failures}.
 */
public final class SolrSideMain {
  private SolrSideMain() {}

  public static void main(String[] args) throws Exception {
    String zkHost = args[0];
    String collection = args[1];
    Path modelDir = Path.of(args[2]);
    Path photos = Path.of(args[3]);
    List<String> options = List.of(args).subList(4, args.length);
    for (String absent : List.of("org.apache.lucene.index.IndexWriter", "org.apache.lucene.codecs.KnnVectorsFormat",
        "org.eclipse.jetty.client.HttpClient", "org.eclipse.jetty.http2.client.HTTP2Client")) {
      try {
        Class.forName(absent, false, SolrSideMain.class.getClassLoader());
        throw new IllegalStateException(absent + " is on the run-time class path");
      } catch (ClassNotFoundException | NoClassDefFoundError expected) {
        // as it should be
      }
    }
    System.out.println("ISOLATED");
    try (ClipModel model = ClipModel.load(modelDir);
        SolrImageStore store = SolrImageStore.open(zkHost, collection);
        ImageIndexer indexer = ImageIndexer.builder().store(store).model(model).threads(1).batchSize(8)
            .commitEvery(16).prune(options.contains("--prune")).build()) {
      IndexReport r = indexer.index(List.of(photos));
      System.out.printf("REPORT %d %d %d %d %d %d %d %d%n", r.found(), r.added(), r.updated(), r.unchanged(),
          r.deleted(), r.embedded(), r.reused(), r.failures().size());
      r.failures().forEach(f -> System.out.println("FAILED " + f.path() + ": " + f.reason()));
      int search = options.indexOf("--search");
      if (search >= 0) {
        try (SolrImageSearch searcher = SolrImageSearch.open(store.cluster(), collection, model)) {
          Queries.runAll(photos, model, searcher, Path.of(options.get(search + 1)));
        }
      }
    }
    System.out.println("DONE");
  }
}
