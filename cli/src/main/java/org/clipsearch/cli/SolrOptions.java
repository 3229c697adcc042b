package org.clipsearch.cli;

import java.io.IOException;
import org.clipsearch.cluster.SolrImageSearch;
import org.clipsearch.cluster.SolrImageStore;
import org.clipsearch.encoders.ClipModel;
import org.clipsearch.indexer.ImageIndexer;
import org.clipsearch.indexer.lucene.HnswSettings;
import org.clipsearch.searcher.ImageSearch;
import org.clipsearch.searcher.ImageSearcher;

import picocli.CommandLine.Option;

/** A SolrCloud collection instead of the embedded index: shared by every command that reads or writes the index. */
final class SolrOptions {
  @Option(
      names = "--solr",
      paramLabel = "ZKHOST[/CHROOT]",
      description = "Use a SolrCloud collection instead of the embedded index: the cluster's ZooKeeper"
          + " (host:port[,host:port...][/chroot], as Solr's -z).")
  String solr;

  @Option(
      names = "--collection",
      paramLabel = "NAME",
      defaultValue = "clipsearch",
      description = "The SolrCloud collection (with --solr; default: ${DEFAULT-VALUE}).")
  String collection;

  boolean enabled() {
    return solr != null && !solr.isBlank();
  }

  /** The collection with --solr, else the embedded index of {@code index}; both answer the same requests. */
  ImageSearch openSearch(IndexOptions index, ClipModel model) throws IOException {
    return enabled() ? SolrImageSearch.open(solr, collection, model) : ImageSearcher.open(index.path(), model);
  }

  /**
   * An indexer into the collection with --solr (its HNSW settings are the collection's), else the embedded index,
   * written with {@code hnsw} or, when null, with the settings the index recorded.
   */
  ImageIndexer.Builder indexer(IndexOptions index, HnswSettings hnsw) throws IOException {
    if (enabled()) {
      return ImageIndexer.builder().store(SolrImageStore.open(solr, collection)).closeStore(true);
    }
    ImageIndexer.Builder builder = ImageIndexer.builder().index(index.path());
    return hnsw == null ? builder : builder.hnsw(hnsw);
  }

  /** Where the images go, for people. */
  String describe(IndexOptions index) {
    return enabled() ? "SolrCloud collection " + collection + " at " + solr : index.path().toString();
  }
}
