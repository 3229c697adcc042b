package org.clipsearch.cli;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.Callable;
import org.clipsearch.api.SearchHit;
import org.clipsearch.encoders.ClipModel;
import org.clipsearch.searcher.ImageSearch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Groups of identical or near-identical indexed images. */
@Command(name = "duplicates", mixinStandardHelpOptions = true, description = "List groups of near-duplicate images.")
final class DuplicatesCommand implements Callable<Integer> {
  @Mixin IndexOptions indexOptions = new IndexOptions();
  @Mixin SolrOptions solrOptions = new SolrOptions();
  @Mixin ModelOptions modelOptions = new ModelOptions();

  @Option(names = "--threshold", defaultValue = "0.95",
      description = "Cosine similarity at or above which images are near-duplicates (default: ${DEFAULT-VALUE}).")
  float threshold;

  @Option(names = "--json", description = "Print one JSON document.")
  boolean json;

  @Override
  public Integer call() throws IOException {
    if (!(threshold > 0 && threshold <= 1)) {
      throw new IllegalArgumentException("--threshold must be in (0, 1], got " + threshold);
    }
    try (ClipModel model = modelOptions.load(); ImageSearch searcher = solrOptions.openSearch(indexOptions, model)) {
      List<List<SearchHit>> groups = searcher.nearDuplicates(threshold, 10);
      if (json) {
        var node = Output.JSON.createObjectNode();
        var array = node.putArray("groups");
        groups.forEach(g -> array.add(Output.hits(g)));
        Output.print(System.out, node);
      } else {
        int n = 0;
        for (List<SearchHit> group : groups) {
          System.out.printf("group %d%n", ++n);
          group.forEach(h -> System.out.printf("  %6.3f  %s%n", h.score(), h.path()));
        }
        if (groups.isEmpty()) {
          System.out.println("(no near-duplicates)");
        }
      }
    }
    return 0;
  }
}
