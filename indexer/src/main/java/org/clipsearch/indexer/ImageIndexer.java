package org.clipsearch.indexer;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemLoopException;
import java.nio.file.FileVisitOption;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.clipsearch.api.ImageRecord;
import org.clipsearch.api.ImageStore;
import org.clipsearch.api.IndexFailure;
import org.clipsearch.api.ModelIdentity;
import org.clipsearch.api.ModelMismatchException;
import org.clipsearch.api.StoredImage;
import org.clipsearch.encoders.ClipModel;
import org.clipsearch.encoders.DecodedImage;
import org.clipsearch.encoders.ImageEncoder;
import org.clipsearch.encoders.Images;
import org.clipsearch.indexer.lucene.HnswSettings;
import org.clipsearch.indexer.lucene.LuceneImageStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Indexes folders of images into an {@link ImageStore}: the embedded Lucene index by default.
 *
 * <p>A pipeline: the folders are walked, files unchanged since the last run (same size and modification time) are
 * skipped, the rest are read, hashed and decoded on {@code threads} worker threads, and the calling thread embeds
 * them in batches and writes them. The encoder is the only serial stage; it takes whatever is decoded, up to a
 * batch, and never waits while work is ready. The index is committed every {@code commitEvery} images and at the
 * end, so a crash loses at most the images since the last commit and the next run picks them up.
 *
 * <pre>{@code
 * try (ClipModel model = ClipModel.loadDefault();
 *     ImageIndexer indexer = ImageIndexer.builder().index(Path.of("index")).model(model).build()) {
 *   IndexReport report = indexer.index(List.of(Path.of("photos")));
 * }
 * }</pre>
 */
public final class ImageIndexer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ImageIndexer.class);

  /** File name extensions of the formats the decoders read. */
  public static final Set<String> EXTENSIONS =
      Set.of("jpg", "jpeg", "jpe", "png", "gif", "bmp", "webp", "tif", "tiff");

  private final ImageStore store;
  private final boolean ownsStore;
  private final ImageEncoder encoder;
  private final ModelIdentity modelIdentity;
  private final Settings settings;

  /** Everything an indexing run can be told, with defaults a user would expect. */
  public record Settings(
      int threads,
      int batchSize,
      int commitEvery,
      boolean prune,
      boolean reindex,
      long maxPixels,
      int thumbnailSize,
      IndexProgress progress) {

    /** The same settings, reporting progress to {@code other}. */
    public Settings withProgress(IndexProgress other) {
      return new Settings(threads, batchSize, commitEvery, prune, reindex, maxPixels, thumbnailSize, other);
    }
  }

  private ImageIndexer(ImageStore store, boolean ownsStore, ClipModel model, Settings settings) throws IOException {
    this.store = store;
    this.ownsStore = ownsStore;
    this.encoder = model.imageEncoder();
    this.settings = settings;
    this.modelIdentity = identityOf(model);
    Optional<ModelIdentity> recorded = store.model();
    if (recorded.isPresent() && !recorded.get().sameModelAs(modelIdentity)) {
      if (!settings.reindex()) {
        throw new ModelMismatchException(
            "this index was written by model " + recorded.get() + " but this run uses " + modelIdentity
                + "; index with the same --model, or pass --reindex to re-embed everything with the new one");
      }
      LOG.info("re-embedding everything: the index was written by {}, this run uses {}", recorded.get(), modelIdentity);
      store.deleteAll();
    }
    store.setModel(modelIdentity);
  }

  /** The identity an index records for {@code model}. */
  public static ModelIdentity identityOf(ClipModel model) {
    return new ModelIdentity(model.name(), model.dimension(), model.bundle().fingerprint());
  }

  public static Builder builder() {
    return new Builder();
  }

  public ImageStore store() {
    return store;
  }

  /** Indexes every image file under {@code roots} (folders, recursively, or single files). */
  public IndexReport index(List<Path> roots) throws IOException {
    try {
      return run(roots);
    } finally {
      settings.progress().finished();
    }
  }

  private IndexReport run(List<Path> roots) throws IOException {
    long start = System.nanoTime();
    List<IndexFailure> failures = Collections.synchronizedList(new ArrayList<>());
    List<Path> normalized = roots.stream().map(r -> r.toAbsolutePath().normalize()).distinct().toList();
    Set<String> found = new HashSet<>();
    List<Candidate> candidates = new ArrayList<>();
    for (Path root : normalized) {
      walk(root, candidates, found, failures);
    }
    List<Work> work = new ArrayList<>();
    int unchanged = 0;
    for (Candidate c : candidates) {
      Optional<StoredImage> stored = store.find(c.path.toString());
      if (stored.isPresent() && !settings.reindex()
          && stored.get().isUnchanged(c.size, c.modified)) {
        unchanged++;
      } else {
        work.add(new Work(c, stored.orElse(null)));
      }
    }
    IndexProgress progress = settings.progress();
    progress.started(candidates.size());
    for (IndexFailure failure : failures) {
      progress.failed(failure);
    }
    LOG.debug("{} image files found, {} unchanged, {} to index", candidates.size(), unchanged, work.size());

    Counts counts = new Counts();
    counts.done = unchanged;
    counts.total = candidates.size();
    counts.failed = failures.size();
    progress.advanced(counts.done, counts.total, counts.failed);
    if (!work.isEmpty()) {
      runPipeline(work, counts, failures);
    }

    int deleted = 0;
    if (settings.prune()) {
      deleted = prune(normalized, found);
    }
    store.commit();
    progress.committed(counts.added + counts.updated);
    return new IndexReport(
        candidates.size(),
        counts.added,
        counts.updated,
        unchanged,
        deleted,
        counts.embedded,
        counts.reused,
        List.copyOf(failures),
        Duration.ofNanos(System.nanoTime() - start));
  }

  private void walk(Path root, List<Candidate> candidates, Set<String> found, List<IndexFailure> failures) {
    if (!Files.exists(root)) {
      // With prune on, a folder or file deleted since it was indexed is what pruning is for (prune() removes its
      // images), not a failure; a path the index never held is still one (a typo prunes nothing).
      try {
        if (settings.prune() && indexedAt(root)) {
          return;
        }
      } catch (IOException e) {
        failures.add(new IndexFailure(root.toString(), describe(e)));
        return;
      }
      failures.add(new IndexFailure(root.toString(), "no such file or folder"));
      return;
    }
    if (!Files.isDirectory(root) && !isImageName(root)) {
      // Named on its own, a file the walk would pass over is a mistake worth saying, not a silent zero.
      failures.add(new IndexFailure(root.toString(), "not an image file name (" + String.join(", ",
          EXTENSIONS.stream().sorted().map(e -> "." + e).toList()) + ")"));
      return;
    }
    try {
      Files.walkFileTree(root, EnumSet.of(FileVisitOption.FOLLOW_LINKS), Integer.MAX_VALUE,
          new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
              if (!isImageName(file)) {
                return FileVisitResult.CONTINUE;
              }
              if (!attrs.isRegularFile()) {
                failures.add(new IndexFailure(file.toString(),
                    attrs.isSymbolicLink() ? "broken symbolic link" : "not a regular file"));
                return FileVisitResult.CONTINUE;
              }
              String key = file.toString();
              if (found.add(key)) {
                candidates.add(new Candidate(file, attrs.size(),
                    attrs.lastModifiedTime().toInstant().truncatedTo(ChronoUnit.MILLIS)));
              }
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) {
              failures.add(new IndexFailure(file.toString(), describe(e)));
              return FileVisitResult.CONTINUE;
            }
          });
    } catch (IOException e) {
      failures.add(new IndexFailure(root.toString(), describe(e)));
    }
  }

  public static boolean isImageName(Path file) {
    String name = file.getFileName() == null ? "" : file.getFileName().toString();
    int dot = name.lastIndexOf('.');
    return dot > 0 && EXTENSIONS.contains(name.substring(dot + 1).toLowerCase(Locale.ROOT));
  }

  public static String describe(Throwable e) {
    if (e instanceof FileSystemLoopException) {
      return "symbolic link loop";
    }
    if (e instanceof NoSuchFileException) {
      return "no such file (deleted, or a broken link)";
    }
    if (e instanceof AccessDeniedException) {
      return "permission denied";
    }
    if (e instanceof java.nio.file.FileSystemException f && f.getReason() != null) {
      return f.getReason(); // the path is said beside it; the exception's message would say it twice
    }
    String message = e.getMessage();
    return message != null && !message.isBlank() ? message : e.getClass().getSimpleName();
  }

  private void runPipeline(List<Work> work, Counts counts, List<IndexFailure> failures) throws IOException {
    int threads = settings.threads();
    BlockingQueue<Decoded> decoded = new ArrayBlockingQueue<>(Math.max(2 * settings.batchSize(), 2 * threads));
    AtomicInteger next = new AtomicInteger();
    AtomicBoolean aborted = new AtomicBoolean();
    ExecutorService workers = Executors.newFixedThreadPool(threads, r -> {
      Thread t = new Thread(r, "clipsearch-decode");
      t.setDaemon(true);
      return t;
    });
    // Decode to about twice the model's input, and never less than the thumbnail needs.
    int targetShortSide = Math.max(2 * Math.max(encoder.preprocessing().height(), encoder.preprocessing().width()),
        settings.thumbnailSize());
    for (int t = 0; t < threads; t++) {
      workers.execute(() -> {
        for (int i; !aborted.get() && (i = next.getAndIncrement()) < work.size(); ) {
          Decoded result = decode(work.get(i), targetShortSide);
          try {
            decoded.put(result);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
          }
        }
      });
    }
    try {
      writeAll(work.size(), decoded, counts, failures);
    } catch (IOException | RuntimeException e) {
      aborted.set(true);
      decoded.clear();
      throw e;
    } finally {
      workers.shutdownNow();
      try {
        workers.awaitTermination(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** The serial stage: embeds what is decoded in batches, writes, and commits every so often. */
  private void writeAll(int expected, BlockingQueue<Decoded> decoded, Counts counts, List<IndexFailure> failures)
      throws IOException {
    IndexProgress progress = settings.progress();
    Map<String, float[]> embeddedThisRun = new LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, float[]> eldest) {
        return size() > 10_000; // older duplicates are found through the store after the next commit
      }
    };
    int received = 0;
    int sinceCommit = 0;
    List<Decoded> batch = new ArrayList<>(settings.batchSize());
    while (received < expected) {
      batch.clear();
      try {
        batch.add(decoded.take());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("indexing interrupted", e);
      }
      decoded.drainTo(batch, settings.batchSize() - 1);
      received += batch.size();

      List<Decoded> toEmbed = new ArrayList<>();
      List<float[]> tensors = new ArrayList<>();
      Map<String, Decoded> firstBySha = new LinkedHashMap<>();
      for (Decoded d : batch) {
        if (d.failure != null) {
          failures.add(d.failure);
          progress.failed(d.failure);
          counts.failed++;
          counts.done++;
          continue;
        }
        if (d.vector == null && embeddedThisRun.containsKey(d.sha256)) {
          d.vector = embeddedThisRun.get(d.sha256);
          d.reused = true;
        }
        if (d.vector == null && !firstBySha.containsKey(d.sha256)) {
          firstBySha.put(d.sha256, d);
          toEmbed.add(d);
          tensors.add(d.tensor);
        }
      }
      if (!toEmbed.isEmpty()) {
        float[][] vectors = encoder.encodePreprocessed(tensors);
        for (int i = 0; i < vectors.length; i++) {
          toEmbed.get(i).vector = vectors[i];
          embeddedThisRun.put(toEmbed.get(i).sha256, vectors[i]);
        }
        counts.embedded += vectors.length;
      }
      List<ImageRecord> records = new ArrayList<>(batch.size());
      for (Decoded d : batch) {
        if (d.failure != null) {
          continue;
        }
        if (d.vector == null) { // a duplicate of an image embedded in this same batch
          d.vector = firstBySha.get(d.sha256).vector;
          d.reused = true;
        }
        if (d.reused) {
          counts.reused++;
        }
        records.add(d.toRecord());
        if (d.work.stored == null) {
          counts.added++;
        } else {
          counts.updated++;
        }
        counts.done++;
      }
      store.upsert(records);
      sinceCommit += records.size();
      if (sinceCommit >= settings.commitEvery()) {
        store.commit();
        progress.committed(counts.added + counts.updated);
        sinceCommit = 0;
      }
      progress.advanced(counts.done, counts.total, counts.failed);
    }
  }

  /** Runs on a worker thread: read, hash, decode, describe and preprocess one file. Never throws. */
  private Decoded decode(Work work, int targetShortSide) {
    Path path = work.candidate.path;
    try {
      byte[] content = Files.readAllBytes(path);
      String sha = sha256(content);
      DecodedImage image = Images.decode(content, settings.maxPixels(), targetShortSide);
      ImageRecord.Exif exif = ImageFacts.exif(content, image.orientation());
      byte[] thumbnail = ImageFacts.thumbnail(image.image(), settings.thumbnailSize());
      Decoded d = new Decoded(work, sha, content.length, image, exif, thumbnail);
      if (!settings.reindex()) {
        d.vector = store.vectorByHash(sha).orElse(null);
        d.reused = d.vector != null;
      }
      if (d.vector == null) {
        d.tensor = encoder.preprocess(image.image());
      }
      return d;
    } catch (IOException | RuntimeException | OutOfMemoryError | StackOverflowError e) {
      return Decoded.failed(work, new IndexFailure(path.toString(), describe(e)));
    }
  }

  private int prune(List<Path> roots, Set<String> found) throws IOException {
    Set<String> gone = new HashSet<>();
    for (Path root : roots) {
      if (Files.isDirectory(root)) {
        store.forEachPathUnder(root.toString(), p -> {
          if (!found.contains(p) && !Files.exists(Path.of(p))) {
            gone.add(p);
          }
        });
      } else if (!Files.exists(root)) {
        // gone whole: every image indexed under it, or the file itself
        store.forEachPathUnder(root.toString(), gone::add);
        if (store.find(root.toString()).isPresent()) {
          gone.add(root.toString());
        }
      }
    }
    store.delete(gone);
    return gone.size();
  }

  /** Whether the index holds the image at {@code path} or any image under it as a folder. */
  private boolean indexedAt(Path path) throws IOException {
    if (store.find(path.toString()).isPresent()) {
      return true;
    }
    boolean[] any = {false};
    store.forEachPathUnder(path.toString(), p -> any[0] = true);
    return any[0];
  }

  static String sha256(byte[] content) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() throws IOException {
    if (ownsStore) {
      store.close();
    }
  }

  private record Candidate(Path path, long size, Instant modified) {}

  private record Work(Candidate candidate, StoredImage stored) {}

  private static final class Counts {
    int done;
    int total;
    int failed;
    int added;
    int updated;
    int embedded;
    int reused;
  }

  /** One file on its way from a worker to the writer. */
  private static final class Decoded {
    final Work work;
    final String sha256;
    final long size;
    final DecodedImage image;
    final ImageRecord.Exif exif;
    final byte[] thumbnail;
    final IndexFailure failure;
    float[] tensor;
    float[] vector;
    boolean reused;

    Decoded(Work work, String sha256, long size, DecodedImage image, ImageRecord.Exif exif, byte[] thumbnail) {
      this.work = work;
      this.sha256 = sha256;
      this.size = size;
      this.image = image;
      this.exif = exif;
      this.thumbnail = thumbnail;
      this.failure = null;
    }

    private Decoded(Work work, IndexFailure failure) {
      this.work = work;
      this.failure = failure;
      this.sha256 = null;
      this.size = 0;
      this.image = null;
      this.exif = null;
      this.thumbnail = null;
    }

    static Decoded failed(Work work, IndexFailure failure) {
      return new Decoded(work, failure);
    }

    ImageRecord toRecord() {
      Candidate c = work.candidate;
      return new ImageRecord(c.path.toString(), sha256, size, c.modified, image.width(), image.height(),
          image.format(), exif, thumbnail, Objects.requireNonNull(vector));
    }
  }

  /** Configures an indexer; {@link #build} opens the index. */
  public static final class Builder {
    private ImageStore store;
    private Path indexPath;
    private HnswSettings hnsw; // null: the index's recorded settings, Lucene's defaults for a new index
    private ClipModel model;
    private int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
    private int batchSize = 32;
    private int commitEvery = 1000;
    private boolean prune;
    private boolean reindex;
    private long maxPixels = 100_000_000L;
    private int thumbnailSize = 256;
    private IndexProgress progress = IndexProgress.NONE;
    private boolean closeStore;

    private Builder() {}

    /** Index into the embedded Lucene index at {@code path} (created if missing). */
    public Builder index(Path path) {
      this.indexPath = path;
      return this;
    }

    /** Index into another backend; the caller keeps ownership of it unless {@link #closeStore} says otherwise. */
    public Builder store(ImageStore store) {
      this.store = store;
      return this;
    }

    /** Whether closing the indexer closes the store given to {@link #store} (for a store opened only for it). */
    public Builder closeStore(boolean close) {
      this.closeStore = close;
      return this;
    }

    /** The HNSW settings to write with; without them an existing index keeps those it was created with. */
    public Builder hnsw(HnswSettings hnsw) {
      this.hnsw = Objects.requireNonNull(hnsw);
      return this;
    }

    public Builder model(ClipModel model) {
      this.model = model;
      return this;
    }

    public Builder threads(int threads) {
      this.threads = positive(threads, "threads");
      return this;
    }

    public Builder batchSize(int batchSize) {
      this.batchSize = positive(batchSize, "batch size");
      return this;
    }

    public Builder commitEvery(int images) {
      this.commitEvery = positive(images, "commit interval");
      return this;
    }

    public Builder prune(boolean prune) {
      this.prune = prune;
      return this;
    }

    public Builder reindex(boolean reindex) {
      this.reindex = reindex;
      return this;
    }

    public Builder maxPixels(long maxPixels) {
      if (maxPixels <= 0) {
        throw new IllegalArgumentException("max pixels must be positive, got " + maxPixels);
      }
      this.maxPixels = maxPixels;
      return this;
    }

    /** Longest side of the stored thumbnail in pixels; 0 stores none. */
    public Builder thumbnailSize(int pixels) {
      if (pixels < 0) {
        throw new IllegalArgumentException("thumbnail size must not be negative, got " + pixels);
      }
      this.thumbnailSize = pixels;
      return this;
    }

    public Builder progress(IndexProgress progress) {
      this.progress = Objects.requireNonNull(progress);
      return this;
    }

    public Settings settings() {
      return new Settings(threads, batchSize, commitEvery, prune, reindex, maxPixels, thumbnailSize, progress);
    }

    public ImageIndexer build() throws IOException {
      if (model == null) {
        throw new IllegalStateException("no model: call model(ClipModel)");
      }
      if ((store == null) == (indexPath == null)) {
        throw new IllegalStateException("give exactly one of index(Path) and store(ImageStore)");
      }
      if (store != null) {
        try {
          return new ImageIndexer(store, closeStore, model, settings());
        } catch (IOException | RuntimeException e) {
          if (closeStore) {
            store.close();
          }
          throw e;
        }
      }
      LuceneImageStore lucene = LuceneImageStore.open(indexPath,
          hnsw != null ? hnsw : LuceneImageStore.settingsFor(indexPath, null, null, null));
      try {
        // Other processes (a web server on this index) read the run's progress from the index folder.
        Settings settings = settings();
        return new ImageIndexer(lucene, true, model,
            settings.withProgress(new ProgressFile(indexPath.toAbsolutePath().normalize(), settings.progress())));
      } catch (IOException | RuntimeException e) {
        lucene.close();
        throw e;
      }
    }

    private static int positive(int value, String what) {
      if (value <= 0) {
        throw new IllegalArgumentException(what + " must be positive, got " + value);
      }
      return value;
    }
  }

}
