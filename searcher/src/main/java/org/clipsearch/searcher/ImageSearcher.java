package org.clipsearch.searcher;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.IntField;
import org.apache.lucene.document.LongField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.FloatVectorValues;
import org.apache.lucene.index.IndexReader;
import org.apache.lucene.index.KnnVectorValues;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.MultiTerms;
import org.apache.lucene.index.PostingsEnum;
import org.apache.lucene.index.StoredFields;
import org.apache.lucene.index.Term;
import org.apache.lucene.index.Terms;
import org.apache.lucene.index.TermsEnum;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.CollectorManager;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.KnnFloatVectorQuery;
import org.apache.lucene.search.MatchAllDocsQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.Scorable;
import org.apache.lucene.search.ScoreMode;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.SearcherManager;
import org.apache.lucene.search.SimpleCollector;
import org.apache.lucene.search.TermInSetQuery;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.util.ArrayUtil;
import org.apache.lucene.util.BytesRef;
import org.apache.lucene.util.IntroSelector;
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
import org.clipsearch.indexer.ImageIndexer;
import org.clipsearch.indexer.lucene.IndexSchema;
import org.clipsearch.indexer.lucene.LuceneImageStore;

/**
 * Searches the embedded index: text, image and combined queries with filters inside the vector search, exact
 * re-ranking, optional keyword fusion and an adaptive relevance cutoff; zero-shot classification; label search and
 * near-duplicates. Thread-safe, and it sees new commits of an indexer writing at the same time (it reopens the
 * index at most every {@link #REFRESH_NANOS} when asked to search).
 *
 * <pre>{@code
 * try (ClipModel model = ClipModel.loadDefault();
 *     ImageSearcher searcher = ImageSearcher.open(Path.of("index"), model)) {
 *   for (SearchHit hit : searcher.search(SearchRequest.text("a dog asleep on a sofa", 10)).hits()) { ... }
 * }
 * }</pre>
 */
public final class ImageSearcher implements ImageSearch {
  /** Candidates per hit asked of HNSW before exact re-ranking, at the least. */
  public static final int DEFAULT_CANDIDATES = SearchMath.DEFAULT_CANDIDATES;
  /** Standard deviations above the query's mean similarity to typical images that a hit must reach. */
  public static final float CUTOFF_SIGMAS = SearchMath.CUTOFF_SIGMAS;
  static final long REFRESH_NANOS = 500_000_000L;
  private static final Set<String> HIT_FIELDS =
      Set.of(ImageFields.PATH, ImageFields.ID, ImageFields.WIDTH, ImageFields.HEIGHT, ImageFields.FORMAT,
          ImageFields.SIZE, ImageFields.MODIFIED, ImageFields.CAPTURED);

  private final Path path;
  private final Directory directory;
  private final SearcherManager searchers;
  private final ClipModel model;
  private volatile long lastRefresh = System.nanoTime();
  private volatile Calibration calibration;
  private final ZeroShotClassifier classifier;

  private ImageSearcher(Path path, Directory directory, SearcherManager searchers, ClipModel model) {
    this.path = path;
    this.directory = directory;
    this.searchers = searchers;
    this.model = model;
    this.classifier = new ZeroShotClassifier(model);
  }

  /** Opens the index at {@code path} for searching with {@code model}, which must be the model that wrote it. */
  public static ImageSearcher open(Path path, ClipModel model) throws IOException {
    Path dir = path.toAbsolutePath().normalize();
    if (!Files.isDirectory(dir)) { // checked first: FSDirectory.open would create the folder
      throw new NoSuchFileException(dir.toString(), null, "no clipsearch index here (run 'clipsearch index' first)");
    }
    Directory directory = FSDirectory.open(dir);
    try {
      if (!DirectoryReader.indexExists(directory)) {
        throw new NoSuchFileException(dir.toString(), null, "no clipsearch index here (run 'clipsearch index' first)");
      }
      LuceneImageStore.checkReadable(dir, directory);
      SearcherManager searchers = new SearcherManager(directory, null);
      ImageSearcher searcher = new ImageSearcher(dir, directory, searchers, model);
      searcher.checkModel();
      return searcher;
    } catch (IOException | RuntimeException e) {
      directory.close();
      throw e;
    }
  }

  private void checkModel() throws IOException {
    IndexSearcher s = searchers.acquire();
    try {
      Map<String, String> data = ((DirectoryReader) s.getIndexReader()).getIndexCommit().getUserData();
      ModelIdentity recorded = LuceneImageStore.modelOf(data.entrySet());
      ModelIdentity ours = ImageIndexer.identityOf(model);
      if (recorded != null && !recorded.sameModelAs(ours)) {
        throw new ModelMismatchException(
            "the index at " + path + " was written by model " + recorded + " but the searcher uses " + ours
                + "; search with the model that wrote it (--model), or re-index with --reindex");
      }
    } finally {
      searchers.release(s);
    }
  }

  @Override
  public ClipModel model() {
    return model;
  }

  public Path path() {
    return path;
  }

  @Override
  public String location() {
    return path.toString();
  }

  /** Reopens the index if an indexer committed since; searches call this themselves. */
  public void refresh() throws IOException {
    searchers.maybeRefreshBlocking();
    lastRefresh = System.nanoTime();
  }

  private IndexSearcher acquire() throws IOException {
    if (System.nanoTime() - lastRefresh > REFRESH_NANOS) {
      searchers.maybeRefresh();
      lastRefresh = System.nanoTime();
    }
    return searchers.acquire();
  }

  // ------------------------------------------------------------------------------------------------ search

  @Override
  public SearchResult search(SearchRequest request) throws IOException {
    long start = System.nanoTime();
    IndexSearcher searcher = acquire();
    try {
      SearchMath.QueryVector embedded = queryVector(request.terms(), searcher);
      float[] query = embedded.vector();
      Duration encoding = Duration.ofNanos(embedded.encodeNanos());
      Query filter = filterQuery(request.filters());
      if (filter != null && searcher.count(filter) == 0) {
        return new SearchResult(List.of(), 0, Float.NaN, since(start), encoding);
      }
      Set<Integer> exclude = excludedDocs(request.terms(), searcher);
      int pool = candidatePool(request);
      List<Scored> ranked = vectorCandidates(searcher, query, filter, pool + exclude.size());
      ranked.removeIf(s -> exclude.contains(s.doc));
      if (request.keywords()) {
        ranked = fuseWithKeywords(searcher, ranked, request, filter, pool, query, exclude);
      }
      float threshold = Float.NaN;
      if (request.cutoff()) {
        threshold = cutoffThreshold(searcher, query);
        float t = threshold;
        ranked.removeIf(s -> s.score < t);
      }
      int from = Math.min(request.offset(), ranked.size());
      int to = Math.min(ranked.size(), request.offset() + request.k());
      List<SearchHit> hits = new ArrayList<>(to - from);
      StoredFields stored = searcher.storedFields();
      for (Scored s : ranked.subList(from, to)) {
        hits.add(toHit(stored.document(s.doc, HIT_FIELDS), s.score));
      }
      return new SearchResult(hits, ranked.size(), threshold, since(start), encoding);
    } finally {
      searchers.release(searcher);
    }
  }

  static int candidatePool(SearchRequest request) {
    return SearchMath.candidatePool(request);
  }

  /** Nearest neighbours by HNSW (filtered inside the graph search), then re-ranked by the exact dot product. */
  private List<Scored> vectorCandidates(IndexSearcher searcher, float[] query, Query filter, int pool)
      throws IOException {
    TopDocs top = searcher.search(new KnnFloatVectorQuery(ImageFields.VECTOR, query, pool, filter), pool);
    List<Scored> scored = new ArrayList<>(top.scoreDocs.length);
    IndexReader reader = searcher.getIndexReader();
    for (ScoreDoc hit : top.scoreDocs) {
      float[] v = LuceneImageStore.vector(reader, hit.doc);
      scored.add(new Scored(hit.doc, v == null ? 0f : Vectors.dot(query, v)));
    }
    scored.sort(Scored.BEST_FIRST);
    orderTiesByPath(scored, searcher);
    return scored;
  }

  private static String pathOf(StoredFields stored, int doc) {
    try {
      return stored.document(doc, Set.of(ImageFields.PATH)).get(ImageFields.PATH);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Reading one path from the stored fields costs about as much as stepping over 40 path terms (measured on 50,000
   * documents with 8 kB thumbnails stored: 3 to 5 µs against 0.07 to 0.15 µs), so many ties are put in order by a
   * walk over the path terms, which the term dictionary keeps sorted, and few by reading their paths.
   */
  static final int STORED_PATH_COST_IN_TERMS = 40;

  /**
   * Equal scores (most often one picture under two paths, which share an embedding, and BM25 scores of names as long
   * holding the same word) are put in path order, as the SolrCloud backend orders them, so that both backends return
   * and page the same list. Doc ids would do for one index, but they change as segments merge.
   */
  private static void orderTiesByPath(List<Scored> ranked, IndexSearcher searcher) throws IOException {
    int start = 0;
    while (start < ranked.size()) {
      int end = start + 1;
      while (end < ranked.size() && ranked.get(end).score == ranked.get(start).score) {
        end++;
      }
      if (end - start > 1) {
        List<Scored> group = ranked.subList(start, end);
        float score = group.get(0).score;
        List<Integer> docs = firstByPath(searcher, group.stream().map(Scored::doc).toList(), group.size());
        if (docs.size() == group.size()) { // every live image has a path term, so always, but never lose a hit
          for (int i = 0; i < docs.size(); i++) {
            group.set(i, new Scored(docs.get(i), score));
          }
        }
      }
      start = end;
    }
  }

  /**
   * The first {@code need} of {@code docs} in path order (by UTF-8 bytes, as Lucene keeps terms and Solr sorts):
   * their stored paths read and sorted when they are few, else the path terms walked in order until {@code need} of
   * them have come by, which is soon when they are many.
   */
  private static List<Integer> firstByPath(IndexSearcher searcher, Collection<Integer> docs, int need)
      throws IOException {
    IndexReader reader = searcher.getIndexReader();
    if ((long) docs.size() * STORED_PATH_COST_IN_TERMS <= reader.maxDoc()) {
      StoredFields stored = searcher.storedFields();
      Map<Integer, String> paths = new HashMap<>();
      for (int doc : docs) {
        paths.put(doc, pathOf(stored, doc));
      }
      List<Integer> sorted = new ArrayList<>(docs);
      sorted.sort(Comparator.comparing(paths::get, SearchMath.PATH_ORDER));
      return sorted.subList(0, Math.min(need, sorted.size()));
    }
    Set<Integer> wanted = new HashSet<>(docs);
    List<Integer> first = new ArrayList<>(Math.min(need, wanted.size()));
    Terms terms = MultiTerms.getTerms(reader, ImageFields.PATH);
    TermsEnum paths = terms == null ? TermsEnum.EMPTY : terms.iterator();
    PostingsEnum postings = null;
    // Postings also list deleted documents (a path's earlier versions); only live ones are among the docs.
    while (first.size() < Math.min(need, wanted.size()) && paths.next() != null) {
      postings = paths.postings(postings, PostingsEnum.NONE);
      for (int doc = postings.nextDoc(); doc != DocIdSetIterator.NO_MORE_DOCS; doc = postings.nextDoc()) {
        if (wanted.contains(doc)) {
          first.add(doc);
        }
      }
    }
    return first.subList(0, Math.min(need, first.size()));
  }

  private List<Scored> fuseWithKeywords(IndexSearcher searcher, List<Scored> vectorRanked, SearchRequest request,
      Query filter, int pool, float[] query, Set<Integer> exclude) throws IOException {
    List<String> tokens = SearchMath.keywordTokens(request);
    if (tokens.isEmpty()) {
      return vectorRanked;
    }
    BooleanQuery.Builder keyword = new BooleanQuery.Builder();
    for (String token : tokens) {
      keyword.add(new TermQuery(new Term(ImageFields.NAMES, token)), BooleanClause.Occur.SHOULD);
    }
    Query bm25 = keyword.build();
    if (filter != null) {
      bm25 = new BooleanQuery.Builder()
          .add(bm25, BooleanClause.Occur.MUST).add(filter, BooleanClause.Occur.FILTER).build();
    }
    Map<Integer, Float> cosine = new HashMap<>();
    List<Integer> vectorOrder = new ArrayList<>();
    for (Scored s : vectorRanked) {
      vectorOrder.add(s.doc);
      cosine.put(s.doc, s.score);
    }
    List<Integer> keywordOrder = new ArrayList<>();
    for (Scored hit : keywordRanking(searcher, bm25, pool)) {
      if (!exclude.contains(hit.doc)) {
        keywordOrder.add(hit.doc);
      }
    }
    IndexReader reader = searcher.getIndexReader();
    List<Scored> result = new ArrayList<>();
    StoredFields stored = searcher.storedFields();
    Map<Integer, String> paths = new HashMap<>();
    Comparator<Integer> byPath =
        Comparator.comparing(doc -> paths.computeIfAbsent(doc, d -> pathOf(stored, d)), SearchMath.PATH_ORDER);
    for (int doc : SearchMath.fuse(vectorOrder, keywordOrder, byPath)) {
      Float score = cosine.get(doc);
      if (score == null) {
        float[] v = LuceneImageStore.vector(reader, doc);
        score = v == null ? 0f : Vectors.dot(query, v);
      }
      result.add(new Scored(doc, score));
    }
    return result;
  }

  /**
   * The first {@code pool} keyword matches by BM25 score, equal scores in path order, as the SolrCloud backend sorts
   * them ({@code score desc, path asc}). Ties are the rule here, not the exception: every image whose name holds the
   * query's word once, in a name as long, scores the same. TopDocs would order them by doc id, which differs between
   * the backends and changes as segments merge (so pages could overlap), and at the pool's edge it would keep the
   * tied images with the smaller ids. So every match is collected with its score (scored completely, so that equal
   * sums are summed in the same order and come out bit for bit equal), and of the images tied at the edge only as
   * many as the pool still has room for are looked up in path order.
   */
  private static List<Scored> keywordRanking(IndexSearcher searcher, Query bm25, int pool) throws IOException {
    AllMatches matches = searcher.search(bm25, AllMatches.MANAGER);
    float edge = matches.best(pool);
    List<Scored> ranked = new ArrayList<>();
    List<Integer> atEdge = new ArrayList<>();
    for (int i = 0; i < matches.count; i++) {
      if (matches.scores[i] > edge) {
        ranked.add(new Scored(matches.docs[i], matches.scores[i]));
      } else if (matches.scores[i] == edge) {
        atEdge.add(matches.docs[i]);
      }
    }
    ranked.sort(Scored.BEST_FIRST);
    orderTiesByPath(ranked, searcher);
    for (int doc : firstByPath(searcher, atEdge, pool - ranked.size())) {
      ranked.add(new Scored(doc, edge));
    }
    return ranked;
  }

  /** Every match of a query with its score (not just the best n, as TopDocs keeps). */
  private static final class AllMatches extends SimpleCollector {
    static final CollectorManager<AllMatches, AllMatches> MANAGER = new CollectorManager<>() {
      @Override
      public AllMatches newCollector() {
        return new AllMatches();
      }

      @Override
      public AllMatches reduce(Collection<AllMatches> collectors) {
        AllMatches all = new AllMatches();
        for (AllMatches c : collectors) {
          for (int i = 0; i < c.count; i++) {
            all.add(c.docs[i], c.scores[i]);
          }
        }
        return all;
      }
    };

    private int[] docs = new int[16];
    private float[] scores = new float[16];
    private int count;
    private Scorable scorer;
    private int docBase;

    private void add(int doc, float score) {
      if (count == docs.length) {
        docs = ArrayUtil.grow(docs, count + 1);
        scores = ArrayUtil.growExact(scores, docs.length);
      }
      docs[count] = doc;
      scores[count++] = score;
    }

    /** The {@code n}-th best score (the worst when there are fewer matches), by Lucene's quickselect. */
    float best(int n) {
      if (count == 0 || n <= 0) {
        return Float.POSITIVE_INFINITY;
      }
      float[] sorted = Arrays.copyOf(scores, count);
      int at = Math.max(0, count - n);
      new IntroSelector() {
        private float pivot;

        @Override
        protected void swap(int i, int j) {
          float t = sorted[i];
          sorted[i] = sorted[j];
          sorted[j] = t;
        }

        @Override
        protected void setPivot(int i) {
          pivot = sorted[i];
        }

        @Override
        protected int comparePivot(int j) {
          return Float.compare(pivot, sorted[j]);
        }
      }.select(0, count, at);
      return sorted[at];
    }

    @Override
    protected void doSetNextReader(LeafReaderContext context) {
      docBase = context.docBase;
    }

    @Override
    public void setScorer(Scorable scorer) {
      this.scorer = scorer;
    }

    @Override
    public void collect(int doc) throws IOException {
      add(docBase + doc, scorer.score());
    }

    @Override
    public ScoreMode scoreMode() {
      return ScoreMode.COMPLETE;
    }
  }

  static List<String> nameTokens(String text) {
    return SearchMath.nameTokens(text);
  }

  /** {@link SearchMath#cutoffThreshold} over a fixed sample of the indexed images. */
  private float cutoffThreshold(IndexSearcher searcher, float[] query) throws IOException {
    return SearchMath.cutoffThreshold(query, calibration(searcher).sample);
  }

  private Calibration calibration(IndexSearcher searcher) throws IOException {
    IndexReader reader = searcher.getIndexReader();
    Calibration c = calibration;
    if (c != null && c.reader == reader.getContext().id()) {
      return c;
    }
    int max = reader.maxDoc();
    int step = Math.max(1, max / SearchMath.CALIBRATION_SAMPLE);
    List<float[]> sample = new ArrayList<>();
    for (LeafReaderContext leaf : reader.leaves()) {
      FloatVectorValues values = leaf.reader().getFloatVectorValues(ImageFields.VECTOR);
      if (values == null) {
        continue;
      }
      KnnVectorValues.DocIndexIterator it = values.iterator();
      var live = leaf.reader().getLiveDocs();
      for (int doc = it.nextDoc(); doc != KnnVectorValues.DocIndexIterator.NO_MORE_DOCS; doc = it.nextDoc()) {
        if ((leaf.docBase + doc) % step == 0 && (live == null || live.get(doc))) {
          sample.add(values.vectorValue(it.index()).clone());
        }
      }
    }
    c = new Calibration(reader.getContext().id(), sample.toArray(float[][]::new));
    calibration = c;
    return c;
  }

  private record Calibration(Object reader, float[][] sample) {}

  private SearchMath.QueryVector queryVector(List<QueryTerm> terms, IndexSearcher searcher) throws IOException {
    return SearchMath.queryVector(terms, model, idOrPath -> indexedVector(searcher, idOrPath));
  }

  /** Query-by-example leaves the example itself out of its results. */
  private Set<Integer> excludedDocs(List<QueryTerm> terms, IndexSearcher searcher) throws IOException {
    Set<Integer> docs = new java.util.HashSet<>();
    for (QueryTerm term : terms) {
      if (term instanceof QueryTerm.IndexedImage i && i.weight() > 0) {
        docs.add(docOf(searcher, i.idOrPath()));
      }
    }
    return docs;
  }

  private float[] indexedVector(IndexSearcher searcher, String idOrPath) throws IOException {
    float[] v = LuceneImageStore.vector(searcher.getIndexReader(), docOf(searcher, idOrPath));
    if (v == null) {
      throw new IllegalArgumentException("image " + idOrPath + " has no vector");
    }
    return v;
  }

  private static int docOf(IndexSearcher searcher, String idOrPath) throws IOException {
    String field = idOrPath.startsWith("/") ? ImageFields.PATH : ImageFields.ID;
    String value = field.equals(ImageFields.PATH) ? Path.of(idOrPath).normalize().toString() : idOrPath;
    TopDocs top = searcher.search(new TermQuery(new Term(field, value)), 1);
    if (top.scoreDocs.length == 0) {
      throw new UnknownImageException("no indexed image " + idOrPath);
    }
    return top.scoreDocs[0].doc;
  }

  /** Filters as one Lucene query, used inside the HNSW search; null when there are none. */
  static Query filterQuery(SearchFilters f) {
    if (f == null || f.isEmpty()) {
      return null;
    }
    BooleanQuery.Builder b = new BooleanQuery.Builder();
    if (f.folder() != null) {
      String folder = Path.of(f.folder()).toAbsolutePath().normalize().toString();
      b.add(new TermQuery(new Term(ImageFields.FOLDERS, folder)), BooleanClause.Occur.FILTER);
    }
    for (String word : f.nameKeywords()) {
      for (String token : nameTokens(word)) {
        b.add(new TermQuery(new Term(ImageFields.NAMES, token)), BooleanClause.Occur.FILTER);
      }
    }
    if (f.from() != null || f.to() != null) {
      long from = f.from() == null ? Long.MIN_VALUE : f.from().toEpochMilli();
      long to = f.to() == null ? Long.MAX_VALUE : f.to().toEpochMilli() - 1;
      b.add(LongField.newRangeQuery(ImageFields.DATE, from, to), BooleanClause.Occur.FILTER);
    }
    if (!f.formats().isEmpty()) {
      List<BytesRef> formats = f.formats().stream()
          .map(x -> new BytesRef(SearchMath.normalizeFormat(x))).toList();
      b.add(new TermInSetQuery(ImageFields.FORMAT, formats), BooleanClause.Occur.FILTER);
    }
    if (f.minWidth() != null) {
      b.add(IntField.newRangeQuery(ImageFields.WIDTH, f.minWidth(), Integer.MAX_VALUE), BooleanClause.Occur.FILTER);
    }
    if (f.minHeight() != null) {
      b.add(IntField.newRangeQuery(ImageFields.HEIGHT, f.minHeight(), Integer.MAX_VALUE), BooleanClause.Occur.FILTER);
    }
    if (f.camera() != null && !f.camera().isBlank()) {
      for (String token : nameTokens(f.camera())) {
        b.add(new TermQuery(new Term(ImageFields.CAMERA, token)), BooleanClause.Occur.FILTER);
      }
    }
    if (f.label() != null) {
      b.add(new TermQuery(new Term(ImageFields.LABEL, f.label())), BooleanClause.Occur.FILTER);
    }
    BooleanQuery q = b.build();
    return q.clauses().isEmpty() ? null : q;
  }

  private static SearchHit toHit(Document doc, float score) {
    var captured = doc.getField(ImageFields.CAPTURED);
    long date = captured != null ? captured.numericValue().longValue()
        : doc.getField(ImageFields.MODIFIED).numericValue().longValue();
    return new SearchHit(
        doc.get(ImageFields.ID),
        doc.get(ImageFields.PATH),
        score,
        doc.getField(ImageFields.WIDTH).numericValue().intValue(),
        doc.getField(ImageFields.HEIGHT).numericValue().intValue(),
        doc.get(ImageFields.FORMAT),
        doc.getField(ImageFields.SIZE).numericValue().longValue(),
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
    IndexSearcher searcher = acquire();
    try {
      int doc;
      try {
        doc = docOf(searcher, idOrPath);
      } catch (UnknownImageException e) {
        return Optional.empty();
      }
      Document stored = searcher.storedFields().document(doc);
      return Optional.of(new TaggedImage(
          IndexSchema.fromDocument(stored, LuceneImageStore.vector(searcher.getIndexReader(), doc)),
          IndexSchema.labelsOf(stored)));
    } finally {
      searchers.release(searcher);
    }
  }

  @Override
  public IndexStats stats() throws IOException {
    // Exact rather than up to REFRESH_NANOS old: a page polls this while an indexer commits. Reopening only what
    // changed costs far less than the fresh reader per call it replaces.
    refresh();
    IndexSearcher searcher = searchers.acquire();
    try {
      return LuceneImageStore.stats(path, searcher);
    } finally {
      searchers.release(searcher);
    }
  }

  // ------------------------------------------------------------------------------------------------ zero-shot

  @Override
  public ZeroShotClassifier classifier() {
    return classifier;
  }

  @Override
  public Map<String, List<LabeledHit>> labelSearch(List<String> labels, List<String> templates, int perLabel,
      SearchFilters filters) throws IOException {
    LabelRanking<Integer> ranking =
        new LabelRanking<>(labels, classifier.labelVectors(labels, templates), model.logitScale(), perLabel);
    IndexSearcher searcher = acquire();
    try {
      LuceneImageStore.forEachVector(searcher, filterQuery(filters),
          (leaf, doc, vector) -> ranking.offer(leaf.docBase + doc, vector));
      StoredFields stored = searcher.storedFields();
      return ranking.result((doc, score) -> toHit(stored.document(doc, HIT_FIELDS), score));
    } finally {
      searchers.release(searcher);
    }
  }

  // ------------------------------------------------------------------------------------------------ label tags

  /**
   * Tags the index: classifies every indexed image that matches {@code filters} among {@code labels} (as
   * {@link #labelSearch} does) and writes its most probable labels, with their probabilities and cosines, into the
   * index ({@code label} field), so that searches filter by label ({@link SearchFilters#label()}) and
   * {@link #labelCounts} and {@link #stats} count them. The tags of every classified image are replaced (tags of an
   * earlier run with other labels included); images outside the filters keep theirs. Documents are rewritten
   * through an index writer, keyed by path, with every other field unchanged, and committed once at the end: until
   * then (and after a crash) the index is as it was. Needs the index's write lock, so not while an indexer runs.
   *
   * <p>Tags describe the embedding they were computed from: re-indexing a file whose content changed (or with another
   * model) drops its tags until the next tagging run; a file rewritten with the same bytes keeps them; new images have
   * none.
   */
  @Override
  public TagReport tag(List<String> labels, List<String> templates, TagSettings settings, SearchFilters filters)
      throws IOException {
    TagReport report = LabelTagger.tag(path, classifier, labels, templates,
        settings == null ? TagSettings.DEFAULT : settings, filters);
    refresh();
    return report;
  }

  /**
   * Per label, the number of indexed images that match {@code filters} (all when null) and carry that tag, most
   * frequent first (ties by label). An image tagged with three labels counts under each.
   */
  @Override
  public Map<String, Long> labelCounts(SearchFilters filters) throws IOException {
    IndexSearcher searcher = acquire();
    try {
      return LuceneImageStore.labelCounts(searcher, filterQuery(filters)).labels();
    } finally {
      searchers.release(searcher);
    }
  }

  /** The label tags of an indexed image, best first (empty when it has none). */
  @Override
  public List<LabelScore> tags(String idOrPath) throws IOException {
    IndexSearcher searcher = acquire();
    try {
      Set<String> fields = Set.of(ImageFields.LABEL, ImageFields.LABEL_PROBABILITY, ImageFields.LABEL_SCORE);
      return IndexSchema.labelsOf(searcher.storedFields().document(docOf(searcher, idOrPath), fields));
    } finally {
      searchers.release(searcher);
    }
  }

  // ------------------------------------------------------------------------------------------------ duplicates

  @Override
  public List<List<SearchHit>> nearDuplicates(float threshold, int neighbours) throws IOException {
    IndexSearcher searcher = acquire();
    try {
      IndexReader reader = searcher.getIndexReader();
      StoredFields stored = searcher.storedFields();
      DuplicateGroups<Integer> groups = new DuplicateGroups<>();
      List<Integer> docs = new ArrayList<>();
      for (ScoreDoc d : searcher.search(new MatchAllDocsQuery(), Math.max(1, reader.numDocs())).scoreDocs) {
        docs.add(d.doc);
        groups.add(d.doc, stored.document(d.doc, Set.of(ImageFields.SHA256)).get(ImageFields.SHA256));
      }
      for (int doc : docs) {
        float[] v = LuceneImageStore.vector(reader, doc);
        if (v == null) {
          continue;
        }
        TopDocs near = searcher.search(new KnnFloatVectorQuery(ImageFields.VECTOR, v, neighbours + 1), neighbours + 1);
        for (ScoreDoc n : near.scoreDocs) {
          if (n.doc != doc) {
            float[] w = LuceneImageStore.vector(reader, n.doc);
            if (w != null && Vectors.dot(v, w) >= threshold) {
              groups.join(doc, n.doc);
            }
          }
        }
      }
      List<List<SearchHit>> result = new ArrayList<>();
      for (List<Integer> group : groups.groups()) {
        float[] first = LuceneImageStore.vector(reader, group.get(0));
        List<SearchHit> hits = new ArrayList<>();
        for (int doc : group) {
          float[] v = LuceneImageStore.vector(reader, doc);
          hits.add(toHit(stored.document(doc, HIT_FIELDS), first == null || v == null ? 0f : Vectors.dot(first, v)));
        }
        result.add(hits);
      }
      return result;
    } finally {
      searchers.release(searcher);
    }
  }

  @Override
  public void close() throws IOException {
    try {
      searchers.close();
    } finally {
      directory.close();
    }
  }

  private record Scored(int doc, float score) {
    static final Comparator<Scored> BEST_FIRST =
        (Scored a, Scored b) -> a.score != b.score ? Float.compare(b.score, a.score) : Integer.compare(a.doc, b.doc);
  }
}
