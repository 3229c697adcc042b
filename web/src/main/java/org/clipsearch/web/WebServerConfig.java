package org.clipsearch.web;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import org.clipsearch.encoders.ClipModel;
import org.clipsearch.searcher.ImageSearch;

/**
 * How a {@link WebServer} is set up. Every limit has a safe default; {@link #builder()} is the way to make one.
 *
 * @param index the index folder, opened with {@code model} when no {@code searcher} is given
 * @param model the model that wrote the index (the server does not close it)
 * @param searcher a ready searcher instead of {@code index} and {@code model} (the server does not close it)
 * @param host the address to listen on; loopback unless told otherwise
 * @param port the port; 0 picks a free one
 * @param authToken when set, every {@code /api} call needs {@code Authorization: Bearer <token>}
 * @param maxUploadBytes the largest image upload accepted (413 beyond)
 * @param maxPixels the most pixels an uploaded image may claim in its header (decompression bombs)
 * @param maxK the most hits one page may ask for
 * @param defaultK hits per page when the request does not say
 * @param maxOffset the deepest page offset
 * @param requestTimeout how long a search, classification or upload may take, queueing included (503 beyond)
 * @param workerThreads threads that run searches, classifications and upload decoding
 * @param queueCapacity requests that may wait for a worker; more are refused with 503
 * @param httpThreads the most threads Jetty may use
 * @param maxConcurrentRequests requests handled at once; more wait, without holding a thread
 * @param maxWaitingRequests requests that may wait for their turn; more are refused with 503, as are those that
 *     wait longer than the request timeout
 * @param idleTimeout how long a connection may stay silent, mid-upload included
 * @param indexing progress of an indexer running in this process, shown on the status line, or null
 */
public record WebServerConfig(
    Path index,
    ClipModel model,
    ImageSearch searcher,
    String host,
    int port,
    String authToken,
    long maxUploadBytes,
    long maxPixels,
    int maxK,
    int defaultK,
    int maxOffset,
    Duration requestTimeout,
    int workerThreads,
    int queueCapacity,
    int httpThreads,
    int maxConcurrentRequests,
    int maxWaitingRequests,
    Duration idleTimeout,
    IndexingStatus indexing) {

  public static final String DEFAULT_HOST = "127.0.0.1";
  public static final int DEFAULT_PORT = 7070;
  public static final long DEFAULT_MAX_UPLOAD_BYTES = 20L * 1024 * 1024;
  public static final long DEFAULT_MAX_PIXELS = 50_000_000L;
  public static final int DEFAULT_MAX_K = 200;
  public static final int DEFAULT_K = 24;
  public static final int DEFAULT_MAX_OFFSET = 10_000;
  public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(30);
  public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(30);

  public WebServerConfig {
    if (searcher == null && (index == null || model == null)) {
      throw new IllegalArgumentException("give a searcher, or an index and the model that wrote it");
    }
    Objects.requireNonNull(host, "host");
    if (host.isBlank()) {
      throw new IllegalArgumentException("host must not be blank");
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port must be between 0 and 65535, got " + port);
    }
    if (authToken != null && authToken.isBlank()) {
      authToken = null;
    }
    positive(maxUploadBytes, "max upload bytes");
    positive(maxPixels, "max pixels");
    positive(maxK, "max k");
    positive(defaultK, "default k");
    if (defaultK > maxK) {
      throw new IllegalArgumentException("default k " + defaultK + " is above max k " + maxK);
    }
    if (maxOffset < 0) {
      throw new IllegalArgumentException("max offset must not be negative, got " + maxOffset);
    }
    Objects.requireNonNull(requestTimeout, "requestTimeout");
    if (requestTimeout.isNegative() || requestTimeout.isZero()) {
      throw new IllegalArgumentException("request timeout must be positive, got " + requestTimeout);
    }
    positive(workerThreads, "worker threads");
    positive(queueCapacity, "queue capacity");
    positive(httpThreads, "http threads");
    positive(maxConcurrentRequests, "max concurrent requests");
    positive(maxWaitingRequests, "max waiting requests");
    if (httpThreads < 8) {
      throw new IllegalArgumentException("http threads must be at least 8, got " + httpThreads);
    }
    Objects.requireNonNull(idleTimeout, "idleTimeout");
  }

  private static void positive(long value, String what) {
    if (value <= 0) {
      throw new IllegalArgumentException(what + " must be positive, got " + value);
    }
  }

  /** Never shows the token. */
  @Override
  public String toString() {
    return "WebServerConfig[host=" + host + ", port=" + port
        + ", index=" + (searcher != null ? searcher.location() : index)
        + ", auth=" + (authToken != null ? "token" : "none") + ", maxUploadBytes=" + maxUploadBytes + ", maxK=" + maxK
        + ", requestTimeout=" + requestTimeout + ", workerThreads=" + workerThreads + ", queueCapacity="
        + queueCapacity + ", httpThreads=" + httpThreads + ", maxConcurrentRequests=" + maxConcurrentRequests
        + ", maxWaitingRequests=" + maxWaitingRequests + "]";
  }

  /** The model searches embed with. */
  public ClipModel effectiveModel() {
    return searcher != null ? searcher.model() : model;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Builds a {@link WebServerConfig}; everything but the index (or searcher) and model has a default. */
  public static final class Builder {
    private Path index;
    private ClipModel model;
    private ImageSearch searcher;
    private String host = DEFAULT_HOST;
    private int port = DEFAULT_PORT;
    private String authToken;
    private long maxUploadBytes = DEFAULT_MAX_UPLOAD_BYTES;
    private long maxPixels = DEFAULT_MAX_PIXELS;
    private int maxK = DEFAULT_MAX_K;
    private int defaultK = DEFAULT_K;
    private int maxOffset = DEFAULT_MAX_OFFSET;
    private Duration requestTimeout = DEFAULT_REQUEST_TIMEOUT;
    private int workerThreads = Math.max(1, Math.min(8, Runtime.getRuntime().availableProcessors()));
    private int queueCapacity = 64;
    private int httpThreads = Math.max(32, 4 * Runtime.getRuntime().availableProcessors());
    private int maxConcurrentRequests = 0;
    private int maxWaitingRequests = 256;
    private Duration idleTimeout = DEFAULT_IDLE_TIMEOUT;
    private IndexingStatus indexing;

    private Builder() {}

    public Builder index(Path index) {
      this.index = index;
      return this;
    }

    public Builder model(ClipModel model) {
      this.model = model;
      return this;
    }

    public Builder searcher(ImageSearch searcher) {
      this.searcher = searcher;
      return this;
    }

    public Builder host(String host) {
      this.host = host;
      return this;
    }

    public Builder port(int port) {
      this.port = port;
      return this;
    }

    public Builder authToken(String authToken) {
      this.authToken = authToken;
      return this;
    }

    public Builder maxUploadBytes(long maxUploadBytes) {
      this.maxUploadBytes = maxUploadBytes;
      return this;
    }

    public Builder maxPixels(long maxPixels) {
      this.maxPixels = maxPixels;
      return this;
    }

    public Builder maxK(int maxK) {
      this.maxK = maxK;
      return this;
    }

    public Builder defaultK(int defaultK) {
      this.defaultK = defaultK;
      return this;
    }

    public Builder maxOffset(int maxOffset) {
      this.maxOffset = maxOffset;
      return this;
    }

    public Builder requestTimeout(Duration requestTimeout) {
      this.requestTimeout = requestTimeout;
      return this;
    }

    public Builder workerThreads(int workerThreads) {
      this.workerThreads = workerThreads;
      return this;
    }

    public Builder queueCapacity(int queueCapacity) {
      this.queueCapacity = queueCapacity;
      return this;
    }

    public Builder httpThreads(int httpThreads) {
      this.httpThreads = httpThreads;
      return this;
    }

    public Builder maxConcurrentRequests(int maxConcurrentRequests) {
      this.maxConcurrentRequests = maxConcurrentRequests;
      return this;
    }

    public Builder maxWaitingRequests(int maxWaitingRequests) {
      this.maxWaitingRequests = maxWaitingRequests;
      return this;
    }

    public Builder idleTimeout(Duration idleTimeout) {
      this.idleTimeout = idleTimeout;
      return this;
    }

    public Builder indexing(IndexingStatus indexing) {
      this.indexing = indexing;
      return this;
    }

    public WebServerConfig build() {
      return new WebServerConfig(index, model, searcher, host, port, authToken, maxUploadBytes, maxPixels, maxK,
          defaultK, maxOffset, requestTimeout, workerThreads, queueCapacity, httpThreads,
          maxConcurrentRequests > 0 ? maxConcurrentRequests : Math.max(4, httpThreads / 2), maxWaitingRequests,
          idleTimeout, indexing);
    }
  }
}
