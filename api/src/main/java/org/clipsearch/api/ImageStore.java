package org.clipsearch.api;

import java.io.Closeable;
import java.io.IOException;
import java.util.Collection;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Where image records are written: the embedded Lucene index or a SolrCloud collection. The indexer's pipeline
 * (walking, decoding, embedding) is written against this interface only, so both backends index alike.
 *
 * <p>Writes become durable at {@link #commit}; after a crash, an index holds exactly what was committed.
 */
public interface ImageStore extends Closeable {
  /** The model recorded in the index, empty for a new index. */
  Optional<ModelIdentity> model() throws IOException;

  /** Records the model of a new index, or of one being re-embedded from scratch. */
  void setModel(ModelIdentity model) throws IOException;

  /** Removes every image, before re-embedding everything with another model. */
  void deleteAll() throws IOException;

  /** The stored facts of the image at {@code path}, if indexed. */
  Optional<StoredImage> find(String path) throws IOException;

  /** The embedding of any indexed image with this content hash, to reuse instead of embedding again. */
  Optional<float[]> vectorByHash(String sha256) throws IOException;

  /** Adds or replaces (by path) the given images. */
  void upsert(Collection<ImageRecord> images) throws IOException;

  /** Removes the images at these paths. */
  void delete(Collection<String> paths) throws IOException;

  /** Calls {@code action} with the path of every indexed image under {@code folder} (a normalised absolute path). */
  void forEachPathUnder(String folder, Consumer<String> action) throws IOException;

  /** Makes every write so far durable, recording {@code userData} (progress) with it. */
  void commit() throws IOException;

  IndexStats stats() throws IOException;
}
