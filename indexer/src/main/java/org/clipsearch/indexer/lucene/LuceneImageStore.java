package org.clipsearch.indexer.lucene;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Function;
import org.apache.lucene.analysis.standard.StandardAnalyzer;
import org.apache.lucene.codecs.CodecUtil;
import org.apache.lucene.codecs.KnnVectorsFormat;
import org.apache.lucene.codecs.lucene104.Lucene104Codec;
import org.apache.lucene.codecs.lucene104.Lucene104HnswScalarQuantizedVectorsFormat;
import org.apache.lucene.codecs.lucene99.Lucene99HnswVectorsFormat;
import org.apache.lucene.document.Document;
import org.apache.lucene.index.CorruptIndexException;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.DocValues;
import org.apache.lucene.index.FloatVectorValues;
import org.apache.lucene.index.IndexFormatTooNewException;
import org.apache.lucene.index.IndexFormatTooOldException;
import org.apache.lucene.index.IndexNotFoundException;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.KnnVectorValues;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.SegmentInfos;
import org.apache.lucene.index.SortedSetDocValues;
import org.apache.lucene.index.StoredFields;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.ScoreMode;
import org.apache.lucene.search.Scorer;
import org.apache.lucene.search.SearcherManager;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.search.Weight;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.store.LockObtainFailedException;
import org.apache.lucene.util.Bits;
import org.apache.lucene.util.quantization.QuantizedByteVectorValues.ScalarEncoding;
import org.clipsearch.api.ImageFields;
import org.clipsearch.api.ImageRecord;
import org.clipsearch.api.ImageStore;
import org.clipsearch.api.IndexStats;
import org.clipsearch.api.LabelScore;
import org.clipsearch.api.ModelIdentity;
import org.clipsearch.api.StoredImage;

/**
 * The embedded backend: a Lucene index on disk with one document per image ({@link IndexSchema}), its vectors in
 * an HNSW graph whose parameters and format are chosen per field through the codec.
 *
 * <p>Durability is Lucene's: nothing is visible to a later process until {@link #commit}, and a commit is atomic,
 * so a crash at any point leaves the index as of the last commit. The model that wrote the index and the schema
 * version are recorded in the commit's user data.
 */
public final class LuceneImageStore implements ImageStore {
  static final String MODEL_NAME = "clipsearch.model.name";
  static final String MODEL_DIMENSION = "clipsearch.model.dimension";
  static final String MODEL_FINGERPRINT = "clipsearch.model.fingerprint";
  static final String SCHEMA_VERSION = "clipsearch.schema";
  static final String VECTOR_FORMAT = "clipsearch.vector_format";
  static final String HNSW_M = "clipsearch.hnsw_m";
  static final String HNSW_BEAM = "clipsearch.hnsw_beam";
  static final String COMMITTED_AT = "clipsearch.committed_at";

  private final Path path;
  private final Directory directory;
  private final IndexWriter writer;
  private final SearcherManager searchers;
  private final HnswSettings hnsw;
  private ModelIdentity model;
  /** Set by {@link #deleteAll} until the next commit: no tags are carried over from the documents before it. */
  private boolean deletedAll;

  private LuceneImageStore(Path path, Directory directory, IndexWriter writer, HnswSettings hnsw) throws IOException {
    this.path = path;
    this.directory = directory;
    this.writer = writer;
    this.hnsw = hnsw;
    this.searchers = new SearcherManager(writer, null);
    this.model = modelOf(writer.getLiveCommitData());
  }

  /** Opens (or creates) the index at {@code path} for writing. */
  public static LuceneImageStore open(Path path, HnswSettings hnsw) throws IOException {
    Path dir = path.toAbsolutePath().normalize();
    Files.createDirectories(dir);
    Directory directory = FSDirectory.open(dir);
    try {
      checkReadable(dir, directory);
      IndexWriterConfig config = new IndexWriterConfig(new StandardAnalyzer());
      config.setOpenMode(IndexWriterConfig.OpenMode.CREATE_OR_APPEND);
      config.setCodec(codec(hnsw));
      // Memory, not document count, decides when to flush: thumbnails make documents large.
      config.setRAMBufferSizeMB(64);
      IndexWriter writer;
      try {
        writer = new IndexWriter(directory, config);
      } catch (LockObtainFailedException e) {
        throw new IOException(
            "the index at " + dir + " is locked by another writer (is another 'clipsearch index' running?)", e);
      }
      return new LuceneImageStore(dir, directory, writer, hnsw);
    } catch (IOException | RuntimeException e) {
      directory.close();
      throw e;
    }
  }

  /** Refuses, with a message that says what it is, an index this version cannot read. */
  public static void checkReadable(Path dir, Directory directory) throws IOException {
    if (!DirectoryReader.indexExists(directory)) {
      return;
    }
    try {
      SegmentInfos.readLatestCommit(directory);
    } catch (IndexFormatTooNewException e) {
      throw new IOException(
          "the index at " + dir + " was written by a newer Lucene than this clipsearch reads (" + e.getMessage()
              + "); upgrade clipsearch or index into a new folder", e);
    } catch (IndexFormatTooOldException e) {
      if (Integer.valueOf(CodecUtil.CODEC_MAGIC).equals(e.getMinVersion())) {
        // Lucene reports a segments file without its magic number as "too old": it is no Lucene index at all.
        throw new IOException("the index at " + dir + " is not a Lucene index (its segments file is foreign or"
            + " corrupt); index into a new folder", e);
      }
      throw new IOException(
          "the index at " + dir + " was written by a Lucene too old to read; re-index into a new folder", e);
    } catch (CorruptIndexException e) {
      throw new IOException("the index at " + dir + " is corrupt: " + e.getMessage(), e);
    } catch (IllegalArgumentException e) {
      // An unknown codec name: written by another Lucene-based application, or by a newer version.
      throw new IOException("the index at " + dir + " was written by software this clipsearch cannot read: "
          + e.getMessage(), e);
    }
  }

  /** Lucene's default codec, with the vector field's format taken from the settings. */
  public static Lucene104Codec codec(HnswSettings hnsw) {
    KnnVectorsFormat vectors = knnFormat(hnsw.format(), hnsw.maxConn(), hnsw.beamWidth());
    return new Lucene104Codec() {
      @Override
      public KnnVectorsFormat getKnnVectorsFormatForField(String field) {
        return ImageFields.VECTOR.equals(field) ? vectors : super.getKnnVectorsFormatForField(field);
      }
    };
  }

  /** The HNSW vectors format of a {@link VectorFormat} (kept out of that enum, which must load without Lucene). */
  static KnnVectorsFormat knnFormat(VectorFormat format, int maxConn, int beamWidth) {
    return switch (format) {
      case FLOAT -> new Lucene99HnswVectorsFormat(maxConn, beamWidth);
      case INT8 -> new Lucene104HnswScalarQuantizedVectorsFormat(ScalarEncoding.UNSIGNED_BYTE, maxConn, beamWidth);
      case INT7 -> new Lucene104HnswScalarQuantizedVectorsFormat(ScalarEncoding.SEVEN_BIT, maxConn, beamWidth);
      case INT4 -> new Lucene104HnswScalarQuantizedVectorsFormat(ScalarEncoding.PACKED_NIBBLE, maxConn, beamWidth);
    };
  }

  public Path path() {
    return path;
  }

  public HnswSettings hnsw() {
    return hnsw;
  }

  @Override
  public synchronized Optional<ModelIdentity> model() {
    return Optional.ofNullable(model);
  }

  @Override
  public synchronized void setModel(ModelIdentity model) {
    this.model = model;
  }

  @Override
  public synchronized void deleteAll() throws IOException {
    writer.deleteAll();
    // The searcher still shows the old documents until the commit: their tags must not come back (--reindex,
    // possibly with another model).
    deletedAll = true;
  }

  @Override
  public Optional<StoredImage> find(String imagePath) throws IOException {
    IndexSearcher searcher = searchers.acquire();
    try {
      TopDocs top = searcher.search(new TermQuery(new Term(ImageFields.PATH, imagePath)), 1);
      if (top.scoreDocs.length == 0) {
        return Optional.empty();
      }
      Document doc = searcher.storedFields().document(top.scoreDocs[0].doc);
      return Optional.of(
          new StoredImage(
              imagePath,
              doc.getField(ImageFields.SIZE).numericValue().longValue(),
              Instant.ofEpochMilli(doc.getField(ImageFields.MODIFIED).numericValue().longValue()),
              doc.get(ImageFields.SHA256)));
    } finally {
      searchers.release(searcher);
    }
  }

  @Override
  public Optional<float[]> vectorByHash(String sha256) throws IOException {
    IndexSearcher searcher = searchers.acquire();
    try {
      TopDocs top = searcher.search(new TermQuery(new Term(ImageFields.SHA256, sha256)), 1);
      if (top.scoreDocs.length == 0) {
        return Optional.empty();
      }
      return Optional.ofNullable(vector(searcher.getIndexReader(), top.scoreDocs[0].doc));
    } finally {
      searchers.release(searcher);
    }
  }

  /** The stored vector of a top-level document id, read from its segment's vector values. */
  public static float[] vector(org.apache.lucene.index.IndexReader reader, int doc) throws IOException {
    var leaves = reader.leaves();
    LeafReaderContext leaf = leaves.get(org.apache.lucene.index.ReaderUtil.subIndex(doc, leaves));
    FloatVectorValues values = leaf.reader().getFloatVectorValues(ImageFields.VECTOR);
    if (values == null) {
      return null;
    }
    KnnVectorValues.DocIndexIterator it = values.iterator();
    int target = doc - leaf.docBase;
    if (it.advance(target) != target) {
      return null;
    }
    return values.vectorValue(it.index()).clone();
  }

  /**
   * Adds or replaces each image's document. Label tags ({@link ImageFields#LABEL}) follow the content: an image
   * whose file is rewritten with the same bytes (same SHA-256) and the same embedding (up to float rounding) keeps the
   * tags it had; one whose content or embedding changed loses them, since they were computed from the old embedding,
   * until the next tagging run. After {@link #deleteAll} (a re-index with another model) no tags are kept.
   */
  @Override
  public void upsert(Collection<ImageRecord> images) throws IOException {
    boolean carryLabels;
    synchronized (this) {
      carryLabels = !deletedAll;
    }
    IndexSearcher searcher = searchers.acquire();
    try {
      for (ImageRecord image : images) {
        Document doc = IndexSchema.toDocument(image);
        if (carryLabels) {
          IndexSchema.addLabels(doc, labelsIfSameContent(searcher, image));
        }
        writer.updateDocument(new Term(ImageFields.PATH, image.path()), doc);
      }
    } finally {
      searchers.release(searcher);
    }
  }

  private static final java.util.Set<String> LABEL_FIELDS =
      java.util.Set.of(ImageFields.SHA256, ImageFields.LABEL, ImageFields.LABEL_PROBABILITY, ImageFields.LABEL_SCORE);

  /** The committed tags of the image at this path if its content and its embedding are unchanged, else none. */
  private static List<LabelScore> labelsIfSameContent(IndexSearcher searcher, ImageRecord image) throws IOException {
    TopDocs top = searcher.search(new TermQuery(new Term(ImageFields.PATH, image.path())), 1);
    if (top.scoreDocs.length == 0) {
      return List.of();
    }
    int doc = top.scoreDocs[0].doc;
    Document stored = searcher.storedFields().document(doc, LABEL_FIELDS);
    if (!image.sha256().equals(stored.get(ImageFields.SHA256)) || stored.get(ImageFields.LABEL) == null) {
      return List.of();
    }
    // The same bytes, but perhaps embedded anew (--reindex): the tags stay only if the embedding is the same.
    return sameEmbedding(image.vector(), vector(searcher.getIndexReader(), doc))
        ? IndexSchema.labelsOf(stored) : List.of();
  }

  /**
   * Whether two embeddings are the same up to float rounding: re-embedding the same file in another batch differs
   * by up to about 1e-7 (measured), while any real change of the picture or the preprocessing moves it far more. At
   * this distance (1e-5) a cosine moves by at most 1e-5, a logit (scale 100) by 1e-3.
   */
  static boolean sameEmbedding(float[] a, float[] b) {
    if (a == null || b == null || a.length != b.length) {
      return false;
    }
    double sum = 0;
    for (int i = 0; i < a.length; i++) {
      double d = (double) a[i] - b[i];
      sum += d * d;
    }
    return sum <= 1e-10;
  }

  /**
   * Replaces the label tags of every image that matches {@code filter} (every image when null) by what
   * {@code labeler} says for its vector (an empty list removes them). Each changed image's document is rewritten
   * through the writer, keyed by its path, with every other field as it was (the vector included); images whose tags
   * stay the same are not rewritten. Nothing is visible, and a crash changes nothing, until {@link #commit}.
   *
   * <p>It reads the index as of the last commit (or refresh): call it once per commit.
   *
   * @return how many documents were rewritten
   */
  public long replaceLabels(Query filter, Function<float[], List<LabelScore>> labeler) throws IOException {
    IndexSearcher searcher = searchers.acquire();
    try {
      StoredFields stored = searcher.storedFields();
      long[] rewritten = {0};
      forEachVector(searcher, filter, (leaf, doc, value) -> {
        float[] vector = value.clone();
        List<LabelScore> labels = List.copyOf(labeler.apply(vector));
        Document old = stored.document(leaf.docBase + doc);
        if (labels.equals(IndexSchema.labelsOf(old))) {
          return;
        }
        Document updated = IndexSchema.toDocument(IndexSchema.fromDocument(old, vector));
        IndexSchema.addLabels(updated, labels);
        writer.updateDocument(new Term(ImageFields.PATH, old.get(ImageFields.PATH)), updated);
        rewritten[0]++;
      });
      return rewritten[0];
    } finally {
      searchers.release(searcher);
    }
  }

  /** Receives a vector from {@link #forEachVector}; the array is Lucene's, valid only during the call. */
  @FunctionalInterface
  public interface VectorVisitor {
    void visit(LeafReaderContext leaf, int doc, float[] vector) throws IOException;
  }

  /**
   * Every live image that has a vector and matches {@code filter} (every image when null), segment by segment, in
   * document order: the filter's matches are walked beside the vectors, without collecting them first.
   */
  public static void forEachVector(IndexSearcher searcher, Query filter, VectorVisitor visitor) throws IOException {
    Weight weight = filter == null ? null
        : searcher.createWeight(searcher.rewrite(filter), ScoreMode.COMPLETE_NO_SCORES, 1f);
    for (LeafReaderContext leaf : searcher.getIndexReader().leaves()) {
      FloatVectorValues values = leaf.reader().getFloatVectorValues(ImageFields.VECTOR);
      if (values == null) {
        continue;
      }
      KnnVectorValues.DocIndexIterator vectors = values.iterator();
      DocIdSetIterator docs = vectors;
      if (weight != null) {
        Scorer scorer = weight.scorer(leaf);
        if (scorer == null) {
          continue;
        }
        docs = scorer.iterator();
      }
      Bits live = leaf.reader().getLiveDocs();
      for (int doc = docs.nextDoc(); doc != DocIdSetIterator.NO_MORE_DOCS; doc = docs.nextDoc()) {
        if (live != null && !live.get(doc)) {
          continue;
        }
        if (docs != vectors && (vectors.docID() < doc ? vectors.advance(doc) : vectors.docID()) != doc) {
          continue; // matched by the filter, but without a vector
        }
        visitor.visit(leaf, doc, values.vectorValue(vectors.index()));
      }
    }
  }

  /**
   * Label counts of the images matching {@code filter} (all when null) in the searcher's view.
   *
   * @param tagged images with at least one tag
   * @param labels per label, the number of images tagged with it, most frequent first, ties by label
   */
  public record LabelCounts(long tagged, Map<String, Long> labels) {}

  /** Counts the label tags (their sorted-set doc values) of the live images that match {@code filter}. */
  public static LabelCounts labelCounts(IndexSearcher searcher, Query filter) throws IOException {
    Weight weight = filter == null ? null
        : searcher.createWeight(searcher.rewrite(filter), ScoreMode.COMPLETE_NO_SCORES, 1f);
    Map<String, Long> counts = new HashMap<>();
    long tagged = 0;
    for (LeafReaderContext leaf : searcher.getIndexReader().leaves()) {
      SortedSetDocValues labels = DocValues.getSortedSet(leaf.reader(), ImageFields.LABEL);
      if (labels.getValueCount() == 0) {
        continue;
      }
      DocIdSetIterator docs = labels;
      if (weight != null) {
        Scorer scorer = weight.scorer(leaf);
        if (scorer == null) {
          continue;
        }
        docs = scorer.iterator();
      }
      Bits live = leaf.reader().getLiveDocs();
      long[] perOrd = new long[Math.toIntExact(labels.getValueCount())];
      for (int doc = docs.nextDoc(); doc != DocIdSetIterator.NO_MORE_DOCS; doc = docs.nextDoc()) {
        if ((live != null && !live.get(doc)) || (docs != labels && !labels.advanceExact(doc))) {
          continue;
        }
        tagged++;
        for (int i = 0, n = labels.docValueCount(); i < n; i++) {
          perOrd[Math.toIntExact(labels.nextOrd())]++;
        }
      }
      for (int ord = 0; ord < perOrd.length; ord++) {
        if (perOrd[ord] > 0) {
          counts.merge(labels.lookupOrd(ord).utf8ToString(), perOrd[ord], Long::sum);
        }
      }
    }
    Map<String, Long> sorted = new LinkedHashMap<>();
    counts.entrySet().stream()
        .sorted(Map.Entry.<String, Long>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()))
        .forEach(e -> sorted.put(e.getKey(), e.getValue()));
    return new LabelCounts(tagged, sorted);
  }

  /**
   * The HNSW settings to write into the index at {@code path} with: each value given (non-null) wins, else the one
   * the index's last commit recorded, else Lucene's default. Later runs (incremental indexing, the server's indexer,
   * label tagging) thus keep the graph and vector format the index was created with unless told otherwise; indexes
   * from before M and beam width were recorded keep their format and get the default M and beam width.
   */
  public static HnswSettings settingsFor(Path path, Integer maxConn, Integer beamWidth, VectorFormat format)
      throws IOException {
    Map<String, String> recorded = recordedCommitData(path);
    HnswSettings d = HnswSettings.DEFAULT;
    int m = maxConn != null ? maxConn : parseOr(recorded.get(HNSW_M), d.maxConn());
    int beam = beamWidth != null ? beamWidth : parseOr(recorded.get(HNSW_BEAM), d.beamWidth());
    VectorFormat f = format;
    if (f == null) {
      try {
        f = recorded.containsKey(VECTOR_FORMAT) ? VectorFormat.parse(recorded.get(VECTOR_FORMAT)) : d.format();
      } catch (IllegalArgumentException e) {
        f = d.format(); // a format name this version does not know: the default, as for an index without one
      }
    }
    return new HnswSettings(m, beam, f);
  }

  private static int parseOr(String value, int fallback) {
    try {
      return value == null ? fallback : Integer.parseInt(value);
    } catch (NumberFormatException e) {
      return fallback;
    }
  }

  /** The last commit's user data of the index at {@code path}; empty when there is no index there yet. */
  private static Map<String, String> recordedCommitData(Path path) throws IOException {
    Path dir = path.toAbsolutePath().normalize();
    if (!Files.isDirectory(dir)) {
      return Map.of();
    }
    try (Directory directory = FSDirectory.open(dir)) {
      if (!DirectoryReader.indexExists(directory)) {
        return Map.of();
      }
      checkReadable(dir, directory);
      return SegmentInfos.readLatestCommit(directory).getUserData();
    }
  }

  @Override
  public void delete(Collection<String> paths) throws IOException {
    for (String p : paths) {
      writer.deleteDocuments(new Term(ImageFields.PATH, p));
    }
  }

  @Override
  public void forEachPathUnder(String folder, Consumer<String> action) throws IOException {
    IndexSearcher searcher = searchers.acquire();
    try {
      TermQuery query = new TermQuery(new Term(ImageFields.FOLDERS, folder));
      int count = Math.max(1, searcher.count(query));
      StoredFields stored = searcher.storedFields();
      for (ScoreDoc hit : searcher.search(query, count).scoreDocs) {
        action.accept(stored.document(hit.doc, java.util.Set.of(ImageFields.PATH)).get(ImageFields.PATH));
      }
    } finally {
      searchers.release(searcher);
    }
  }

  @Override
  public synchronized void commit() throws IOException {
    Map<String, String> data = new HashMap<>();
    if (model != null) {
      data.put(MODEL_NAME, model.name());
      data.put(MODEL_DIMENSION, Integer.toString(model.dimension()));
      data.put(MODEL_FINGERPRINT, model.fingerprint());
    }
    data.put(SCHEMA_VERSION, IndexSchema.VERSION);
    data.put(VECTOR_FORMAT, hnsw.format().toString());
    data.put(HNSW_M, Integer.toString(hnsw.maxConn()));
    data.put(HNSW_BEAM, Integer.toString(hnsw.beamWidth()));
    data.put(COMMITTED_AT, Instant.now().toString());
    writer.setLiveCommitData(data.entrySet());
    writer.commit();
    searchers.maybeRefreshBlocking();
    deletedAll = false;
  }

  @Override
  public IndexStats stats() throws IOException {
    IndexSearcher searcher = searchers.acquire();
    try {
      Map<String, String> data = new HashMap<>();
      writer.getLiveCommitData().forEach(e -> data.put(e.getKey(), e.getValue()));
      return stats(searcher, data, path, hnsw.format().toString());
    } finally {
      searchers.release(searcher);
    }
  }

  /** Statistics of an index without opening a writer (and so without taking its lock). */
  public static IndexStats readStats(Path path) throws IOException {
    Path dir = path.toAbsolutePath().normalize();
    // FSDirectory.open creates a missing folder: look first, so that a mistyped --index leaves nothing behind.
    if (!Files.isDirectory(dir)) {
      throw new NoSuchFileException(dir.toString(), null, "no clipsearch index here");
    }
    try (Directory directory = FSDirectory.open(dir)) {
      if (!DirectoryReader.indexExists(directory)) {
        throw new NoSuchFileException(dir.toString(), null, "no clipsearch index here");
      }
      checkReadable(dir, directory);
      try (DirectoryReader reader = DirectoryReader.open(directory)) {
        return stats(dir, new IndexSearcher(reader));
      } catch (IndexNotFoundException e) {
        throw new NoSuchFileException(dir.toString(), null, "no clipsearch index here");
      }
    }
  }

  /**
   * Statistics of the commit that {@code searcher} reads (over a {@link DirectoryReader}): for a searcher that
   * already holds the index open, so that it need not open a second reader per call.
   */
  public static IndexStats stats(Path dir, IndexSearcher searcher) throws IOException {
    return stats(searcher, ((DirectoryReader) searcher.getIndexReader()).getIndexCommit().getUserData(), dir,
        "unknown");
  }

  /** The one place statistics are assembled, from what a searcher sees and the commit data recorded with it. */
  private static IndexStats stats(IndexSearcher searcher, Map<String, String> commitData, Path dir,
      String formatIfUnrecorded) throws IOException {
    LabelCounts labels = labelCounts(searcher, null);
    return new IndexStats(
        searcher.getIndexReader().numDocs(),
        modelOf(commitData.entrySet()),
        sizeOnDisk(dir),
        commitData.getOrDefault(VECTOR_FORMAT, formatIfUnrecorded),
        commitData.containsKey(COMMITTED_AT) ? Instant.parse(commitData.get(COMMITTED_AT)) : null,
        labels.tagged(),
        labels.labels());
  }

  public static ModelIdentity modelOf(Iterable<Map.Entry<String, String>> commitData) {
    if (commitData == null) {
      return null;
    }
    Map<String, String> data = new HashMap<>();
    commitData.forEach(e -> data.put(e.getKey(), e.getValue()));
    if (!data.containsKey(MODEL_FINGERPRINT)) {
      return null;
    }
    return new ModelIdentity(
        data.get(MODEL_NAME), Integer.parseInt(data.get(MODEL_DIMENSION)), data.get(MODEL_FINGERPRINT));
  }

  static long sizeOnDisk(Path dir) {
    try (var files = Files.list(dir)) {
      return files.filter(Files::isRegularFile).mapToLong(f -> {
        try {
          return Files.size(f);
        } catch (IOException e) {
          return 0; // a file merged away while we looked
        }
      }).sum();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Closes without committing: what was not committed is dropped, as after a crash. */
  @Override
  public void close() throws IOException {
    try {
      searchers.close();
    } finally {
      try {
        writer.rollback();
      } finally {
        directory.close();
      }
    }
  }
}
