package org.clipsearch.cluster;

import java.nio.file.Path;
import java.util.List;
import org.clipsearch.encoders.ClipModel;
import org.clipsearch.indexer.ImageIndexer;
import org.clipsearch.indexer.IndexReport;
import org.clipsearch.searcher.ImageSearcher;

/**
 * The reference: a child JVM of {@link SolrCloudTest} with the searcher module and Lucene 10 (which cannot share a
 * JVM with Solr's Lucene 9) that indexes the same folder into the embedded index and runs the same {@link Queries}.
 *
 * <p>Arguments: INDEX MODEL PHOTOS OUT.json. Prints {@code REPORT ...} as {@link SolrSideMain}.
 */
public final class EmbeddedSideMain {
  private EmbeddedSideMain() {}

  public static void main(String[] args) throws Exception {
    Path index = Path.of(args[0]);
    Path modelDir = Path.of(args[1]);
    Path photos = Path.of(args[2]);
    Path out = Path.of(args[3]);
    try (ClipModel model = ClipModel.load(modelDir)) {
      try (ImageIndexer indexer = ImageIndexer.builder().index(index).model(model).threads(1).batchSize(8)
          .commitEvery(16).build()) {
        IndexReport r = indexer.index(List.of(photos));
        System.out.printf("REPORT %d %d %d %d %d %d %d %d%n", r.found(), r.added(), r.updated(), r.unchanged(),
            r.deleted(), r.embedded(), r.reused(), r.failures().size());
      }
      try (ImageSearcher searcher = ImageSearcher.open(index, model)) {
        Queries.runAll(photos, model, searcher, out);
      }
    }
    System.out.println("DONE org.apache.lucene.util.Version.LATEST=" + org.apache.lucene.util.Version.LATEST);
  }
}
