package org.clipsearch.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.clipsearch.api.IndexFailure;
import org.clipsearch.encoders.ClipModel;
import org.clipsearch.indexer.ImageIndexer;
import org.clipsearch.indexer.IndexProgress;
import org.clipsearch.indexer.IndexReport;
import org.clipsearch.indexer.lucene.HnswSettings;
import org.clipsearch.indexer.lucene.LuceneImageStore;
import org.clipsearch.indexer.lucene.VectorFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Indexes folders of images, incrementally: a second run re-embeds nothing unchanged. */
@Command(
    name = "index",
    mixinStandardHelpOptions = true,
    description = {
      "Index image folders (or files) into the embedded Lucene index, or a SolrCloud collection (--solr).",
      "Unchanged files are skipped, changed ones updated in place; exit status 1 when any file failed."
    })
final class IndexCommand implements Callable<Integer> {
  private static final Logger LOG = LoggerFactory.getLogger(IndexCommand.class);

  @Mixin IndexOptions indexOptions = new IndexOptions();
  @Mixin ModelOptions modelOptions = new ModelOptions();
  @Mixin SolrOptions solrOptions = new SolrOptions();

  @Option(names = "--prune", description = "Delete indexed images under the given folders whose files are gone.")
  boolean prune;

  @Option(names = "--reindex", description = "Re-embed everything (needed after changing the model).")
  boolean reindex;

  @Option(names = "--threads", paramLabel = "N", description = "Decoding threads (default: the number of cores).")
  Integer threads;

  @Option(names = "--batch", paramLabel = "N", defaultValue = "32",
      description = "Encoder batch size (default: ${DEFAULT-VALUE}).")
  int batch;

  @Option(names = "--commit-every", paramLabel = "N", defaultValue = "1000",
      description = "Commit after every N images written (default: ${DEFAULT-VALUE}).")
  int commitEvery;

  // The three HNSW options have no fixed default: an existing index keeps the settings it was created with.
  @Option(names = "--hnsw-m", paramLabel = "M",
      description = "HNSW neighbours per node (default: the index's, 16 for a new index).")
  Integer hnswM;

  @Option(names = "--hnsw-beam", paramLabel = "N",
      description = "HNSW beam width while building (default: the index's, 100 for a new index).")
  Integer hnswBeam;

  @Option(names = "--vector-format", paramLabel = "FORMAT",
      description = "float, int8, int7 or int4 (scalar-quantized) (default: the index's, float for a new index).")
  String vectorFormat;

  @Option(names = "--max-pixels", paramLabel = "N", defaultValue = "100000000",
      description = "Refuse images whose header claims more pixels (default: ${DEFAULT-VALUE}).")
  long maxPixels;

  @Option(names = "--thumbnail-size", paramLabel = "PX", defaultValue = "256",
      description = "Longest side of stored thumbnails, 0 for none (default: ${DEFAULT-VALUE}).")
  int thumbnailSize;

  @Option(names = "--errors", paramLabel = "FILE", description = "Also write each skipped file as a JSON line to FILE.")
  Path errors;

  @Parameters(paramLabel = "PATH", arity = "1..*", description = "Folders or image files to index.")
  List<Path> paths;

  @Override
  public Integer call() throws IOException {
    VectorFormat format = vectorFormat == null ? null : VectorFormat.parse(vectorFormat);
    HnswSettings hnsw = solrOptions.enabled() ? HnswSettings.DEFAULT
        : LuceneImageStore.settingsFor(indexOptions.path(), hnswM, hnswBeam, format);
    int threadCount = threads != null ? threads : Math.max(1, Runtime.getRuntime().availableProcessors());
    ObjectMapper json = new ObjectMapper();
    try (ClipModel model = modelOptions.load();
        BufferedWriter errorLog = errors == null ? null : Files.newBufferedWriter(errors, StandardCharsets.UTF_8);
        Progress progress = new Progress(errorLog, json)) {
      LOG.info("index {} | model {} ({}-d) | threads {} | batch {} | commit every {} | HNSW {}"
              + " | max pixels {} | thumbnails {}px | prune {} | reindex {}",
          solrOptions.describe(indexOptions),
          model.name(), model.dimension(), threadCount, batch, commitEvery,
          solrOptions.enabled() ? "the collection's" : "M=" + hnsw.maxConn() + " beam=" + hnsw.beamWidth()
              + " format=" + hnsw.format(),
          maxPixels, thumbnailSize, prune, reindex);
      IndexReport report;
      // With --solr the HNSW settings are the collection's (solr-create), not these options.
      try (ImageIndexer indexer = solrOptions.indexer(indexOptions, hnsw)
          .model(model).threads(threadCount).batchSize(batch).commitEvery(commitEvery)
          .prune(prune).reindex(reindex).maxPixels(maxPixels).thumbnailSize(thumbnailSize).progress(progress)
          .build()) {
        report = indexer.index(paths);
      }
      progress.finish();
      LOG.info("done in {} s: {} found, {} added, {} updated, {} unchanged, {} deleted, {} embedded, {} reused by hash,"
              + " {} failed",
          String.format("%.1f", report.took().toMillis() / 1000.0), report.found(), report.added(), report.updated(),
          report.unchanged(), report.deleted(), report.embedded(), report.reused(), report.failures().size());
      List<IndexFailure> failures = report.failures();
      for (int i = 0; i < Math.min(20, failures.size()); i++) {
        System.err.println("clipsearch: skipped " + failures.get(i).path() + ": " + failures.get(i).reason());
      }
      if (failures.size() > 20) {
        System.err.println("clipsearch: ... and " + (failures.size() - 20) + " more"
            + (errors != null ? " (all in " + errors + ")" : " (use --errors FILE to list them all)"));
      }
      return report.hasFailures() ? 1 : 0;
    }
  }

  /** A progress bar on a terminal; log lines every few seconds otherwise (CI logs, pipes). */
  private static final class Progress implements IndexProgress, AutoCloseable {
    private final BufferedWriter errorLog;
    private final ObjectMapper json;
    private final boolean terminal = isTerminal();
    private ProgressBar bar;
    private long lastLog = System.nanoTime();
    private final long start = System.nanoTime();

    Progress(BufferedWriter errorLog, ObjectMapper json) {
      this.errorLog = errorLog;
      this.json = json;
    }

    @Override
    public void started(int total) {
      if (terminal) {
        bar = new ProgressBarBuilder().setTaskName("indexing").setInitialMax(total)
            .setStyle(ProgressBarStyle.ASCII).setUnit(" img", 1).showSpeed().build();
      } else {
        LOG.info("{} image files to look at", total);
      }
    }

    @Override
    public void advanced(int done, int total, int failed) {
      if (bar != null) {
        bar.stepTo(done);
        bar.setExtraMessage(failed > 0 ? failed + " errors" : "");
      } else if (System.nanoTime() - lastLog > 5_000_000_000L || done == total) {
        lastLog = System.nanoTime();
        double seconds = (lastLog - start) / 1e9;
        LOG.info("{}/{} files, {} errors, {} files/s", done, total, failed, String.format("%.1f", done / seconds));
      }
    }

    @Override
    public void failed(IndexFailure failure) {
      if (errorLog == null) {
        return;
      }
      try {
        errorLog.write(json.writeValueAsString(Map.of("path", failure.path(), "reason", failure.reason())));
        errorLog.newLine();
        errorLog.flush();
      } catch (IOException e) {
        LOG.warn("cannot write the errors file: {}", e.getMessage());
      }
    }

    @Override
    public void committed(int written) {
      LOG.debug("committed, {} images written so far", written);
    }

    /**
     * Whether stdout is a terminal. Since Java 22 {@code System.console()} exists even when output is redirected,
     * and only {@code Console.isTerminal()} (absent from Java 21) tells; it is looked up by name.
     */
    private static boolean isTerminal() {
      java.io.Console console = System.console();
      if (console == null) {
        return false;
      }
      try {
        return (Boolean) java.io.Console.class.getMethod("isTerminal").invoke(console);
      } catch (ReflectiveOperationException e) {
        return true; // Java 21: a console exists only for a terminal
      }
    }

    void finish() {
      if (bar != null) {
        bar.close();
        bar = null;
      }
    }

    @Override
    public void close() {
      finish();
    }
  }
}
