package org.clipsearch.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.clipsearch.encoders.ClipModel;
import org.clipsearch.indexer.ImageIndexer;
import org.clipsearch.indexer.IndexReport;
import org.clipsearch.searcher.ImageSearch;
import org.clipsearch.web.IndexingStatus;
import org.clipsearch.web.WebServer;
import org.clipsearch.web.WebServerConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The search page and JSON API over the index, until interrupted. */
@Command(name = "serve", mixinStandardHelpOptions = true,
    description = {"Serve the search page and the JSON API (see /openapi.json) over the index.",
        "Listens on 127.0.0.1 unless told otherwise; with an access token every API call needs it.",
        "Given folders, indexes them (incrementally) in the background meanwhile; the page shows the progress."})
final class ServeCommand implements Callable<Integer> {
  private static final Logger LOG = LoggerFactory.getLogger(ServeCommand.class);
  static final String TOKEN_ENV = "CLIPSEARCH_AUTH_TOKEN";

  @Mixin IndexOptions indexOptions = new IndexOptions();
  @Mixin ModelOptions modelOptions = new ModelOptions();
  @Mixin SolrOptions solrOptions = new SolrOptions();

  @Option(names = "--host", paramLabel = "ADDRESS", defaultValue = WebServerConfig.DEFAULT_HOST,
      description = "Address to listen on (default: ${DEFAULT-VALUE}, this machine only; 0.0.0.0 for every network).")
  String host;

  @Option(names = "--port", paramLabel = "PORT", defaultValue = "7070",
      description = "Port (default: ${DEFAULT-VALUE}).")
  int port;

  @Option(names = "--auth-token", paramLabel = "TOKEN",
      description = "Every API call must send 'Authorization: Bearer TOKEN'; the page asks for it once. "
          + "Also read from the environment variable " + TOKEN_ENV + " (which, unlike an argument, other users "
          + "of the machine cannot see).")
  String authToken;

  @Option(names = "--max-upload-mb", paramLabel = "MB", defaultValue = "20",
      description = "Largest image upload accepted (default: ${DEFAULT-VALUE}).")
  int maxUploadMb;

  @Option(names = "--max-k", paramLabel = "N", defaultValue = "200",
      description = "Most hits one page may ask for (default: ${DEFAULT-VALUE}).")
  int maxK;

  @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "30",
      description = "Longest a search, classification or upload may take, waiting included "
          + "(default: ${DEFAULT-VALUE}).")
  int timeoutSeconds;

  @Option(names = "--workers", paramLabel = "N",
      description = "Threads that embed and search (default: the number of cores, at most 8).")
  Integer workers;

  @Option(names = "--queue", paramLabel = "N", defaultValue = "64",
      description = "Requests that may wait for a worker; more are answered 503 (default: ${DEFAULT-VALUE}).")
  int queue;

  @Option(names = "--reindex",
      description = "Re-embed everything given as PATH, in the background (needed after changing the model, as "
          + "after an update of the default one; the index is emptied first).")
  boolean reindex;

  @Parameters(paramLabel = "PATH", arity = "0..*",
      description = "Folders or image files to index in the background while serving (creates the index if needed).")
  List<Path> paths = new ArrayList<>();

  @Override
  public Integer call() throws Exception {
    try (Serving serving = start()) {
      WebServer server = serving.server();
      Thread hook = new Thread(() -> {
        try {
          server.close();
        } catch (Exception e) {
          LOG.warn("stopping the server: {}", e.getMessage());
        }
      }, "clipsearch-shutdown");
      Runtime.getRuntime().addShutdownHook(hook);
      System.out.println("clipsearch: serving " + solrOptions.describe(indexOptions) + " at " + server.uri()
          + (serving.tokenRequired() ? " (access token required)" : "") + " — Ctrl-C to stop");
      System.out.flush();
      server.join();
      try {
        Runtime.getRuntime().removeShutdownHook(hook); // closed already; a JVM that goes on (a test) keeps no hook
      } catch (IllegalStateException shuttingDown) {
        // the hook is running: it closed the server
      }
    }
    return 0;
  }

  /**
   * A started server and what it holds: closing it stops the server and releases the model and the Solr client,
   * except that the model stays open for an indexer still running (a stop mid-run; the index keeps every commit so
   * far and the next run goes on from there). {@link #call} blocks on it until interrupted; a test closes it.
   */
  record Serving(WebServer server, boolean tokenRequired, Thread indexing, ClipModel model, ImageSearch solrSearch)
      implements AutoCloseable {
    @Override
    public void close() throws Exception {
      try (ClipModel closedModel = indexing != null && indexing.isAlive() ? null : model;
          ImageSearch closedSearch = solrSearch;
          WebServer closedServer = server) {
        if (closedModel == null) {
          LOG.info("stopped while indexing; the next run continues where this one stopped");
        }
      }
    }
  }

  /** Validates the options, loads the model, starts the server and the background indexing; does not block. */
  Serving start() throws Exception {
    String token = authToken != null ? authToken : System.getenv(TOKEN_ENV);
    if (token != null && token.isBlank()) {
      // Refused rather than taken as "no token": whoever set it meant the server to be guarded.
      throw new IllegalArgumentException((authToken != null ? "--auth-token" : TOKEN_ENV)
          + " is empty: give a token, or leave it out to serve without one");
    }
    if (maxUploadMb < 1 || maxUploadMb > 1024) {
      throw new IllegalArgumentException("--max-upload-mb must be between 1 and 1024, got " + maxUploadMb);
    }
    if (timeoutSeconds < 1) {
      throw new IllegalArgumentException("--timeout must be at least 1 second, got " + timeoutSeconds);
    }
    try {
      java.net.InetAddress.getByName(host);
    } catch (java.net.UnknownHostException e) {
      // Jetty would report the failed bind as "Port already in use", which sends the user after the wrong thing.
      throw new IllegalArgumentException("--host " + host + ": no such host name or address on this machine");
    }
    if (reindex && paths.isEmpty()) {
      throw new IllegalArgumentException("--reindex re-embeds the folders given to index: name them");
    }
    // Javalin and Jetty tell a lot at INFO; the server's own lines are enough unless asked (-D...=info).
    for (String name : new String[] {"io.javalin", "org.eclipse.jetty"}) {
      String key = "org.slf4j.simpleLogger.log." + name;
      if (System.getProperty(key) == null) {
        System.setProperty(key, "warn");
      }
    }
    ClipModel model = modelOptions.load();
    ImageSearch solrSearch = null;
    ImageIndexer indexer = null;
    WebServer server = null;
    try {
      WebServerConfig.Builder config = WebServerConfig.builder()
          .host(host).port(port).authToken(token)
          .maxUploadBytes(maxUploadMb * 1024L * 1024L).maxK(maxK)
          .defaultK(Math.min(WebServerConfig.DEFAULT_K, maxK))
          .requestTimeout(Duration.ofSeconds(timeoutSeconds))
          .queueCapacity(queue);
      if (workers != null) {
        config.workerThreads(workers);
      }
      IndexingStatus status = new IndexingStatus();
      if (!paths.isEmpty()) {
        // No HNSW settings: an existing index keeps its own (with --solr, the collection's).
        indexer = solrOptions.indexer(indexOptions, null).model(model).reindex(reindex).progress(status).build();
        indexer.store().commit(); // a new index is searchable (empty) at once
        // Running from before the server listens, so that no answer given before the indexer starts claims to be
        // complete.
        status.begin();
        config.indexing(status);
      }
      if (solrOptions.enabled()) {
        solrSearch = solrOptions.openSearch(indexOptions, model);
        config.searcher(solrSearch);
      } else {
        config.index(indexOptions.path()).model(model);
      }
      server = WebServer.start(config.build());
      if (token == null && !isLoopback(host)) {
        LOG.warn("listening on {} without an access token: anyone who can reach this machine can search the index "
            + "and download its images; consider --auth-token or {}", host, TOKEN_ENV);
      }
      Thread indexing = indexer == null ? null : startIndexing(indexer, status);
      return new Serving(server, token != null, indexing, model, solrSearch);
    } catch (Exception | Error e) {
      // No handle returned: release what was opened, the server first (it searches with the model), then the
      // indexer (it writes with the model; its thread never started, since that is the last step that can throw).
      try (ClipModel closedModel = model; ImageSearch closedSearch = solrSearch; ImageIndexer closedIndexer = indexer;
          WebServer closedServer = server) {
        throw e;
      }
    }
  }

  private Thread startIndexing(ImageIndexer indexer, IndexingStatus status) {
    Thread thread = new Thread(() -> {
      try (indexer) {
        IndexReport report = indexer.index(paths);
        LOG.info("indexed in {} s: {} found, {} added, {} updated, {} unchanged, {} failed",
            String.format("%.1f", report.took().toMillis() / 1000.0), report.found(), report.added(),
            report.updated(), report.unchanged(), report.failures().size());
      } catch (Exception e) {
        LOG.error("indexing failed: {}", e.getMessage());
      } finally {
        status.end();
      }
    }, "clipsearch-indexer");
    thread.setDaemon(true);
    thread.start();
    return thread;
  }

  private static boolean isLoopback(String host) {
    try {
      return host.equalsIgnoreCase("localhost") || java.net.InetAddress.getByName(host).isLoopbackAddress();
    } catch (java.net.UnknownHostException e) {
      return false;
    }
  }
}
