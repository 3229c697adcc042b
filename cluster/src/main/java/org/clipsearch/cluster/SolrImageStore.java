package org.clipsearch.cluster;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.solr.client.solrj.SolrQuery;
import org.apache.solr.client.solrj.SolrRequest;
import org.apache.solr.client.solrj.request.CoreAdminRequest;
import org.apache.solr.client.solrj.request.QueryRequest;
import org.apache.solr.client.solrj.request.UpdateRequest;
import org.apache.solr.client.solrj.response.CoreAdminResponse;
import org.apache.solr.client.solrj.response.QueryResponse;
import org.apache.solr.common.SolrDocument;
import org.apache.solr.common.SolrInputDocument;
import org.apache.solr.common.cloud.DocCollection;
import org.apache.solr.common.cloud.Replica;
import org.apache.solr.common.util.NamedList;
import org.clipsearch.api.ImageFields;
import org.clipsearch.api.ImageRecord;
import org.clipsearch.api.ImageStore;
import org.clipsearch.api.IndexStats;
import org.clipsearch.api.ModelIdentity;
import org.clipsearch.api.ModelMismatchException;
import org.clipsearch.api.StoredImage;

/**
 * The SolrCloud backend of {@link ImageStore}: one document per image in a collection made by
 * {@link SolrCollections#create}, written in batches through SolrJ. The indexer's pipeline runs unchanged on it:
 * {@code ImageIndexer.builder().store(store)}.
 *
 * <p>Differences from the embedded index that a user can notice: Solr acknowledges an update once its transaction
 * log holds it on every replica, so an update survives a crash even before {@link #commit}, which makes it
 * visible to searches (the embedded index drops what was not committed); and the model identity is a collection
 * property, written at the first commit after {@link #setModel}.
 */
public final class SolrImageStore implements ImageStore {
  /** At most this many images' facts are read ahead by {@link #find} (about 300 bytes each). */
  static final int READ_AHEAD_LIMIT = 200_000;

  private final SolrCluster cluster;
  private final String collection;
  private final boolean ownsCluster;
  private ModelIdentity model;
  private ModelIdentity pendingModel;
  /** Facts of every image under the folders in {@link #readFolders}, read ahead for {@link #find}. */
  private final Map<String, StoredImage> readAhead = new HashMap<>();
  private final Set<String> readFolders = new HashSet<>();
  private final Set<String> tooLarge = new HashSet<>();

  private SolrImageStore(SolrCluster cluster, String collection, boolean ownsCluster) throws IOException {
    this.cluster = cluster;
    this.collection = collection;
    this.ownsCluster = ownsCluster;
    cluster.requireCollection(collection);
    this.model = SolrCollections.recordedModel(cluster, collection);
  }

  /** The store of {@code collection} in {@code cluster}; closing it leaves the connection open. */
  public static SolrImageStore open(SolrCluster cluster, String collection) throws IOException {
    return new SolrImageStore(cluster, collection, false);
  }

  /** Connects to the cluster at {@code zkHost} ({@code host:port[/chroot]}); closing the store disconnects. */
  public static SolrImageStore open(String zkHost, String collection) throws IOException {
    SolrCluster cluster = SolrCluster.connect(zkHost);
    try {
      return new SolrImageStore(cluster, collection, true);
    } catch (IOException | RuntimeException e) {
      cluster.close();
      throw e;
    }
  }

  public SolrCluster cluster() {
    return cluster;
  }

  public String collection() {
    return collection;
  }

  @Override
  public synchronized Optional<ModelIdentity> model() {
    return Optional.ofNullable(pendingModel != null ? pendingModel : model);
  }

  /**
   * Records the model at the next commit. Refuses a model whose dimension is not the vector field's: the
   * collection's schema was made for another dimension, and only a new collection can change it.
   */
  @Override
  public synchronized void setModel(ModelIdentity identity) throws IOException {
    Integer dimension = SolrCollections.dimension(cluster, collection);
    if (dimension != null && dimension != identity.dimension()) {
      throw new ModelMismatchException("collection " + collection + " was created for " + dimension
          + "-d vectors but model " + identity + " makes " + identity.dimension() + "-d ones; create a new"
          + " collection for this model (clipsearch solr-create)");
    }
    if (model == null || !identity.equals(model)) {
      pendingModel = identity;
    }
  }

  @Override
  public void deleteAll() throws IOException {
    UpdateRequest update = new UpdateRequest();
    update.deleteByQuery("*:*");
    cluster.request(update, collection);
    synchronized (readAhead) {
      readAhead.clear();
      readFolders.clear();
    }
  }

  /**
   * The indexer asks this of every file it finds, one by one; a request per file would make an incremental run over
   * a million unchanged files a million round trips. So the first question about a folder reads the facts of every
   * image under it in pages (a cursor), and the questions about its files and sub-folders are answered from memory,
   * kept up to date by this store's own writes ({@link #READ_AHEAD_LIMIT} images at most; past it, one request
   * per file).
   */
  @Override
  public Optional<StoredImage> find(String path) throws IOException {
    synchronized (readAhead) {
      Path parent = Path.of(path).getParent();
      if (covered(path) || (parent != null && readAhead(parent.toString()))) {
        return Optional.ofNullable(readAhead.get(path));
      }
    }
    SolrDocument doc = byPath(path, STORED_IMAGE_FIELDS);
    return doc == null ? Optional.empty() : Optional.of(storedImage(doc));
  }

  private static final String STORED_IMAGE_FIELDS =
      String.join(",", ImageFields.PATH, ImageFields.SIZE, ImageFields.MODIFIED, ImageFields.SHA256);

  private static StoredImage storedImage(SolrDocument doc) {
    return new StoredImage((String) doc.getFirstValue(ImageFields.PATH), SolrFields.longValue(doc, ImageFields.SIZE),
        Instant.ofEpochMilli(SolrFields.longValue(doc, ImageFields.MODIFIED)),
        (String) doc.getFirstValue(ImageFields.SHA256));
  }

  /** Whether a folder above {@code path} was read ahead. */
  private boolean covered(String path) {
    for (Path p = Path.of(path).getParent(); p != null; p = p.getParent()) {
      if (readFolders.contains(p.toString())) {
        return true;
      }
    }
    return false;
  }

  /** Reads the facts of every image under {@code folder}, unless there are too many; true when it did. */
  private boolean readAhead(String folder) throws IOException {
    if (tooLarge.contains(folder)) {
      return false;
    }
    SolrQuery count = new SolrQuery("*:*");
    count.addFilterQuery("{!term f=" + ImageFields.FOLDERS + "}" + folder);
    count.setRows(0);
    long n = cluster.request(new QueryRequest(count, SolrRequest.METHOD.POST), collection).getResults().getNumFound();
    if (readAhead.size() + n > READ_AHEAD_LIMIT) {
      tooLarge.add(folder);
      return false;
    }
    Map<String, StoredImage> read = new HashMap<>();
    forEachUnder(folder, STORED_IMAGE_FIELDS, doc -> read.put((String) doc.getFirstValue(ImageFields.PATH),
        storedImage(doc)));
    readAhead.putAll(read);
    readFolders.add(folder);
    return true;
  }

  /** The committed document at {@code path} with the fields {@code fl}, or null. */
  SolrDocument byPath(String path, String fl) throws IOException {
    SolrQuery query = new SolrQuery("{!term f=" + ImageFields.PATH + "}" + path);
    query.setFields(fl);
    query.setRows(1);
    QueryResponse response = cluster.request(new QueryRequest(query, SolrRequest.METHOD.POST), collection);
    return response.getResults().isEmpty() ? null : response.getResults().get(0);
  }

  @Override
  public Optional<float[]> vectorByHash(String sha256) throws IOException {
    SolrQuery query = new SolrQuery("{!term f=" + ImageFields.SHA256 + "}" + sha256);
    query.setFields(ImageFields.VECTOR);
    query.setRows(1);
    QueryResponse response = cluster.request(new QueryRequest(query, SolrRequest.METHOD.POST), collection);
    if (response.getResults().isEmpty()) {
      return Optional.empty();
    }
    return Optional.ofNullable(SolrFields.vector(response.getResults().get(0)));
  }

  /** Sends the batch as one update request; Solr routes each document to its shard by its path. */
  @Override
  public void upsert(Collection<ImageRecord> images) throws IOException {
    if (images.isEmpty()) {
      return;
    }
    List<SolrInputDocument> docs = new ArrayList<>(images.size());
    for (ImageRecord image : images) {
      docs.add(SolrFields.toDocument(image));
    }
    UpdateRequest update = new UpdateRequest();
    update.add(docs);
    cluster.request(update, collection);
    synchronized (readAhead) {
      for (ImageRecord image : images) {
        if (covered(image.path())) {
          readAhead.put(image.path(), image.stored());
        }
      }
    }
  }

  @Override
  public void delete(Collection<String> paths) throws IOException {
    if (paths.isEmpty()) {
      return;
    }
    UpdateRequest update = new UpdateRequest();
    update.deleteById(new ArrayList<>(paths));
    cluster.request(update, collection);
    synchronized (readAhead) {
      paths.forEach(readAhead::remove);
    }
  }

  @Override
  public void forEachPathUnder(String folder, Consumer<String> action) throws IOException {
    forEachUnder(folder, ImageFields.PATH, doc -> action.accept((String) doc.getFirstValue(ImageFields.PATH)));
  }

  /** Pages through the folder with a cursor (sorted by path, the uniqueKey), so that any size works. */
  private void forEachUnder(String folder, String fl, Consumer<SolrDocument> action) throws IOException {
    SolrQuery query = new SolrQuery("*:*");
    query.addFilterQuery("{!term f=" + ImageFields.FOLDERS + "}" + folder);
    query.setFields(fl);
    query.setRows(2000);
    cluster.forEachDocument(collection, query, action::accept);
  }

  /**
   * A hard commit that opens new searchers on every replica (and waits for them), then the model identity if it
   * changed: written after the documents, so that a crash in between leaves the old identity, which the next run
   * refuses rather than mixing models.
   */
  @Override
  public synchronized void commit() throws IOException {
    UpdateRequest update = new UpdateRequest();
    update.setAction(UpdateRequest.ACTION.COMMIT, true, true);
    cluster.request(update, collection);
    if (pendingModel != null) {
      SolrCollections.recordModel(cluster, collection, pendingModel);
      model = pendingModel;
      pendingModel = null;
    }
  }

  /** Number of images now, and the index size summed over every replica (from each node's core status). */
  @Override
  public IndexStats stats() throws IOException {
    return stats(cluster, collection);
  }

  static IndexStats stats(SolrCluster cluster, String collection) throws IOException {
    SolrQuery query = new SolrQuery("*:*");
    query.setRows(0);
    long images = cluster.request(new QueryRequest(query), collection).getResults().getNumFound();
    DocCollection state = cluster.requireCollection(collection);
    long size = 0;
    Instant lastCommit = null;
    for (String node : cluster.liveNodes()) {
      List<String> cores = new ArrayList<>();
      for (Replica r : state.getReplicas()) {
        if (r.getNodeName().equals(node)) {
          cores.add(r.getCoreName());
        }
      }
      if (cores.isEmpty()) {
        continue;
      }
      CoreAdminResponse status;
      try {
        status = CoreAdminRequest.getStatus(null, cluster.client(cluster.baseUrl(node)));
      } catch (org.apache.solr.client.solrj.SolrServerException | IOException | RuntimeException e) {
        continue; // a node going down: its replicas are not counted
      }
      for (String core : cores) {
        NamedList<Object> coreStatus = status.getCoreStatus(core);
        if (coreStatus == null || !(coreStatus.get("index") instanceof NamedList<?> index)) {
          continue;
        }
        if (index.get("sizeInBytes") instanceof Number n) {
          size += n.longValue();
        }
        if (index.get("lastModified") instanceof Date d && (lastCommit == null || d.toInstant().isAfter(lastCommit))) {
          lastCommit = d.toInstant();
        }
      }
    }
    Map<String, String> props = cluster.collectionProperties(collection);
    SolrQuery tagged = new SolrQuery(ImageFields.LABEL + ":*");
    tagged.setRows(0);
    long taggedImages = cluster.request(new QueryRequest(tagged), collection).getResults().getNumFound();
    return new IndexStats(images, SolrCollections.recordedModel(cluster, collection), size,
        props.getOrDefault(SolrCollections.VECTOR_FORMAT, "float"), lastCommit, taggedImages,
        taggedImages == 0 ? Map.of() : labelCounts(cluster, collection, List.of()));
  }

  @Override
  public void close() {
    if (ownsCluster) {
      cluster.close();
    }
  }

  /** Per label, the images that carry its tag among those passing {@code fq}: a facet, most frequent first. */
  static Map<String, Long> labelCounts(SolrCluster cluster, String collection, List<String> fq) throws IOException {
    SolrQuery q = new SolrQuery("*:*");
    fq.forEach(q::addFilterQuery);
    q.setRows(0);
    q.setFacet(true);
    q.addFacetField(ImageFields.LABEL);
    q.setFacetLimit(-1);
    q.setFacetMinCount(1);
    q.setFacetSort("count"); // ties: in index order, which is by label, as the embedded index orders them
    Map<String, Long> counts = new LinkedHashMap<>();
    var field = cluster.request(new QueryRequest(q, SolrRequest.METHOD.POST), collection)
        .getFacetField(ImageFields.LABEL);
    if (field != null && field.getValues() != null) {
      field.getValues().forEach(c -> counts.put(c.getName(), c.getCount()));
    }
    return counts;
  }
}
