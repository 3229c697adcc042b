package org.clipsearch.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.clipsearch.api.QueryTerm;
import org.clipsearch.api.SearchRequest;
import org.clipsearch.api.SearchResult;
import org.clipsearch.encoders.ClipModel;
import org.clipsearch.searcher.ImageSearch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Look-alikes of an image, indexed (by id or path) or not (any image file). */
@Command(name = "similar", mixinStandardHelpOptions = true, description = "Find images that look like IMAGE.")
final class SimilarCommand implements Callable<Integer> {
  @Mixin IndexOptions indexOptions = new IndexOptions();
  @Mixin SolrOptions solrOptions = new SolrOptions();
  @Mixin ModelOptions modelOptions = new ModelOptions();
  @Mixin FilterOptions filterOptions = new FilterOptions();

  @Option(names = "--k", defaultValue = "10", description = "Hits (default: ${DEFAULT-VALUE}).")
  int k;

  @Option(names = "--offset", defaultValue = "0", description = "Hits to skip.")
  int offset;

  @Option(names = "--json", description = "Print one JSON document.")
  boolean json;

  @Parameters(paramLabel = "IMAGE", description = "An image file, or the id of an indexed image.")
  String image;

  @Override
  public Integer call() throws IOException {
    try (ClipModel model = modelOptions.load(); ImageSearch searcher = solrOptions.openSearch(indexOptions, model)) {
      Path file = Path.of(image).toAbsolutePath().normalize();
      QueryTerm term;
      if (searcher.image(file.toString()).isPresent()) {
        term = new QueryTerm.IndexedImage(file.toString(), 1f);
      } else if (Files.isRegularFile(file)) {
        term = new QueryTerm.ImageBytes(Files.readAllBytes(file), 1f);
      } else {
        term = new QueryTerm.IndexedImage(image, 1f);
      }
      SearchResult result = searcher.search(
          new SearchRequest(List.of(term), k, offset, filterOptions.filters(), 0, false, false));
      if (json) {
        var node = Output.JSON.createObjectNode();
        node.put("query", image);
        node.put("took_ms", result.tookMillis());
        node.set("hits", Output.hits(result.hits()));
        Output.print(System.out, node);
      } else {
        Output.table(System.out, result.hits(), offset);
      }
    }
    return 0;
  }
}
