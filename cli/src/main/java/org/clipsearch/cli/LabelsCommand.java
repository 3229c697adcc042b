package org.clipsearch.cli;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.clipsearch.api.LabeledHit;
import org.clipsearch.encoders.ClipModel;
import org.clipsearch.searcher.ImageSearch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Label search: classifies the whole index and lists, per label, the images whose best label it is. */
@Command(name = "labels", mixinStandardHelpOptions = true,
    description = "For each label, the indexed images that fit it best (the index classified into your labels).")
final class LabelsCommand implements Callable<Integer> {
  @Mixin IndexOptions indexOptions = new IndexOptions();
  @Mixin SolrOptions solrOptions = new SolrOptions();
  @Mixin ModelOptions modelOptions = new ModelOptions();
  @Mixin LabelOptions labelOptions = new LabelOptions();
  @Mixin FilterOptions filterOptions = new FilterOptions();

  @Option(names = "--k", defaultValue = "10", description = "Images shown per label (default: ${DEFAULT-VALUE}).")
  int k;

  @Option(names = "--json", description = "Print one JSON document.")
  boolean json;

  @Override
  public Integer call() throws IOException {
    List<String> labels = labelOptions.labels();
    try (ClipModel model = modelOptions.load(); ImageSearch searcher = solrOptions.openSearch(indexOptions, model)) {
      Map<String, List<LabeledHit>> result =
          searcher.labelSearch(labels, labelOptions.templates, k, filterOptions.filters());
      if (json) {
        var node = Output.JSON.createObjectNode();
        var array = node.putArray("labels");
        result.forEach((label, hits) -> {
          var entry = array.addObject();
          entry.put("label", label);
          entry.put("count", hits.isEmpty() ? 0 : hits.get(0).labelCount());
          var list = entry.putArray("hits");
          for (LabeledHit h : hits) {
            list.add(Output.hit(h.hit()).put("probability", h.label().probability()));
          }
        });
        Output.print(System.out, node);
      } else {
        result.forEach((label, hits) -> {
          System.out.printf("%s (%d images)%n", label, hits.isEmpty() ? 0 : hits.get(0).labelCount());
          for (LabeledHit h : hits) {
            System.out.printf("  %5.1f%%  %6.3f  %s%n", 100 * h.label().probability(), h.label().score(), h.hit().path());
          }
        });
      }
    }
    return 0;
  }
}
