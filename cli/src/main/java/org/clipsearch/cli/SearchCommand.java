package org.clipsearch.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.clipsearch.api.QueryTerm;
import org.clipsearch.api.SearchRequest;
import org.clipsearch.api.SearchResult;
import org.clipsearch.encoders.ClipModel;
import org.clipsearch.searcher.ImageSearch;
import org.clipsearch.searcher.QueryParser;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Text search, optionally combined with example images and negative terms. */
@Command(name = "search", mixinStandardHelpOptions = true,
    description = {"Find images by what they show: clipsearch search \"a dog asleep on a sofa\".",
        "Words after '-' are pushed away: \"beach -people\"."})
final class SearchCommand implements Callable<Integer> {
  @Mixin IndexOptions indexOptions = new IndexOptions();
  @Mixin ModelOptions modelOptions = new ModelOptions();
  @Mixin FilterOptions filterOptions = new FilterOptions();
  @Mixin SolrOptions solrOptions = new SolrOptions();

  @Option(names = "--k", defaultValue = "10", description = "Hits per page (default: ${DEFAULT-VALUE}).")
  int k;

  @Option(names = "--offset", defaultValue = "0", description = "Hits to skip (default: ${DEFAULT-VALUE}).")
  int offset;

  @Option(names = "--candidates", defaultValue = "0",
      description = "HNSW candidates re-ranked exactly (default: max(100, 10k)).")
  int candidates;

  @Option(names = "--like", paramLabel = "IMAGE", description = "Also look like this image file (repeatable).")
  List<Path> like = new ArrayList<>();

  @Option(names = "--keywords", description = "Fuse with BM25 over folder and file names (reciprocal rank fusion).")
  boolean keywords;

  @Option(names = "--cutoff", description = "Drop hits that do not stand out from the collection's typical images.")
  boolean cutoff;

  @Option(names = "--json", description = "Print one JSON document.")
  boolean json;

  @Parameters(paramLabel = "QUERY", arity = "1..*", description = "What to look for.")
  List<String> query;

  @Override
  public Integer call() throws IOException {
    String text = String.join(" ", query);
    List<QueryTerm> terms = new ArrayList<>(QueryParser.parse(text));
    for (Path image : like) {
      terms.add(new QueryTerm.ImageBytes(Files.readAllBytes(image), 1f));
    }
    SearchRequest request = new SearchRequest(terms, k, offset, filterOptions.filters(), candidates, keywords, cutoff);
    try (ClipModel model = modelOptions.load(); ImageSearch searcher = solrOptions.openSearch(indexOptions, model)) {
      SearchResult result = searcher.search(request);
      if (json) {
        var node = Output.JSON.createObjectNode();
        node.put("query", text);
        node.put("took_ms", result.tookMillis());
        node.put("offset", offset);
        node.set("hits", Output.hits(result.hits()));
        Output.print(System.out, node);
      } else {
        Output.table(System.out, result.hits(), offset);
      }
    }
    return 0;
  }
}
