package org.clipsearch.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;
import jakarta.servlet.MultipartConfigElement;
import jakarta.servlet.http.Part;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.clipsearch.api.ImageRecord;
import org.clipsearch.api.LabelScore;
import org.clipsearch.api.LabeledHit;
import org.clipsearch.api.QueryTerm;
import org.clipsearch.api.SearchFilters;
import org.clipsearch.api.SearchRequest;
import org.clipsearch.api.SearchResult;
import org.clipsearch.api.TaggedImage;
import org.clipsearch.encoders.ClipModel;
import org.clipsearch.searcher.ImageSearch;
import org.clipsearch.indexer.ProgressFile;
import org.clipsearch.searcher.ImageSearcher;
import org.clipsearch.searcher.QueryParser;

/** The JSON API's handlers. Every input is validated before any work; expensive work runs on the {@link WorkPool}. */
final class Api {
  static final Set<String> SEARCH_GET =
      Set.of("q", "k", "offset", "folder", "from", "to", "format", "label", "cutoff", "keywords");
  static final Set<String> SEARCH_MULTIPART = Params.union(SEARCH_GET, Set.of("image", "weight"));
  static final Set<String> SEARCH_JSON = Set.of("terms", "q", "k", "offset", "filters", "folder", "from", "to",
      "format", "label", "cutoff", "keywords");
  static final Set<String> TERM_JSON = Set.of("text", "image_id", "weight");
  static final Set<String> SIMILAR = Set.of("k", "offset", "folder", "from", "to", "format", "label", "cutoff");
  static final Set<String> CLASSIFY_MULTIPART = Set.of("image", "labels", "top");
  static final Set<String> CLASSIFY_JSON = Set.of("image_id", "labels", "templates", "top");
  static final Set<String> LABELS_JSON = Set.of("labels", "templates", "k", "filters", "folder", "from", "to",
      "format", "label");
  static final long MAX_JSON_BYTES = 1024 * 1024;
  private static final long MULTIPART_OVERHEAD = 256 * 1024;
  private static final int MAX_FIELD_BYTES = 64 * 1024;
  private static final String MULTIPART_CONFIG_ATTRIBUTE = "org.eclipse.jetty.multipartConfig";

  private final WebServerConfig config;
  private final ImageSearch searcher;
  private final ClipModel model;
  private final WorkPool pool;
  private final byte[] token;
  /** Whether a look at the indexer saw it running, and the index has not been reopened since it ended. */
  private volatile boolean indexingSeen;

  Api(WebServerConfig config, ImageSearch searcher, WorkPool pool) {
    this.config = config;
    this.searcher = searcher;
    this.model = searcher.model();
    this.pool = pool;
    this.token = config.authToken() == null ? null : config.authToken().getBytes(StandardCharsets.UTF_8);
  }

  // ------------------------------------------------------------------------------------------ auth

  /** Every path under /api needs the token when one is configured; the page, /health and /openapi.json do not. */
  void authenticate(Context ctx) {
    String path = ctx.path().toLowerCase(Locale.ROOT).replaceAll("/{2,}", "/");
    if (!path.equals("/api") && !path.startsWith("/api/")) {
      return;
    }
    ctx.header("Cache-Control", "no-store");
    if (token == null) {
      return;
    }
    String header = ctx.header("Authorization");
    String prefix = "bearer ";
    if (header != null && header.length() > prefix.length()
        && header.substring(0, prefix.length()).equalsIgnoreCase(prefix)) {
      byte[] given = header.substring(prefix.length()).strip().getBytes(StandardCharsets.UTF_8);
      if (MessageDigest.isEqual(given, token)) {
        return;
      }
    }
    ctx.header("WWW-Authenticate", "Bearer realm=\"clipsearch\"");
    throw new ApiError(401, header == null ? "this server needs an access token: Authorization: Bearer <token>"
        : "the access token is wrong");
  }

  // ------------------------------------------------------------------------------------------ search

  void searchGet(Context ctx) throws Exception {
    Params p = Params.of(ctx.queryParamMap(), SEARCH_GET);
    String q = p.query("q");
    if (q == null) {
      throw ApiError.badRequest("q is required: what to look for");
    }
    List<QueryTerm> terms = QueryParser.parse(q);
    int k = p.integer("k", config.defaultK(), 1, config.maxK());
    int offset = p.integer("offset", 0, 0, config.maxOffset());
    SearchRequest request = new SearchRequest(terms, k, offset, p.filters(), 0, p.bool("keywords"), p.bool("cutoff"));
    boolean indexing = indexingRunning();
    long submitted = System.nanoTime();
    long[] started = new long[1];
    SearchResult result = pool.run(() -> {
      started[0] = System.nanoTime();
      return searcher.search(request);
    });
    ctx.header("Server-Timing", serverTiming(started[0] - submitted, result));
    json(ctx, result(result, k, offset, indexing).put("query", q));
  }

  /**
   * The W3C Server-Timing header of a search, in milliseconds: waiting for a worker, embedding the query in the
   * encoders, and the rest of the search (the index's share).
   */
  static String serverTiming(long queueNanos, SearchResult result) {
    long encode = result.encoding().toNanos();
    return String.format(Locale.ROOT, "queue;dur=%.3f, encode;dur=%.3f, search;dur=%.3f", queueNanos / 1e6,
        encode / 1e6, (result.took().toNanos() - encode) / 1e6);
  }

  void searchPost(Context ctx) throws Exception {
    if (isMultipart(ctx)) {
      pool.withUploadSlot(() -> {
        searchMultipart(ctx);
        return null;
      });
    } else if (isJson(ctx)) {
      searchJson(ctx);
    } else {
      throw new ApiError(415, "send multipart/form-data with an 'image' part, or application/json");
    }
  }

  private void searchMultipart(Context ctx) throws Exception {
    Multipart form = multipart(ctx, SEARCH_MULTIPART);
    Params p = form.params();
    String q = p.query("q");
    if (form.image() == null && q == null) {
      throw ApiError.badRequest("send an image in a part named 'image', a query q, or both");
    }
    int k = p.integer("k", config.defaultK(), 1, config.maxK());
    int offset = p.integer("offset", 0, 0, config.maxOffset());
    float weight = p.weight("weight", 1f);
    SearchFilters filters = p.filters();
    boolean keywords = p.bool("keywords");
    boolean cutoff = p.bool("cutoff");
    List<QueryTerm> textTerms = q == null ? List.of() : QueryParser.parse(q);
    byte[] image = form.image();
    boolean indexing = indexingRunning();
    SearchResult result = pool.run(() -> {
      List<QueryTerm> terms = new ArrayList<>(textTerms);
      if (image != null) {
        terms.add(new QueryTerm.Vector(Uploads.embed(image, model, config.maxPixels()), weight));
      }
      return searcher.search(new SearchRequest(terms, k, offset, filters, 0, keywords, cutoff));
    });
    ObjectNode node = result(result, k, offset, indexing);
    if (q != null) {
      node.put("query", q);
    }
    json(ctx, node);
  }

  private void searchJson(Context ctx) throws Exception {
    ObjectNode body = jsonBody(ctx);
    Params.checkFields(body, SEARCH_JSON, "the search request");
    List<QueryTerm> terms = new ArrayList<>();
    String q = Params.optionalText(body, "q");
    if (q != null) {
      if (q.length() > Params.MAX_QUERY_LENGTH) {
        throw ApiError.badRequest("q is longer than " + Params.MAX_QUERY_LENGTH + " characters");
      }
      terms.addAll(QueryParser.parse(q));
    }
    JsonNode list = body.get("terms");
    if (list != null && !list.isNull()) {
      if (!list.isArray()) {
        throw ApiError.badRequest("terms must be an array of {\"text\": ..} or {\"image_id\": ..} objects");
      }
      if (list.size() > Params.MAX_TERMS) {
        throw ApiError.badRequest("at most " + Params.MAX_TERMS + " terms");
      }
      for (JsonNode t : list) {
        if (!(t instanceof ObjectNode term)) {
          throw ApiError.badRequest("each term must be an object with 'text' or 'image_id', and 'weight'");
        }
        Params.checkFields(term, TERM_JSON, "a term");
        float weight = Params.weightField(term, "weight");
        String text = Params.optionalText(term, "text");
        String imageId = Params.optionalText(term, "image_id");
        if ((text == null) == (imageId == null)) {
          throw ApiError.badRequest("each term needs exactly one of 'text' and 'image_id'");
        }
        if (text != null) {
          if (text.length() > Params.MAX_QUERY_LENGTH) {
            throw ApiError.badRequest("a text term is longer than " + Params.MAX_QUERY_LENGTH + " characters");
          }
          terms.add(new QueryTerm.Text(text, weight));
        } else {
          terms.add(new QueryTerm.IndexedImage(Params.id(imageId), weight));
        }
      }
    }
    if (terms.isEmpty()) {
      throw ApiError.badRequest("give q or terms: what to look for");
    }
    int k = Params.intField(body, "k", config.defaultK(), 1, config.maxK());
    int offset = Params.intField(body, "offset", 0, 0, config.maxOffset());
    SearchFilters filters = Params.filters(body);
    SearchRequest request = new SearchRequest(terms, k, offset, filters, 0, Params.boolField(body, "keywords"),
        Params.boolField(body, "cutoff"));
    boolean indexing = indexingRunning();
    SearchResult result = pool.run(() -> searcher.search(request));
    json(ctx, result(result, k, offset, indexing));
  }

  void similar(Context ctx) throws Exception {
    String id = Params.id(ctx.pathParam("id"));
    Params p = Params.of(ctx.queryParamMap(), SIMILAR);
    int k = p.integer("k", config.defaultK(), 1, config.maxK());
    int offset = p.integer("offset", 0, 0, config.maxOffset());
    SearchRequest request = new SearchRequest(List.of(new QueryTerm.IndexedImage(id, 1f)), k, offset, p.filters(), 0,
        false, p.bool("cutoff"));
    boolean indexing = indexingRunning();
    SearchResult result = pool.run(() -> searcher.search(request));
    json(ctx, result(result, k, offset, indexing).put("similar_to", id));
  }

  // ------------------------------------------------------------------------------------------ images

  /** The image the path names, with its tags: one read of its stored document, whichever part a route needs. */
  private TaggedImage details(Context ctx) throws IOException {
    Params.of(ctx.queryParamMap(), Set.of()); // ?path=/etc/passwd must not look as if it were heeded
    String id = Params.id(ctx.pathParam("id"));
    return searcher.taggedImage(id).orElseThrow(() -> ApiError.notFound("no indexed image has the id " + id));
  }

  private ImageRecord record(Context ctx) throws IOException {
    return details(ctx).image();
  }

  void image(Context ctx) throws IOException {
    TaggedImage t = details(ctx);
    json(ctx, Json.image(t.image()).set("tags", Json.labels(t.tags())));
  }

  void thumbnail(Context ctx) throws IOException {
    ImageRecord r = record(ctx);
    if (r.thumbnail() == null || r.thumbnail().length == 0) {
      throw ApiError.notFound("no thumbnail is stored for this image");
    }
    ctx.header("Cache-Control", "private, max-age=600");
    ctx.contentType("image/jpeg");
    ctx.result(r.thumbnail());
  }

  /** The original file: found by id in the index, so only indexed files are ever served. */
  void file(Context ctx) throws IOException {
    ImageRecord r = record(ctx);
    Path file = Path.of(r.path());
    BasicFileAttributes attrs;
    try {
      attrs = file.isAbsolute() ? Files.readAttributes(file, BasicFileAttributes.class) : null;
    } catch (IOException e) {
      attrs = null;
    }
    if (attrs == null || !attrs.isRegularFile() || !Files.isReadable(file)) {
      throw ApiError.notFound("the file of this image is no longer on disk");
    }
    // Only the file that was indexed: one replaced since (another image, a link to some other file) is not served
    // under this image's name and type, by the rule the indexer uses to skip unchanged files.
    long size = attrs.size();
    if (!r.stored().isUnchanged(size, attrs.lastModifiedTime().toInstant())) {
      throw new ApiError(409, "the file of this image has changed since it was indexed; index it again to serve it");
    }
    String type = mediaType(r.format());
    ctx.header("Cache-Control", "private, max-age=600");
    ctx.header("Content-Disposition", (type.startsWith("image/") ? "inline" : "attachment")
        + "; filename*=UTF-8''"
        + URLEncoder.encode(Json.fileName(r.path()), StandardCharsets.UTF_8).replace("+", "%20"));
    ctx.header("Content-Length", Long.toString(size));
    ctx.contentType(type);
    InputStream in = Files.newInputStream(file);
    ctx.result(in);
  }

  static String mediaType(String format) {
    return switch (format == null ? "" : format.toLowerCase(Locale.ROOT)) {
      case "jpeg", "jpg" -> "image/jpeg";
      case "png" -> "image/png";
      case "gif" -> "image/gif";
      case "webp" -> "image/webp";
      case "bmp" -> "image/bmp";
      case "tiff", "tif" -> "image/tiff";
      default -> "application/octet-stream";
    };
  }

  // ------------------------------------------------------------------------------------------ classification

  void classify(Context ctx) throws Exception {
    if (isMultipart(ctx)) {
      pool.withUploadSlot(() -> {
        Multipart form = multipart(ctx, CLASSIFY_MULTIPART);
        if (form.image() == null) {
          throw ApiError.badRequest("send the image in a part named 'image'");
        }
        List<String> labels = Params.labels(form.fields().getOrDefault("labels", List.of()));
        int top = form.params().integer("top", labels.size(), 1, Params.MAX_LABELS);
        byte[] image = form.image();
        List<LabelScore> scores = pool.run(() ->
            searcher.classify(Uploads.embed(image, model, config.maxPixels()), labels, null, top));
        json(ctx, Json.object().set("labels", Json.labels(scores)));
        return null;
      });
    } else if (isJson(ctx)) {
      ObjectNode body = jsonBody(ctx);
      Params.checkFields(body, CLASSIFY_JSON, "the classify request");
      String imageId = Params.optionalText(body, "image_id");
      if (imageId == null) {
        throw ApiError.badRequest("image_id is required (or upload the image as multipart/form-data)");
      }
      String id = Params.id(imageId);
      List<String> labels = Params.labels(labelList(body.get("labels")));
      List<String> templates = Params.templates(body.get("templates"));
      int top = Params.intField(body, "top", labels.size(), 1, Params.MAX_LABELS);
      List<LabelScore> scores = pool.run(() -> {
        ImageRecord r = searcher.image(id).orElseThrow(() -> ApiError.notFound("no indexed image has the id " + id));
        if (r.vector() == null) {
          throw ApiError.notFound("image " + id + " has no embedding");
        }
        return searcher.classify(r.vector(), labels, templates, top);
      });
      ObjectNode node = Json.object();
      node.put("image_id", id);
      node.set("labels", Json.labels(scores));
      json(ctx, node);
    } else {
      throw new ApiError(415, "send multipart/form-data with 'image' and 'labels', or application/json");
    }
  }

  private static List<String> labelList(JsonNode node) {
    if (node == null || node.isNull()) {
      throw ApiError.badRequest("labels are required: an array of strings");
    }
    if (node.isTextual()) {
      return List.of(node.asText());
    }
    return Params.stringList(node, "labels");
  }

  void labelSearch(Context ctx) throws Exception {
    if (!isJson(ctx)) {
      throw new ApiError(415, "send application/json: {\"labels\": [...]}");
    }
    ObjectNode body = jsonBody(ctx);
    Params.checkFields(body, LABELS_JSON, "the label search request");
    List<String> labels = Params.labels(labelList(body.get("labels")));
    List<String> templates = Params.templates(body.get("templates"));
    int k = Params.intField(body, "k", 6, 1, config.maxK());
    SearchFilters filters = Params.filters(body);
    long start = System.nanoTime();
    boolean indexing = indexingRunning();
    Map<String, List<LabeledHit>> result =
        pool.run(() -> searcher.labelSearch(labels, templates, k, filters));
    ObjectNode node = Json.object();
    ArrayNode array = node.putArray("labels");
    result.forEach((label, hits) -> {
      ObjectNode entry = array.addObject();
      entry.put("label", label);
      entry.put("count", hits.isEmpty() ? 0 : hits.get(0).labelCount());
      ArrayNode list = entry.putArray("hits");
      for (LabeledHit h : hits) {
        list.add(Json.hit(h.hit()).put("probability", h.label().probability()));
      }
    });
    node.put("took_ms", (System.nanoTime() - start) / 1_000_000);
    node.put("indexing", indexing);
    json(ctx, node);
  }

  // ------------------------------------------------------------------------------------------ status

  /** The embedded index's folder (where an indexer in another process leaves its progress), if that is the backend. */
  private Optional<Path> indexFolder() {
    if (searcher instanceof ImageSearcher embedded) {
      return Optional.of(embedded.path());
    }
    return Optional.ofNullable(config.index()).map(p -> p.toAbsolutePath().normalize());
  }

  /**
   * Whether an indexer is writing to the index now, in this process or another: answers may then lack the images not
   * yet indexed, and say so (the page shows "not yet" rather than "none"). Asked before a search runs, so that a true
   * answer covers every image the search could have missed. When indexing has just ended, the embedded index is
   * reopened at once rather than within its refresh interval, so that the first answer that says "complete" is.
   */
  private boolean indexingRunning() throws IOException {
    return noteIndexing(indexingInProcess() || indexFolder().flatMap(ProgressFile::read).isPresent());
  }

  private boolean indexingInProcess() {
    IndexingStatus status = config.indexing();
    return status != null && status.snapshot().running();
  }

  /** Records what a look at the indexers found; when indexing has just ended, reopens the embedded index once. */
  private boolean noteIndexing(boolean running) throws IOException {
    if (running) {
      indexingSeen = true;
    } else if (indexingSeen) {
      // Only this transition takes the lock: a request that comes in meanwhile waits for the reopened index.
      synchronized (this) {
        if (indexingSeen) {
          if (searcher instanceof ImageSearcher embedded) {
            embedded.refresh();
          }
          indexingSeen = false;
        }
      }
    }
    return running;
  }

  private static ObjectNode result(SearchResult result, int k, int offset, boolean indexing) {
    return Json.result(result, k, offset).put("indexing", indexing);
  }

  void stats(Context ctx) throws IOException {
    Params.of(ctx.queryParamMap(), Set.of());
    IndexingStatus status = config.indexing();
    boolean inProcess = indexingInProcess();
    Optional<ProgressFile.Snapshot> elsewhere = inProcess ? Optional.empty() : indexFolder().flatMap(ProgressFile::read);
    // before the count: if indexing has just ended, this reopens the index, so that the count includes its last images
    noteIndexing(inProcess || elsewhere.isPresent());
    ObjectNode node = Json.stats(searcher.stats());
    node.put("server_model", model.name());
    ObjectNode indexing = node.putObject("indexing");
    if (elsewhere.isPresent()) {
      // An indexer in another process (clipsearch index) on this index: its progress file.
      ProgressFile.Snapshot s = elsewhere.get();
      indexing.put("running", true);
      indexing.put("done", s.done());
      indexing.put("total", s.total());
      indexing.put("failed", s.failed());
      indexing.put("started_at", s.startedAt().toString());
      indexing.putNull("finished_at");
      indexing.put("process", s.pid());
    } else if (status == null) {
      indexing.put("running", false);
    } else {
      IndexingStatus.Snapshot s = status.snapshot();
      indexing.put("running", s.running());
      indexing.put("done", s.done());
      indexing.put("total", s.total());
      indexing.put("failed", s.failed());
      indexing.put("started_at", s.startedAt() == null ? null : s.startedAt().toString());
      indexing.put("finished_at", s.finishedAt() == null ? null : s.finishedAt().toString());
    }
    ObjectNode limits = node.putObject("limits");
    limits.put("max_k", config.maxK());
    limits.put("default_k", config.defaultK());
    limits.put("max_offset", config.maxOffset());
    limits.put("max_upload_bytes", config.maxUploadBytes());
    limits.put("max_labels", Params.MAX_LABELS);
    json(ctx, node);
  }

  // ------------------------------------------------------------------------------------------ plumbing

  static void json(Context ctx, JsonNode node) {
    ctx.contentType("application/json");
    ctx.result(Json.write(node));
  }

  private static boolean isMultipart(Context ctx) {
    String type = ctx.contentType();
    return type != null && type.toLowerCase(Locale.ROOT).startsWith("multipart/form-data");
  }

  private static boolean isJson(Context ctx) {
    String type = ctx.contentType();
    return type != null && type.toLowerCase(Locale.ROOT).startsWith("application/json");
  }

  private static ObjectNode jsonBody(Context ctx) throws IOException {
    long length = ctx.req().getContentLengthLong();
    if (length > MAX_JSON_BYTES) {
      drain(ctx, 4 * MAX_JSON_BYTES);
      throw ApiError.tooLarge("a JSON request may have at most " + MAX_JSON_BYTES + " bytes");
    }
    byte[] body;
    try (InputStream in = ctx.req().getInputStream()) {
      body = in.readNBytes((int) MAX_JSON_BYTES + 1);
    }
    if (body.length > MAX_JSON_BYTES) {
      throw ApiError.tooLarge("a JSON request may have at most " + MAX_JSON_BYTES + " bytes");
    }
    return Json.parseObject(body);
  }

  /** A parsed upload form: at most one image (kept in memory only), and text fields. */
  record Multipart(byte[] image, Map<String, List<String>> fields) {
    Params params() {
      Map<String, List<String>> single = new LinkedHashMap<>(fields);
      single.remove("labels");
      return Params.of(single, single.keySet());
    }
  }

  private Multipart multipart(Context ctx, Set<String> allowed) throws IOException {
    long limit = config.maxUploadBytes();
    long length = ctx.req().getContentLengthLong();
    if (length > limit + MULTIPART_OVERHEAD) {
      drain(ctx, 2 * limit + MULTIPART_OVERHEAD);
      throw ApiError.tooLarge(tooLargeMessage());
    }
    // Parts stay in memory (threshold above the limit): an upload is never written to disk.
    ctx.req().setAttribute(MULTIPART_CONFIG_ATTRIBUTE, new MultipartConfigElement(
        System.getProperty("java.io.tmpdir"), limit, limit + MULTIPART_OVERHEAD, (int) Math.min(Integer.MAX_VALUE,
        limit + MULTIPART_OVERHEAD + 1)));
    Collection<Part> parts;
    try {
      parts = ctx.req().getParts();
    } catch (Exception e) {
      // The body is read only partly: the connection cannot carry another request.
      drain(ctx, 2 * limit + MULTIPART_OVERHEAD);
      if (isSizeError(e)) {
        throw ApiError.tooLarge(tooLargeMessage());
      }
      throw ApiError.badRequest("malformed multipart/form-data body");
    }
    byte[] image = null;
    Map<String, List<String>> fields = new LinkedHashMap<>();
    for (Part part : parts) {
      String name = part.getName();
      if (!allowed.contains(name)) {
        throw ApiError.badRequest("unknown form field '" + Params.clip(name) + "'; allowed: "
            + String.join(", ", allowed.stream().sorted().toList()));
      }
      if (name.equals("image")) {
        if (image != null) {
          throw ApiError.badRequest("send one image at a time");
        }
        if (part.getSize() > limit) {
          throw ApiError.tooLarge(tooLargeMessage());
        }
        try (InputStream in = part.getInputStream()) {
          image = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, limit + 1));
        }
        if (image.length > limit) {
          throw ApiError.tooLarge(tooLargeMessage());
        }
      } else {
        if (part.getSize() > MAX_FIELD_BYTES) {
          throw ApiError.badRequest("form field '" + name + "' is too long");
        }
        try (InputStream in = part.getInputStream()) {
          fields.computeIfAbsent(name, x -> new ArrayList<>())
              .add(new String(in.readNBytes(MAX_FIELD_BYTES), StandardCharsets.UTF_8));
        }
      }
    }
    return new Multipart(image, fields);
  }

  /**
   * Reads and drops what the client is still sending, up to {@code max} bytes, so that it reads the refusal
   * instead of a reset connection (clients that send the whole body before reading the answer); beyond that, the
   * connection is closed.
   */
  private static void drain(Context ctx, long max) {
    ctx.header("Connection", "close");
    byte[] buffer = new byte[64 * 1024];
    long total = 0;
    try (InputStream in = ctx.req().getInputStream()) {
      for (int n; total < max && (n = in.read(buffer)) > 0; ) {
        total += n;
      }
    } catch (IOException | RuntimeException e) {
      // the client went away, or the body was already read: nothing to drain
    }
  }

  private String tooLargeMessage() {
    long limit = config.maxUploadBytes();
    String size = limit >= 1024 * 1024 ? (limit / (1024 * 1024)) + " MB" : limit >= 1024 ? (limit / 1024) + " KB"
        : limit + " bytes";
    return "the upload is larger than the limit of " + size;
  }

  private static boolean isSizeError(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      String m = t.getMessage() == null ? "" : t.getMessage().toLowerCase(Locale.ROOT);
      if (t instanceof IllegalStateException && m.contains("max")
          || m.contains("exceeds max") || m.contains("too large") || m.contains("413")) {
        return true;
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return false;
  }
}
