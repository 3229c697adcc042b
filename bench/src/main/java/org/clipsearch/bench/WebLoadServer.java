package org.clipsearch.bench;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.store.FSDirectory;
import org.clipsearch.api.ImageRecord;
import org.clipsearch.api.ModelIdentity;
import org.clipsearch.encoders.ClipModel;
import org.clipsearch.indexer.ImageIndexer;
import org.clipsearch.indexer.lucene.HnswSettings;
import org.clipsearch.indexer.lucene.LuceneImageStore;
import org.clipsearch.web.WebServer;
import org.clipsearch.web.WebServerConfig;

/**
 * The server side of the web load test (bench/run-web-load.sh; the load comes from {@link WebLoadClient} in another
 * process). It
 *
 * <ol>
 *   <li>creates, once, an index of N synthetic images ({@link SyntheticImages}: clustered unit vectors, plausible
 *       paths, sizes, dates, a tiny thumbnail) written through {@link LuceneImageStore} under the default model's
 *       identity, and reuses it on later runs (records a previous run's writer added are deleted first);
 *   <li>starts the real {@link WebServer} on 127.0.0.1 with the default model, so that text searches run the real
 *       text encoder;
 *   <li>writes into the same index while it serves: a writer thread upserts new synthetic records at a stated rate
 *       and commits every commit interval; the server's searcher reopens the index on its own when a search comes
 *       at least 0.5 s after its last reopen ({@code ImageSearcher}), as it would beside {@code clipsearch index};
 *   <li>answers on a second loopback port (the control port): {@code GET /stats} (images written, commits, commit
 *       times, the newest committed image's id, peak and current resident memory from /proc/self/status, heap,
 *       process CPU time), {@code POST /reset} (restarts the peaks: VmHWM through /proc/self/clear_refs, heap and
 *       commit maxima) and {@code POST /stop}.
 * </ol>
 *
 * <p>When ready it prints one JSON line to stdout with both ports.
 *
 * <p>Usage: WebLoadServer INDEX_DIR [--images N] [--port P] [--write-rate IMAGES_PER_S] [--commit-ms MS]
 */
public final class WebLoadServer {
  static final String BASE = "/bench/photos";
  static final String LIVE = "/bench/live";

  private final SyntheticImages synthetic;
  private final LuceneImageStore store;
  private final double writeRate;
  private final String runRoot;
  private final long writeStart = System.nanoTime();
  private final AtomicLong written = new AtomicLong();
  private final AtomicLong commits = new AtomicLong();
  private final AtomicLong writeErrors = new AtomicLong();
  private final AtomicLong commitNanosMax = new AtomicLong();
  private final AtomicLong commitNanosSum = new AtomicLong();
  private final AtomicLong commitsSinceReset = new AtomicLong();
  private final AtomicLong heapPeak = new AtomicLong();
  private final AtomicReference<String> lastCommittedId = new AtomicReference<>();

  private WebLoadServer(SyntheticImages synthetic, LuceneImageStore store, double writeRate) {
    this.synthetic = synthetic;
    this.store = store;
    this.writeRate = writeRate;
    this.runRoot = LIVE + "/run-" + System.currentTimeMillis();
  }

  public static void main(String[] args) throws Exception {
    Path index = Path.of(args[0]).toAbsolutePath().normalize();
    int images = 100_000;
    int port = 0;
    double writeRate = 100;
    long commitMillis = 1000;
    for (int i = 1; i < args.length; i += 2) {
      switch (args[i]) {
        case "--images" -> images = Integer.parseInt(args[i + 1]);
        case "--port" -> port = Integer.parseInt(args[i + 1]);
        case "--write-rate" -> writeRate = Double.parseDouble(args[i + 1]);
        case "--commit-ms" -> commitMillis = Long.parseLong(args[i + 1]);
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    try (ClipModel model = ClipModel.loadDefault();
        LuceneImageStore store = LuceneImageStore.open(index, HnswSettings.DEFAULT)) {
      SyntheticImages synthetic = new SyntheticImages(model.dimension(), images, 42);
      double buildSeconds = prepare(store, model, synthetic, images);
      int segments;
      int docs;
      try (FSDirectory dir = FSDirectory.open(index); DirectoryReader reader = DirectoryReader.open(dir)) {
        segments = reader.leaves().size();
        docs = reader.numDocs();
      }
      WebLoadServer load = new WebLoadServer(synthetic, store, writeRate);
      CountDownLatch stop = new CountDownLatch(1);
      ScheduledExecutorService threads = Executors.newScheduledThreadPool(2, r -> {
        Thread t = new Thread(r, "web-load-writer");
        t.setDaemon(true);
        return t;
      });
      try (WebServer server = WebServer.start(WebServerConfig.builder().index(index).model(model).port(port).build())) {
        HttpServer control = load.control(stop);
        threads.scheduleAtFixedRate(load::sampleHeap, 0, 100, TimeUnit.MILLISECONDS);
        if (writeRate > 0) {
          threads.scheduleAtFixedRate(load::writeBatch, commitMillis, commitMillis, TimeUnit.MILLISECONDS);
        }
        System.out.printf(Locale.ROOT,
            "{\"event\":\"ready\",\"port\":%d,\"control_port\":%d,\"images\":%d,\"segments\":%d,\"build_s\":%.1f,"
                + "\"write_rate\":%.1f,\"commit_ms\":%d,\"thumbnail_bytes\":%d,\"model\":\"%s\",\"dimension\":%d,"
                + "\"worker_threads\":%d,\"max_heap_mb\":%d}%n",
            server.port(), control.getAddress().getPort(), docs, segments, buildSeconds, writeRate, commitMillis,
            synthetic.thumbnailBytes(), model.name(), model.dimension(), server.config().workerThreads(),
            Runtime.getRuntime().maxMemory() >> 20);
        System.out.flush();
        stop.await();
        threads.shutdown();
        threads.awaitTermination(30, TimeUnit.SECONDS);
        control.stop(0);
      }
    }
  }

  /**
   * Makes the index hold exactly the {@code images} base records: reuses it when it does (after deleting what an
   * earlier run's writer added), else writes it anew. Returns the seconds spent writing (0 when reused).
   */
  static double prepare(LuceneImageStore store, ClipModel model, SyntheticImages synthetic, int images)
      throws IOException {
    ModelIdentity ours = ImageIndexer.identityOf(model);
    long[] base = {0};
    store.forEachPathUnder(BASE, p -> base[0]++);
    boolean sameModel = store.model().map(m -> m.sameModelAs(ours)).orElse(false);
    if (base[0] == images && sameModel) {
      List<String> live = new ArrayList<>();
      store.forEachPathUnder(LIVE, live::add);
      store.delete(live);
      store.commit();
      System.err.printf(Locale.ROOT, "reusing the index of %d images at %s (%d records of earlier runs deleted)%n",
          images, store.path(), live.size());
      return 0;
    }
    System.err.printf(Locale.ROOT, "writing an index of %d synthetic images to %s ...%n", images, store.path());
    long start = System.nanoTime();
    store.deleteAll();
    store.setModel(ours);
    List<ImageRecord> batch = new ArrayList<>();
    for (int i = 0; i < images; i++) {
      batch.add(synthetic.record(BASE, i));
      if (batch.size() == 1000 || i == images - 1) {
        store.upsert(batch);
        batch.clear();
      }
      if ((i + 1) % Math.max(1, images / 10) == 0) {
        System.err.printf(Locale.ROOT, "  %d images, %.0f s%n", i + 1, (System.nanoTime() - start) / 1e9);
      }
    }
    store.commit();
    double seconds = (System.nanoTime() - start) / 1e9;
    System.err.printf(Locale.ROOT, "index written in %.1f s%n", seconds);
    return seconds;
  }

  /** One commit interval's worth of new records (what the stated rate owes since the start), then a commit. */
  private void writeBatch() {
    try {
      long due = (long) (writeRate * (System.nanoTime() - writeStart) / 1e9);
      long from = written.get();
      if (due <= from) {
        return;
      }
      List<ImageRecord> batch = new ArrayList<>();
      for (long n = from; n < due; n++) {
        batch.add(synthetic.record(runRoot, n));
      }
      store.upsert(batch);
      long start = System.nanoTime();
      store.commit();
      long nanos = System.nanoTime() - start;
      written.set(due);
      commits.incrementAndGet();
      commitsSinceReset.incrementAndGet();
      commitNanosSum.addAndGet(nanos);
      commitNanosMax.accumulateAndGet(nanos, Math::max);
      lastCommittedId.set(batch.get(batch.size() - 1).id());
    } catch (Throwable e) {
      // A scheduled task that throws is never run again: count, say so, and keep writing.
      writeErrors.incrementAndGet();
      System.err.println("writer: " + e);
    }
  }

  private void sampleHeap() {
    heapPeak.accumulateAndGet(ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed(), Math::max);
  }

  private HttpServer control(CountDownLatch stop) throws IOException {
    HttpServer control = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    control.createContext("/stats", ex -> reply(ex, stats()));
    control.createContext("/reset", ex -> {
      resetPeaks();
      reply(ex, stats());
    });
    control.createContext("/stop", ex -> {
      reply(ex, stats());
      stop.countDown();
    });
    control.start();
    return control;
  }

  private void resetPeaks() {
    try {
      Files.writeString(Path.of("/proc/self/clear_refs"), "5");
    } catch (IOException e) {
      System.err.println("cannot reset the peak resident memory (VmHWM): " + e);
    }
    heapPeak.set(ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
    commitNanosMax.set(0);
    commitNanosSum.set(0);
    commitsSinceReset.set(0);
  }

  private String stats() {
    var heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
    long cpu = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
    long n = commitsSinceReset.get();
    String last = lastCommittedId.get();
    return String.format(Locale.ROOT,
        "{\"written\":%d,\"commits\":%d,\"write_errors\":%d,\"commit_ms_mean\":%.1f,\"commit_ms_max\":%.1f,"
            + "\"last_committed_id\":%s,\"vm_hwm_mb\":%d,\"vm_rss_mb\":%d,\"rss_anon_mb\":%d,\"heap_used_mb\":%d,"
            + "\"heap_peak_mb\":%d,\"heap_committed_mb\":%d,\"cpu_s\":%.3f,\"uptime_s\":%.3f}",
        written.get(), commits.get(), writeErrors.get(), n == 0 ? 0 : commitNanosSum.get() / 1e6 / n,
        commitNanosMax.get() / 1e6, last == null ? "null" : "\"" + last + "\"", statusMb("VmHWM:"),
        statusMb("VmRSS:"), statusMb("RssAnon:"), heap.getUsed() >> 20, heapPeak.get() >> 20,
        heap.getCommitted() >> 20, cpu / 1e9, (System.nanoTime() - writeStart) / 1e9);
  }

  /** A memory line of /proc/self/status in MB, or -1. */
  static long statusMb(String key) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith(key)) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
        }
      }
    } catch (IOException e) {
      // not Linux
    }
    return -1;
  }

  private static void reply(HttpExchange ex, String json) throws IOException {
    byte[] body = json.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.sendResponseHeaders(200, body.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(body);
    }
  }
}
