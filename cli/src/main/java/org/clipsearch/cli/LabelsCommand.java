package org.clipsearch.cli;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.clipsearch.api.LabeledHit;
import org.clipsearch.api.SearchRequest;
import org.clipsearch.api.TagReport;
import org.clipsearch.api.TagSettings;
import org.clipsearch.encoders.ClipModel;
import org.clipsearch.searcher.ImageSearch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Label search: classifies the whole index and lists, per label, the images whose best label it is; with
 * {@code --tag}, also writes each image's most probable labels into the index, for {@code search --label} and
 * {@code stats}.
 */
@Command(name = "labels", mixinStandardHelpOptions = true,
    description = {"For each label, the indexed images that fit it best (the index classified into your labels).",
        "--tag also writes each image's most probable labels into the index: 'search --label NAME' filters by them and"
            + " 'stats' counts them. A tagging run replaces the tags of the images it classifies (those the filters"
            + " allow); it needs the index's write lock, so not while 'index' runs."})
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

  @Option(names = "--tag",
      description = "Write each image's most probable labels, with their probabilities, into the index.")
  boolean tag;

  @Option(names = "--tag-top", paramLabel = "N", defaultValue = "" + TagSettings.DEFAULT_TOP,
      description = "With --tag: at most N labels per image (default: ${DEFAULT-VALUE}).")
  int tagTop;

  @Option(names = "--tag-min", paramLabel = "P", defaultValue = "" + TagSettings.DEFAULT_MIN_PROBABILITY,
      description = "With --tag: labels after the best need at least this probability (default: ${DEFAULT-VALUE}).")
  float tagMin;

  @Override
  public Integer call() throws IOException {
    if (k < 1 || k > SearchRequest.MAX_K) {
      // k = 0 used to print every label with "0 images": each count is read from the label's first hit
      throw new IllegalArgumentException("--k must be between 1 and " + SearchRequest.MAX_K + ", got " + k);
    }
    List<String> labels = labelOptions.labels();
    TagSettings tagSettings = new TagSettings(tagTop, tagMin);
    try (ClipModel model = modelOptions.load(); ImageSearch searcher = solrOptions.openSearch(indexOptions, model)) {
      TagReport report =
          tag ? searcher.tag(labels, labelOptions.templates, tagSettings, filterOptions.filters()) : null;
      Map<String, List<LabeledHit>> result =
          searcher.labelSearch(labels, labelOptions.templates, k, filterOptions.filters());
      if (json) {
        var node = Output.JSON.createObjectNode();
        if (report != null) {
          var tagged = node.putObject("tagged");
          tagged.put("images", report.classified());
          tagged.put("rewritten", report.rewritten());
          tagged.put("top", tagSettings.top());
          tagged.put("min_probability", tagSettings.minProbability());
          var counts = tagged.putObject("counts");
          report.counts().forEach(counts::put);
        }
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
        if (report != null) {
          int most = Math.min(tagSettings.top(), labels.size());
          System.out.printf("tagged %d images with up to %d labels each (%d changed): %s%n%n", report.classified(),
              most, report.rewritten(), String.join(", ", report.counts().entrySet().stream()
                  .map(e -> e.getKey() + " " + e.getValue()).toList()));
        }
        result.forEach((label, hits) -> {
          System.out.printf("%s (%d images)%n", label, hits.isEmpty() ? 0 : hits.get(0).labelCount());
          for (LabeledHit h : hits) {
            System.out.printf("  %5.1f%%  %6.3f  %s%n",
                100 * h.label().probability(), h.label().score(), h.hit().path());
          }
        });
      }
    }
    return 0;
  }
}
