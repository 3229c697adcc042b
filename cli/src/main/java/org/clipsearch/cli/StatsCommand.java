package org.clipsearch.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.concurrent.Callable;
import org.clipsearch.api.IndexStats;
import org.clipsearch.cluster.SolrImageStore;
import org.clipsearch.indexer.lucene.LuceneImageStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** What an index holds, without taking its write lock (so it works while an indexer runs). */
@Command(name = "stats", mixinStandardHelpOptions = true, description = "Show what the index holds.")
final class StatsCommand implements Callable<Integer> {
  @Mixin IndexOptions indexOptions = new IndexOptions();
  @Mixin SolrOptions solrOptions = new SolrOptions();

  @Option(names = "--json", description = "Print one JSON document.")
  boolean json;

  @Override
  public Integer call() throws IOException {
    IndexStats stats;
    String where = indexOptions.path().toString();
    if (solrOptions.enabled()) {
      where = solrOptions.solr + " collection " + solrOptions.collection;
      try (SolrImageStore store = SolrImageStore.open(solrOptions.solr, solrOptions.collection)) {
        stats = store.stats(); // size: all replicas together
      }
    } else {
      stats = LuceneImageStore.readStats(indexOptions.path());
    }
    if (json) {
      ObjectMapper mapper = new ObjectMapper();
      ObjectNode node = mapper.createObjectNode();
      node.put("index", where);
      node.put("images", stats.images());
      if (stats.model() != null) {
        ObjectNode model = node.putObject("model");
        model.put("name", stats.model().name());
        model.put("dimension", stats.model().dimension());
        model.put("fingerprint", stats.model().fingerprint());
      } else {
        node.putNull("model");
      }
      node.put("size_bytes", stats.sizeBytes());
      node.put("vector_format", stats.vectorFormat());
      node.put("last_commit", stats.lastCommit() == null ? null : stats.lastCommit().toString());
      node.put("tagged", stats.tagged());
      ObjectNode labels = node.putObject("labels");
      stats.labels().forEach(labels::put);
      System.out.println(mapper.writerWithDefaultPrettyPrinter().writeValueAsString(node));
    } else {
      System.out.printf("index:         %s%n", where);
      System.out.printf("images:        %d%n", stats.images());
      System.out.printf("model:         %s%n", stats.model() == null ? "(none)" : stats.model());
      System.out.printf("size on disk:  %.1f MB%n", stats.sizeBytes() / 1e6);
      System.out.printf("vector format: %s%n", stats.vectorFormat());
      System.out.printf("last commit:   %s%n", stats.lastCommit() == null ? "(never)" : stats.lastCommit());
      if (stats.tagged() > 0) {
        System.out.printf("tagged:        %d of %d images (labels --tag)%n", stats.tagged(), stats.images());
        int width = stats.labels().keySet().stream().mapToInt(String::length).max().orElse(0);
        stats.labels().forEach((label, n) -> System.out.printf("  %-" + width + "s  %d%n", label, n));
      }
    }
    return 0;
  }
}
