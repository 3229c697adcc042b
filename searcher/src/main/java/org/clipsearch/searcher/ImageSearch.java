package org.clipsearch.searcher;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.clipsearch.api.Classification;
import org.clipsearch.api.ImageRecord;
import org.clipsearch.api.IndexStats;
import org.clipsearch.api.LabelScore;
import org.clipsearch.api.LabeledHit;
import org.clipsearch.api.QueryTerm;
import org.clipsearch.api.SearchFilters;
import org.clipsearch.api.SearchHit;
import org.clipsearch.api.SearchRequest;
import org.clipsearch.api.SearchResult;
import org.clipsearch.api.TagReport;
import org.clipsearch.api.TagSettings;
import org.clipsearch.api.TaggedImage;
import org.clipsearch.encoders.ClipModel;

/**
 * Searching an image collection, whichever backend holds it: the embedded Lucene index ({@link ImageSearcher}) or
 * a SolrCloud collection ({@code org.clipsearch.cluster.SolrImageSearch}). The CLI, the web server and library users
 * program against this interface, so that switching backends is a matter of configuration. It uses no Lucene class:
 * the SolrCloud backend runs without Lucene 10 on its class path.
 *
 * <p>Implementations are thread-safe and see what an indexer commits while they are open.
 */
public interface ImageSearch extends AutoCloseable {
  /** The model that embeds queries; the collection was written by the same model. */
  ClipModel model();

  /** Where the images are, for people: a folder, or a SolrCloud collection and its ZooKeeper. */
  String location();

  /** Text, image and combined queries with filters, re-ranked exactly; see {@link SearchRequest}. */
  SearchResult search(SearchRequest request) throws IOException;

  /** Images like the indexed image {@code idOrPath} (itself left out). */
  default SearchResult similar(String idOrPath, int k, SearchFilters filters) throws IOException {
    return search(new SearchRequest(List.of(new QueryTerm.IndexedImage(idOrPath, 1f)), k, 0, filters, 0, false,
        false));
  }

  /** The indexed image with this id or path, thumbnail and vector included. */
  Optional<ImageRecord> image(String idOrPath) throws IOException;

  /** The indexed image with this id or path and its label tags, read at once: what an image's details show. */
  Optional<TaggedImage> taggedImage(String idOrPath) throws IOException;

  IndexStats stats() throws IOException;

  /** Zero-shot classification with this collection's model; label embeddings are cached. */
  ZeroShotClassifier classifier();

  /** Zero-shot classification of an image embedding: labels by probability, best first, at most {@code top}. */
  default List<LabelScore> classify(float[] image, List<String> labels, List<String> templates, int top) {
    return classifier().classify(image, labels, templates, top);
  }

  /** Zero-shot classification of an image that need not be indexed. */
  default Classification classify(String path, BufferedImage image, List<String> labels, List<String> templates,
      int top) {
    return new Classification(path, classify(model().encodeImage(image), labels, templates, top));
  }

  /**
   * Label search: classifies every indexed image (passing {@code filters}) among {@code labels} and returns, for each
   * label in the order given, the images whose best label it is, most similar to it first (at most
   * {@code perLabel}).
   */
  Map<String, List<LabeledHit>> labelSearch(List<String> labels, List<String> templates, int perLabel,
      SearchFilters filters) throws IOException;

  /**
   * Groups of near-duplicate images: identical files (same content hash) first, then images whose embeddings have
   * cosine similarity of at least {@code threshold} to another in the group, looked for among each image's
   * {@code neighbours} nearest.
   */
  List<List<SearchHit>> nearDuplicates(float threshold, int neighbours) throws IOException;

  /**
   * Writes each indexed image's most probable labels (among those that match {@code filters}) into the collection,
   * for label filters ({@link SearchFilters#label()}) and {@link #labelCounts}; replaces the tags of every image it
   * classifies, and rewrites only the images whose tags change.
   */
  TagReport tag(List<String> labels, List<String> templates, TagSettings settings, SearchFilters filters)
      throws IOException;

  /** Per label, how many images that match {@code filters} carry its tag, most frequent first (ties by label). */
  Map<String, Long> labelCounts(SearchFilters filters) throws IOException;

  /** The label tags of an indexed image, best first (empty when it has none). */
  List<LabelScore> tags(String idOrPath) throws IOException;

  @Override
  void close() throws IOException;
}
