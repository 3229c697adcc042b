package org.clipsearch.web;

import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.javalin.http.staticfiles.Location;
import jakarta.servlet.DispatcherType;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.Map;
import org.clipsearch.searcher.ImageSearch;
import org.clipsearch.searcher.ImageSearcher;
import org.clipsearch.searcher.UnknownImageException;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.server.handler.QoSHandler;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The search page and its JSON API, on Javalin (Jetty 12). Safe by default: it listens on 127.0.0.1, serves only
 * files that are in the index (by id), validates every parameter, answers errors as {@code {"error": ...}} without
 * internals, bounds uploads and work, and sets security headers on every response.
 *
 * <pre>{@code
 * try (ClipModel model = ClipModel.loadDefault();
 *     WebServer server = WebServer.start(WebServerConfig.builder().index(Path.of("index")).model(model).build())) {
 *   System.out.println("open " + server.uri());
 *   server.join();
 * }
 * }</pre>
 */
public final class WebServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(WebServer.class);

  private final WebServerConfig config;
  private final ImageSearch searcher;
  private final boolean ownsSearcher;
  private final WorkPool pool;
  private final Javalin app;
  private final Object stopLock = new Object();
  private boolean stopping;
  private boolean stopped;

  private WebServer(WebServerConfig config, ImageSearch searcher, boolean ownsSearcher) {
    this.config = config;
    this.searcher = searcher;
    this.ownsSearcher = ownsSearcher;
    this.pool = new WorkPool(config.workerThreads(), config.queueCapacity(), config.requestTimeout());
    this.app = Javalin.create(c -> configure(c, new Api(config, searcher, pool)));
  }

  /** Opens the index (unless a searcher is given) and starts listening. */
  public static WebServer start(WebServerConfig config) throws IOException {
    boolean owns = config.searcher() == null;
    ImageSearch searcher = owns ? ImageSearcher.open(config.index(), config.model()) : config.searcher();
    WebServer server = null;
    try {
      server = new WebServer(config, searcher, owns);
      server.app.start();
      // The address bound, and where it differs (all interfaces), the one to open on this machine.
      String bound = bracketed(config.host());
      String open = server.uri().getHost().equals(bound) ? "" : " (open " + server.uri() + " on this machine)";
      LOG.info("clipsearch web server listening on {}:{}{}{}", bound, server.port(), open,
          config.authToken() != null ? " (API calls need the access token)" : "");
      return server;
    } catch (RuntimeException e) {
      if (server != null) {
        server.close();
      } else if (owns) {
        searcher.close();
      }
      throw e;
    }
  }

  public WebServerConfig config() {
    return config;
  }

  public ImageSearch searcher() {
    return searcher;
  }

  /** The port it listens on (the one picked when configured with 0). */
  public int port() {
    return app.port();
  }

  /** The address to open in a browser. */
  public URI uri() {
    String host = config.host();
    if (host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]")) {
      host = "127.0.0.1";
    }
    return URI.create("http://" + bracketed(host) + ":" + port() + "/");
  }

  /** An IPv6 address as a URL's host writes it, in brackets; names and IPv4 addresses as they are. */
  private static String bracketed(String host) {
    return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
  }

  /** Blocks until {@link #close()} (called from a shutdown hook, say) has stopped the server. */
  public void join() throws InterruptedException {
    synchronized (stopLock) {
      while (!stopped) {
        stopLock.wait();
      }
    }
  }

  @Override
  public void close() throws IOException {
    synchronized (stopLock) {
      if (stopping) {
        return;
      }
      stopping = true;
    }
    try {
      app.stop();
    } finally {
      try {
        pool.close();
        if (ownsSearcher) {
          searcher.close();
        }
      } finally {
        synchronized (stopLock) {
          stopped = true;
          stopLock.notifyAll();
        }
      }
    }
  }

  // ------------------------------------------------------------------------------------------ configuration

  private void configure(io.javalin.config.JavalinConfig c, Api api) {
    c.startup.showJavalinBanner = false;
    c.startup.showOldJavalinVersionWarning = false;
    c.http.maxRequestSize = Api.MAX_JSON_BYTES;
    c.http.prefer405over404 = true;
    c.router.ignoreTrailingSlashes = true;

    QueuedThreadPool threads = new QueuedThreadPool(config.httpThreads(), 8, 60_000);
    threads.setName("clipsearch-http");
    c.jetty.threadPool = threads;
    boolean checkHost = isLoopback(config.host()) && config.authToken() == null;
    c.jetty.addConnector((server, http) -> {
      http.setSendServerVersion(false);
      http.setSendXPoweredBy(false);
      ServerConnector connector = new ServerConnector(server, new HttpConnectionFactory(http));
      connector.setHost(config.host());
      connector.setPort(config.port());
      connector.setIdleTimeout(config.idleTimeout().toMillis());
      return connector;
    });
    c.jetty.modifyServer(server -> {
      server.setErrorHandler(new JsonErrorHandler());
      // A bounded request queue: at most so many requests at once; the next ones wait without holding a thread,
      // up to a limit and the request timeout, and beyond either are refused with 503.
      QoSHandler qos = new QoSHandler();
      qos.setMaxRequestCount(config.maxConcurrentRequests());
      qos.setMaxSuspendedRequestCount(config.maxWaitingRequests());
      qos.setMaxSuspend(config.requestTimeout());
      qos.setRejectStatusCode(503);
      server.insertHandler(qos);
    });
    c.jetty.modifyServletContextHandler(handler -> {
      handler.setErrorHandler(new JsonErrorHandler());
      handler.addFilter(new FilterHolder(new SecurityFilter(checkHost)), "/*",
          EnumSet.of(DispatcherType.REQUEST, DispatcherType.ERROR, DispatcherType.ASYNC));
    });

    c.staticFiles.add(files -> {
      files.hostedPath = "/";
      files.directory = "/public";
      files.location = Location.CLASSPATH;
      files.headers = Map.of("Cache-Control", "no-cache");
    });

    c.requestLogger.http((ctx, ms) -> {
      if (LOG.isDebugEnabled()) {
        LOG.debug("{} {} {} {} ms", ctx.method(), ctx.path(), ctx.statusCode(), Math.round(ms));
      }
    });

    var routes = c.routes;
    routes.before(api::authenticate);
    // Each GET also answers HEAD by running the same handler (Jetty sends no body): left to Javalin, a HEAD on a GET
    // route was 200 without the handler running, whatever the GET would have said (400, 404).
    java.util.function.BiConsumer<String, io.javalin.http.Handler> get = (path, handler) -> {
      routes.get(path, handler);
      routes.head(path, handler);
    };
    get.accept("/health", ctx -> Api.json(ctx, Json.object().put("status", "ok")));
    get.accept("/openapi.json", WebServer::openApi);
    get.accept("/api/search", api::searchGet);
    routes.post("/api/search", api::searchPost);
    get.accept("/api/images/{id}", api::image);
    get.accept("/api/images/{id}/thumbnail", api::thumbnail);
    get.accept("/api/images/{id}/file", api::file);
    get.accept("/api/similar/{id}", api::similar);
    routes.post("/api/classify", api::classify);
    routes.post("/api/labels/search", api::labelSearch);
    get.accept("/api/stats", api::stats);

    routes.exception(Exception.class, WebServer::handleException);
    routes.error(404, ctx -> {
      if (isEmpty(ctx)) {
        Api.json(ctx, Json.error("not found: " + Params.clip(ctx.path())));
      }
    });
    routes.error(405, ctx -> {
      if (isEmpty(ctx)) {
        Api.json(ctx, Json.error("method " + ctx.method() + " is not allowed here"));
      }
    });
  }

  private static boolean isEmpty(Context ctx) {
    String result = ctx.result();
    String type = ctx.res().getContentType();
    return result == null || result.isEmpty() || type == null || !type.startsWith("application/json");
  }

  static boolean isLoopback(String host) {
    if (host.equalsIgnoreCase("localhost")) {
      return true;
    }
    try {
      return InetAddress.getByName(host).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }

  private static void openApi(Context ctx) throws IOException {
    try (InputStream in = WebServer.class.getResourceAsStream("openapi.json")) {
      if (in == null) {
        throw new UncheckedIOException(new IOException("openapi.json is missing from the classpath"));
      }
      ctx.contentType("application/json");
      ctx.result(in.readAllBytes());
    }
  }

  /**
   * Every failure becomes {@code {"error": message}}: a refused request keeps its 4xx and says why, anything
   * unexpected is a 500 with a generic message, its detail only in the log.
   */
  static void handleException(Exception e, Context ctx) {
    int status;
    String message;
    if (e instanceof ApiError a) {
      status = a.status();
      message = a.getMessage();
    } else if (e instanceof UnknownImageException) {
      status = 404;
      message = e.getMessage();
    } else if (e instanceof HttpResponseException h) {
      status = h.getStatus();
      message = h.getMessage() == null || h.getMessage().isBlank() ? reason(status) : h.getMessage();
    } else if (e instanceof com.fasterxml.jackson.core.JsonProcessingException) {
      status = 400;
      message = "malformed JSON";
    } else if (e instanceof IllegalArgumentException) {
      status = 400;
      message = e.getMessage() == null ? "bad request" : e.getMessage();
    } else {
      status = 500;
      message = "internal error; the server's log has the details";
      LOG.error("{} {} failed", ctx.method(), ctx.path(), e);
    }
    if (status >= 500 && status != 503) {
      LOG.debug("{} {} -> {}", ctx.method(), ctx.path(), status);
    }
    if (status == 503) {
      ctx.header("Retry-After", "1");
    }
    ctx.status(status);
    Api.json(ctx, Json.error(message));
  }

  private static String reason(int status) {
    String reason = HttpStatus.getMessage(status);
    return reason == null ? "error " + status : reason.toLowerCase(java.util.Locale.ROOT);
  }

  /** Errors Jetty answers itself (a malformed request line, say): JSON, with the security headers, no stack. */
  static final class JsonErrorHandler extends ErrorHandler {
    JsonErrorHandler() {
      setShowStacks(false);
      setShowCauses(false);
      setShowOrigin(false);
    }

    @Override
    protected void generateResponse(Request request, Response response, int code, String message, Throwable cause,
        Callback callback) {
      response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json;charset=utf-8");
      response.getHeaders().put("Content-Security-Policy", SecurityFilter.CSP);
      response.getHeaders().put("X-Content-Type-Options", "nosniff");
      response.getHeaders().put("X-Frame-Options", "DENY");
      response.getHeaders().put("Referrer-Policy", "no-referrer");
      response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
      String text = message == null || message.isBlank() || message.contains("\n") || message.length() > 200
          ? reason(code) : message;
      byte[] body = Json.write(Json.error(text)).getBytes(StandardCharsets.UTF_8);
      response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
      response.write(true, java.nio.ByteBuffer.wrap(body), callback);
    }
  }
}
