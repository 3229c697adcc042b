package org.clipsearch.cluster;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.solr.client.solrj.SolrQuery;
import org.apache.solr.client.solrj.SolrRequest;
import org.apache.solr.client.solrj.request.QueryRequest;
import org.apache.solr.client.solrj.request.UpdateRequest;
import org.apache.solr.client.solrj.response.QueryResponse;
import org.apache.solr.common.SolrDocument;
import org.apache.solr.common.SolrDocumentList;
import org.apache.solr.common.SolrInputDocument;
import org.clipsearch.api.ImageFields;
import org.clipsearch.api.ImageRecord;
import org.clipsearch.api.IndexStats;
import org.clipsearch.api.LabelScore;
import org.clipsearch.api.LabeledHit;
import org.clipsearch.api.ModelIdentity;
import org.clipsearch.api.ModelMismatchException;
import org.clipsearch.api.QueryTerm;
import org.clipsearch.api.SearchFilters;
import org.clipsearch.api.SearchHit;
import org.clipsearch.api.SearchRequest;
import org.clipsearch.api.SearchResult;
import org.clipsearch.api.TagReport;
import org.clipsearch.api.TagSettings;
import org.clipsearch.api.TaggedImage;
import org.clipsearch.encoders.ClipModel;
import org.clipsearch.encoders.Vectors;
import org.clipsearch.searcher.DuplicateGroups;
import org.clipsearch.searcher.ImageSearch;
import org.clipsearch.searcher.LabelRanking;
import org.clipsearch.searcher.LabelTags;
import org.clipsearch.searcher.SearchMath;
import org.clipsearch.searcher.ZeroShotClassifier;

/**
 * Searches a SolrCloud collection as the embedded searcher ({@code ImageSearcher}) searches its index, with the same
 * requests and the same results: the query's terms are embedded by the same model into one vector; Solr's
 * {@code {!knn}} query finds the candidate pool on every shard's HNSW graph, with the filters as {@code fq} applied
 * inside the graph search (pre-filtering); Solr merges the shards' candidates; and here every candidate is
 * re-ranked by the exact dot product of its stored vector with the query, so the page cut from that one list is the
 * same whichever shard an image is on. Pagination, keyword fusion and the relevance cutoff follow the embedded
 * searcher; ties, of cosines and of BM25 scores alike, are broken by path on both backends.
 */
public final class SolrImageSearch implements ImageSearch {
  /** Candidates per hit asked of HNSW before exact re-ranking, at the least (as the embedded searcher). */
  public static final int DEFAULT_CANDIDATES = SearchMath.DEFAULT_CANDIDATES;
  public static final float CUTOFF_SIGMAS = SearchMath.CUTOFF_SIGMAS;
  static final int CALIBRATION_SAMPLE = SearchMath.CALIBRATION_SAMPLE;
  /** The seed of the calibration sample's fixed pseudo-random order. */
  static final String CALIBRATION_SORT = SolrFields.RANDOM_PREFIX + "20240917 asc";
  private static final long CALIBRATION_MAX_AGE_NANOS = 60_000_000_000L;

  private final SolrCluster cluster;
  private final String collection;
  private final ClipModel model;
  private final boolean ownsCluster;
  private final ZeroShotClassifier classifier;
  private volatile Calibration calibration;

  private SolrImageSearch(SolrCluster cluster, String collection, ClipModel model, boolean ownsCluster)
      throws IOException {
    this.cluster = cluster;
    this.collection = collection;
    this.model = model;
    this.ownsCluster = ownsCluster;
    this.classifier = new ZeroShotClassifier(model);
    cluster.requireCollection(collection);
    ModelIdentity recorded = SolrCollections.recordedModel(cluster, collection);
    ModelIdentity ours = new ModelIdentity(model.name(), model.dimension(), model.bundle().fingerprint());
    if (recorded != null && !recorded.sameModelAs(ours)) {
      throw new ModelMismatchException("collection " + collection + " was written by model " + recorded
          + " but the searcher uses " + ours + "; search with the model that wrote it (--model)");
    }
  }

  /** Searches {@code collection} of {@code cluster} with {@code model}; closing leaves the connection open. */
  public static SolrImageSearch open(SolrCluster cluster, String collection, ClipModel model) throws IOException {
    return new SolrImageSearch(cluster, collection, model, false);
  }

  /** Connects to the cluster at {@code zkHost} ({@code host:port[/chroot]}); closing disconnects. */
  public static SolrImageSearch open(String zkHost, String collection, ClipModel model) throws IOException {
    SolrCluster cluster = SolrCluster.connect(zkHost);
    try {
      return new SolrImageSearch(cluster, collection, model, true);
    } catch (IOException | RuntimeException e) {
      cluster.close();
      throw e;
    }
  }

  @Override
  public ClipModel model() {
    return model;
  }

  public String collection() {
    return collection;
  }

  @Override
  public String location() {
    return "SolrCloud collection " + collection + " at " + cluster.zkHost();
  }

  // ------------------------------------------------------------------------------------------------ search

  @Override
  public SearchResult search(SearchRequest request) throws IOException {
    long start = System.nanoTime();
    Set<String> exclude = excludedPaths(request.terms());
    SearchMath.QueryVector embedded = queryVector(request.terms());
    float[] query = embedded.vector();
    Duration encoding = Duration.ofNanos(embedded.encodeNanos());
    List<String> filters = filterQueries(request.filters());
    if (!filters.isEmpty() && count(filters) == 0) {
      return new SearchResult(List.of(), 0, Float.NaN, since(start), encoding);
    }
    int pool = candidatePool(request);
    List<Scored> ranked = vectorCandidates(query, filters, pool + exclude.size());
    ranked.removeIf(s -> exclude.contains(s.path));
    if (request.keywords()) {
      ranked = fuseWithKeywords(ranked, request, filters, pool, query, exclude);
    }
    float threshold = Float.NaN;
    if (request.cutoff()) {
      threshold = cutoffThreshold(query);
      float t = threshold;
      ranked.removeIf(s -> s.score < t);
    }
    int from = Math.min(request.offset(), ranked.size());
    int to = Math.min(ranked.size(), request.offset() + request.k());
    List<SearchHit> hits = new ArrayList<>(to - from);
    for (Scored s : ranked.subList(from, to)) {
      hits.add(toHit(s.doc, s.score));
    }
    return new SearchResult(hits, ranked.size(), threshold, since(start), encoding);
  }

  static int candidatePool(SearchRequest request) {
    return SearchMath.candidatePool(request);
  }

  /**
   * The {@code {!knn}} query: each shard finds its {@code topK} nearest by HNSW among the documents that pass the
   * filters, Solr keeps the best {@code topK} of all shards, and they are re-ranked here by the exact dot product.
   */
  private List<Scored> vectorCandidates(float[] query, List<String> filters, int topK) throws IOException {
    SolrQuery q = new SolrQuery("{!knn f=" + ImageFields.VECTOR + " topK=" + topK + "}" + vectorText(query));
    filters.forEach(q::addFilterQuery);
    q.setFields(SolrFields.HIT_FIELDS + "," + ImageFields.VECTOR);
    q.setRows(topK);
    SolrDocumentList docs = query(q).getResults();
    List<Scored> scored = new ArrayList<>(docs.size());
    for (SolrDocument doc : docs) {
      float[] v = SolrFields.vector(doc);
      scored.add(new Scored(doc, (String) doc.getFirstValue(ImageFields.PATH), v == null ? 0f : Vectors.dot(query, v)));
    }
    scored.sort(Scored.BEST_FIRST);
    return scored;
  }

  private List<Scored> fuseWithKeywords(List<Scored> vectorRanked, SearchRequest request, List<String> filters,
      int pool, float[] query, Set<String> exclude) throws IOException {
    List<String> tokens = SearchMath.keywordTokens(request);
    if (tokens.isEmpty()) {
      return vectorRanked;
    }
    // Tokens are letters and digits only, lower-cased: nothing to escape, and no operator (those are upper case).
    SolrQuery q = new SolrQuery(ImageFields.NAMES + ":(" + String.join(" ", tokens) + ")");
    q.set("q.op", "OR");
    q.set("defType", "lucene");
    filters.forEach(q::addFilterQuery);
    q.setFields(SolrFields.HIT_FIELDS + "," + ImageFields.VECTOR + ",score");
    // Equal BM25 scores are common (the same word in names as long); path order is the embedded searcher's too.
    q.set("sort", "score desc," + ImageFields.PATH + " asc");
    q.setRows(pool);
    Map<String, Scored> byPath = new HashMap<>();
    List<String> vectorOrder = new ArrayList<>();
    for (Scored s : vectorRanked) {
      vectorOrder.add(s.path);
      byPath.put(s.path, s);
    }
    List<String> keywordOrder = new ArrayList<>();
    for (SolrDocument doc : query(q).getResults()) {
      String path = (String) doc.getFirstValue(ImageFields.PATH);
      if (exclude.contains(path)) {
        continue;
      }
      keywordOrder.add(path);
      if (!byPath.containsKey(path)) {
        float[] v = SolrFields.vector(doc);
        byPath.put(path, new Scored(doc, path, v == null ? 0f : Vectors.dot(query, v)));
      }
    }
    List<Scored> result = new ArrayList<>();
    for (String path : SearchMath.fuse(vectorOrder, keywordOrder)) {
      result.add(byPath.get(path));
    }
    return result;
  }

  static List<String> nameTokens(String text) {
    return SearchMath.nameTokens(text);
  }

  /**
   * The embedded searcher's cutoff ({@link SearchMath#cutoffThreshold}) over a fixed sample of the collection: a
   * fixed pseudo-random order's first {@link #CALIBRATION_SAMPLE} images, all of them in a smaller collection.
   */
  private float cutoffThreshold(float[] query) throws IOException {
    return SearchMath.cutoffThreshold(query, calibration().sample);
  }

  private Calibration calibration() throws IOException {
    SolrQuery count = new SolrQuery("*:*");
    count.setRows(0);
    long images = query(count).getResults().getNumFound();
    Calibration c = calibration;
    if (c != null && c.images == images && System.nanoTime() - c.madeAt < CALIBRATION_MAX_AGE_NANOS) {
      return c;
    }
    SolrQuery q = new SolrQuery("*:*");
    q.setFields(ImageFields.VECTOR);
    q.setRows(CALIBRATION_SAMPLE);
    q.set("sort", CALIBRATION_SORT);
    List<float[]> sample = new ArrayList<>();
    for (SolrDocument doc : query(q).getResults()) {
      float[] v = SolrFields.vector(doc);
      if (v != null) {
        sample.add(v);
      }
    }
    c = new Calibration(images, System.nanoTime(), sample.toArray(float[][]::new));
    calibration = c;
    return c;
  }

  private record Calibration(long images, long madeAt, float[][] sample) {}

  /** The normalised weighted sum of the terms' embeddings (as the embedded searcher). */
  private SearchMath.QueryVector queryVector(List<QueryTerm> terms) throws IOException {
    return SearchMath.queryVector(terms, model, this::indexedVector);
  }

  /** Query-by-example leaves the example itself out of its results. */
  private Set<String> excludedPaths(List<QueryTerm> terms) throws IOException {
    Set<String> paths = new HashSet<>();
    for (QueryTerm term : terms) {
      if (term instanceof QueryTerm.IndexedImage i && i.weight() > 0) {
        paths.add((String) requireDoc(i.idOrPath(), ImageFields.PATH).getFirstValue(ImageFields.PATH));
      }
    }
    return paths;
  }

  private float[] indexedVector(String idOrPath) throws IOException {
    float[] v = SolrFields.vector(requireDoc(idOrPath, ImageFields.VECTOR));
    if (v == null) {
      throw new IllegalArgumentException("image " + idOrPath + " has no vector");
    }
    return v;
  }

  private SolrDocument requireDoc(String idOrPath, String fl) throws IOException {
    SolrDocument doc = doc(idOrPath, fl);
    if (doc == null) {
      throw new IllegalArgumentException("no indexed image " + idOrPath);
    }
    return doc;
  }

  /** The document of an image by path (starting with '/') or id, as the embedded searcher looks it up. */
  private SolrDocument doc(String idOrPath, String fl) throws IOException {
    boolean byPath = idOrPath.startsWith("/");
    String field = byPath ? ImageFields.PATH : ImageFields.ID;
    String value = byPath ? Path.of(idOrPath).normalize().toString() : idOrPath;
    SolrQuery q = new SolrQuery("{!term f=" + field + "}" + value);
    q.setFields(fl);
    q.setRows(1);
    SolrDocumentList docs = query(q).getResults();
    return docs.isEmpty() ? null : docs.get(0);
  }

  /** The filters as Solr filter queries ({@code fq}), term for term those of the embedded searcher. */
  static List<String> filterQueries(SearchFilters f) {
    List<String> fq = new ArrayList<>();
    if (f == null || f.isEmpty()) {
      return fq;
    }
    if (f.label() != null) {
      fq.add("{!term f=" + ImageFields.LABEL + "}" + f.label());
    }
    if (f.folder() != null) {
      String folder = Path.of(f.folder()).toAbsolutePath().normalize().toString();
      fq.add("{!term f=" + ImageFields.FOLDERS + "}" + folder);
    }
    for (String word : f.nameKeywords()) {
      for (String token : nameTokens(word)) {
        fq.add("{!term f=" + ImageFields.NAMES + "}" + token);
      }
    }
    if (f.from() != null || f.to() != null) {
      String from = f.from() == null ? "*" : Long.toString(f.from().toEpochMilli());
      String to = f.to() == null ? "*" : Long.toString(f.to().toEpochMilli() - 1);
      fq.add(ImageFields.DATE + ":[" + from + " TO " + to + "]");
    }
    if (!f.formats().isEmpty()) {
      fq.add("{!terms f=" + ImageFields.FORMAT + " separator=\",\"}"
          + String.join(",", f.formats().stream().map(SearchMath::normalizeFormat).toList()));
    }
    if (f.minWidth() != null) {
      fq.add(ImageFields.WIDTH + ":[" + f.minWidth() + " TO *]");
    }
    if (f.minHeight() != null) {
      fq.add(ImageFields.HEIGHT + ":[" + f.minHeight() + " TO *]");
    }
    if (f.camera() != null && !f.camera().isBlank()) {
      for (String token : nameTokens(f.camera())) {
        fq.add("{!term f=" + ImageFields.CAMERA + "}" + token);
      }
    }
    return fq;
  }

  private long count(List<String> filters) throws IOException {
    SolrQuery q = new SolrQuery("*:*");
    filters.forEach(q::addFilterQuery);
    q.setRows(0);
    return query(q).getResults().getNumFound();
  }

  /** A vector as {@code {!knn}} reads it: {@code [x1,x2,...]}, each float in its shortest exact decimal form. */
  static String vectorText(float[] v) {
    StringBuilder b = new StringBuilder(v.length * 12).append('[');
    for (int i = 0; i < v.length; i++) {
      if (i > 0) {
        b.append(',');
      }
      b.append(v[i]);
    }
    return b.append(']').toString();
  }

  private QueryResponse query(SolrQuery q) throws IOException {
    return cluster.request(new QueryRequest(q, SolrRequest.METHOD.POST), collection);
  }

  private static SearchHit toHit(SolrDocument doc, float score) {
    Long captured = SolrFields.longValue(doc, ImageFields.CAPTURED);
    long date = captured != null ? captured : SolrFields.longValue(doc, ImageFields.MODIFIED);
    return new SearchHit(
        (String) doc.getFirstValue(ImageFields.ID),
        (String) doc.getFirstValue(ImageFields.PATH),
        score,
        ((Number) doc.getFirstValue(ImageFields.WIDTH)).intValue(),
        ((Number) doc.getFirstValue(ImageFields.HEIGHT)).intValue(),
        (String) doc.getFirstValue(ImageFields.FORMAT),
        SolrFields.longValue(doc, ImageFields.SIZE),
        Instant.ofEpochMilli(date));
  }

  private static Duration since(long start) {
    return Duration.ofNanos(System.nanoTime() - start);
  }

  // ------------------------------------------------------------------------------------------------ images

  @Override
  public Optional<ImageRecord> image(String idOrPath) throws IOException {
    return taggedImage(idOrPath).map(TaggedImage::image);
  }

  @Override
  public Optional<TaggedImage> taggedImage(String idOrPath) throws IOException {
    SolrDocument doc = doc(idOrPath, "*");
    return doc == null ? Optional.empty()
        : Optional.of(new TaggedImage(SolrFields.fromDocument(doc), SolrFields.labels(doc)));
  }

  @Override
  public IndexStats stats() throws IOException {
    return SolrImageStore.stats(cluster, collection);
  }

  // ------------------------------------------------------------------------------------------------ zero-shot

  @Override
  public ZeroShotClassifier classifier() {
    return classifier;
  }

  /**
   * Label search over the whole collection (as the embedded searcher): every image passing the filters is read once,
   * page by page with a cursor, and classified here; only each label's best images are kept.
   */
  @Override
  public Map<String, List<LabeledHit>> labelSearch(List<String> labels, List<String> templates, int perLabel,
      SearchFilters filters) throws IOException {
    LabelRanking<SolrDocument> ranking =
        new LabelRanking<>(labels, classifier.labelVectors(labels, templates), model.logitScale(), perLabel);
    forEach(filterQueries(filters), SolrFields.HIT_FIELDS + "," + ImageFields.VECTOR, doc -> {
      float[] v = SolrFields.vector(doc);
      if (v != null) {
        doc.removeFields(ImageFields.VECTOR); // kept images need their hit fields only
        ranking.offer(doc, v);
      }
    });
    return ranking.result(SolrImageSearch::toHit);
  }

  // ------------------------------------------------------------------------------------------------ label tags

  /**
   * Tags the collection as the embedded searcher tags its index ({@link LabelTags}): every image that matches
   * {@code filters} is read once (a cursor over all shards), classified here, and, where its tags change, sent back
   * whole (rebuilt from its stored fields, as the indexer wrote it) with the new tags, in batches; one commit at the
   * end makes them visible. Unlike the embedded index, updates Solr acknowledged are durable before that commit (its
   * transaction log), so a run stopped midway leaves the images it had sent tagged. A file re-indexed later is
   * written without tags, until the next tagging run.
   */
  @Override
  public TagReport tag(List<String> labels, List<String> templates, TagSettings settings, SearchFilters filters)
      throws IOException {
    LabelTags tags = new LabelTags(classifier, labels, templates, settings);
    List<SolrInputDocument> batch = new ArrayList<>();
    long[] rewritten = {0};
    forEach(filterQueries(filters), "*", doc -> {
      float[] v = SolrFields.vector(doc);
      if (v == null) {
        return;
      }
      List<LabelScore> chosen = tags.of(v);
      if (chosen.equals(SolrFields.labels(doc))) {
        return; // a repeated run rewrites nothing
      }
      SolrInputDocument update = SolrFields.toDocument(SolrFields.fromDocument(doc));
      SolrFields.setLabels(update, chosen);
      batch.add(update);
      rewritten[0]++;
      if (batch.size() == 200) {
        send(batch);
      }
    });
    send(batch);
    UpdateRequest commit = new UpdateRequest();
    commit.setAction(UpdateRequest.ACTION.COMMIT, true, true);
    cluster.request(commit, collection);
    return tags.report(rewritten[0]);
  }

  private void send(List<SolrInputDocument> batch) throws IOException {
    if (!batch.isEmpty()) {
      UpdateRequest update = new UpdateRequest();
      update.add(batch);
      cluster.request(update, collection);
      batch.clear();
    }
  }

  @Override
  public Map<String, Long> labelCounts(SearchFilters filters) throws IOException {
    return SolrImageStore.labelCounts(cluster, collection, filterQueries(filters));
  }

  @Override
  public List<LabelScore> tags(String idOrPath) throws IOException {
    return SolrFields.labels(requireDoc(idOrPath, SolrFields.LABEL_FIELDS));
  }

  // ------------------------------------------------------------------------------------------------ duplicates

  /**
   * Near-duplicates over the whole collection (as the embedded searcher): identical content hashes, then each
   * image's {@code neighbours} nearest by a {@code {!knn}} query across the shards, joined where the exact cosine
   * similarity reaches {@code threshold}. One query per image: fine for the collections one looks through for
   * duplicates, and memory stays bounded by the groups.
   */
  @Override
  public List<List<SearchHit>> nearDuplicates(float threshold, int neighbours) throws IOException {
    DuplicateGroups<String> groups = new DuplicateGroups<>();
    forEach(List.of(), ImageFields.PATH + "," + ImageFields.SHA256 + "," + ImageFields.VECTOR, doc -> {
      String path = (String) doc.getFirstValue(ImageFields.PATH);
      groups.add(path, (String) doc.getFirstValue(ImageFields.SHA256));
      float[] v = SolrFields.vector(doc);
      if (v == null) {
        return;
      }
      SolrQuery q = new SolrQuery("{!knn f=" + ImageFields.VECTOR + " topK=" + (neighbours + 1) + "}" + vectorText(v));
      q.setFields(ImageFields.PATH + "," + ImageFields.VECTOR);
      q.setRows(neighbours + 1);
      for (SolrDocument near : query(q).getResults()) {
        String other = (String) near.getFirstValue(ImageFields.PATH);
        float[] w = SolrFields.vector(near);
        if (!other.equals(path) && w != null && Vectors.dot(v, w) >= threshold) {
          groups.add(other, null);
          groups.join(path, other);
        }
      }
    });
    List<List<SearchHit>> result = new ArrayList<>();
    for (List<String> group : groups.groups()) {
      Map<String, SolrDocument> byPath = new HashMap<>();
      for (String path : group) { // groups are small: one lookup each, by the uniqueKey
        SolrDocument doc = doc(path, SolrFields.HIT_FIELDS + "," + ImageFields.VECTOR);
        if (doc != null) {
          byPath.put(path, doc);
        }
      }
      float[] first = byPath.containsKey(group.get(0)) ? SolrFields.vector(byPath.get(group.get(0))) : null;
      List<SearchHit> hits = new ArrayList<>();
      for (String path : group) {
        SolrDocument doc = byPath.get(path);
        if (doc != null) { // deleted meanwhile
          float[] v = SolrFields.vector(doc);
          hits.add(toHit(doc, first == null || v == null ? 0f : Vectors.dot(first, v)));
        }
      }
      if (hits.size() > 1) {
        result.add(hits);
      }
    }
    return result;
  }

  /** Every image passing {@code filters}, page by page with a cursor (sorted by path, the uniqueKey). */
  private void forEach(List<String> filters, String fl, SolrCluster.DocumentAction action) throws IOException {
    SolrQuery q = new SolrQuery("*:*");
    filters.forEach(q::addFilterQuery);
    q.setFields(fl);
    q.setRows(500);
    cluster.forEachDocument(collection, q, action);
  }

  @Override
  public void close() {
    if (ownsCluster) {
      cluster.close();
    }
  }

  private record Scored(SolrDocument doc, String path, float score) {
    static final Comparator<Scored> BEST_FIRST =
        Comparator.comparing((Scored s) -> -s.score).thenComparing(s -> s.path, SearchMath.PATH_ORDER);
  }
}
