package org.clipsearch.web;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayInputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.imageio.ImageIO;
import org.clipsearch.indexer.ProgressFile;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** The JSON API against a server on port 0 over a real index built from generated images. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ApiTest {
  private TestIndex index;
  private WebServer server;
  private Http http;

  @BeforeAll
  void start() throws Exception {
    index = TestIndex.get();
    server = index.server();
    http = new Http(server.uri());
  }

  @AfterAll
  void stop() throws Exception {
    server.close();
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  private static List<String> ids(JsonNode result) {
    List<String> ids = new ArrayList<>();
    result.get("hits").forEach(h -> ids.add(h.get("id").asText()));
    return ids;
  }

  @Test
  void statsShowAnIndexerRunningInAnotherProcess() throws Exception {
    // What 'clipsearch index' leaves in the index folder while it runs (ProgressFile); a live process id.
    Path file = index.index.resolve(ProgressFile.NAME);
    Files.writeString(file, "pid=" + ProcessHandle.current().pid() + "\ndone=5\ntotal=12\nfailed=1\n"
        + "started=2026-01-01T00\\:00\\:00Z\nupdated=2026-01-01T00\\:00\\:01Z\n", StandardCharsets.ISO_8859_1);
    try {
      JsonNode indexing = http.get("/api/stats").json().get("indexing");
      assertTrue(indexing.get("running").asBoolean(), indexing.toString());
      assertEquals(5, indexing.get("done").asInt());
      assertEquals(12, indexing.get("total").asInt());
      assertEquals(1, indexing.get("failed").asInt());
    } finally {
      Files.delete(file);
    }
    assertFalse(http.get("/api/stats").json().get("indexing").get("running").asBoolean(), "gone with its file");
  }

  @Test
  void healthAndStats() {
    Http.Reply health = http.get("/health");
    assertEquals(200, health.status());
    assertEquals("ok", health.json().get("status").asText());

    JsonNode stats = http.get("/api/stats").json();
    assertEquals(TestIndex.IMAGES, stats.get("images").asInt());
    assertEquals("fixture-tiny-torchscript", stats.get("model").get("name").asText());
    assertEquals(16, stats.get("model").get("dimension").asInt());
    assertFalse(stats.get("indexing").get("running").asBoolean());
    assertEquals(WebServerConfig.DEFAULT_MAX_K, stats.get("limits").get("max_k").asInt());
    assertEquals(20L * 1024 * 1024, stats.get("limits").get("max_upload_bytes").asLong());
  }

  @Test
  void statsReportAnIndexerRunningInTheSameProcess() throws Exception {
    IndexingStatus status = new IndexingStatus();
    status.begin();
    status.started(10);
    status.advanced(3, 10, 1);
    try (WebServer server = index.server(WebServerConfig.builder().indexing(status))) {
      Http h = new Http(server.uri());
      JsonNode indexing = h.get("/api/stats").json().get("indexing");
      assertTrue(indexing.get("running").asBoolean());
      assertEquals(3, indexing.get("done").asInt());
      assertEquals(10, indexing.get("total").asInt());
      assertEquals(1, indexing.get("failed").asInt());
      status.end();
      assertFalse(h.get("/api/stats").json().get("indexing").get("running").asBoolean());
    }
  }

  /** Every kind of search the API answers, each with its "indexing" flag. */
  private Map<String, JsonNode> everySearch(Http h) throws Exception {
    byte[] image = Files.readAllBytes(index.files.get(2));
    Map<String, JsonNode> answers = new java.util.LinkedHashMap<>();
    answers.put("GET search", h.get("/api/search?q=" + enc("a beach") + "&k=3").json());
    answers.put("JSON search", h.postJson("/api/search", "{\"q\":\"a beach\",\"k\":3}").json());
    answers.put("upload search", h.postMultipart("/api/search", Map.of("image", image), Map.of("k", "3")).json());
    answers.put("similar", h.get("/api/similar/" + index.id(2) + "?k=3").json());
    answers.put("label search", h.postJson("/api/labels/search", "{\"labels\":[\"beach\",\"city\"],\"k\":2}").json());
    answers.forEach((kind, answer) -> assertTrue(answer.path("indexing").isBoolean(), kind + ": " + answer));
    return answers;
  }

  @Test
  void answersSayWhileAnIndexerInTheSameProcessIsRunning() throws Exception {
    everySearch(http).forEach((kind, answer) -> assertFalse(answer.get("indexing").asBoolean(), kind));
    IndexingStatus status = new IndexingStatus();
    status.begin();
    try (WebServer server = index.server(WebServerConfig.builder().indexing(status))) {
      Http h = new Http(server.uri());
      everySearch(h).forEach((kind, answer) -> assertTrue(answer.get("indexing").asBoolean(), kind));
      status.end();
      everySearch(h).forEach((kind, answer) -> assertFalse(answer.get("indexing").asBoolean(), kind));
    }
  }

  @Test
  void answersSayWhileAnIndexerInAnotherProcessIsRunning() throws Exception {
    try (WebServer server = index.server()) {
      Http h = new Http(server.uri());
      Path file = index.index.resolve(ProgressFile.NAME);
      Files.writeString(file, "pid=" + ProcessHandle.current().pid() + "\ndone=1\ntotal=2\nfailed=0\n"
          + "started=2026-01-01T00\\:00\\:00Z\nupdated=2026-01-01T00\\:00\\:01Z\n", StandardCharsets.ISO_8859_1);
      try {
        JsonNode answer = h.get("/api/search?q=" + enc("a city") + "&k=2").json();
        assertTrue(answer.get("indexing").asBoolean(), answer.toString());
      } finally {
        Files.delete(file);
      }
      assertFalse(h.get("/api/search?q=" + enc("a city") + "&k=2").json().get("indexing").asBoolean());
    }
  }

  @Test
  void filtersReadFileNameSpellingsAndRefuseWhatNoIndexHolds() {
    JsonNode jpeg = http.get("/api/search?q=" + enc("a beach") + "&k=200&format=jpeg").json();
    JsonNode jpg = http.get("/api/search?q=" + enc("a beach") + "&k=200&format=JPG").json();
    assertTrue(jpeg.get("hits").size() > 0, jpeg.toString());
    assertEquals(ids(jpeg), ids(jpg), "jpg is jpeg");
    for (String filter : List.of("format=bogus", "from=-999999999-01-01", "to=%2B999999999-12-31",
        "to=%2B1000000000-12-31T00:00:00Z", "from=%2B99999-01-01")) {
      for (String path : List.of("/api/search?q=beach&", "/api/similar/" + index.id(1) + "?")) {
        Http.Reply reply = http.get(path + filter);
        assertEquals(400, reply.status(), path + filter + ": " + reply.text());
        assertTrue(reply.json().get("error").asText().length() > 10, reply.text());
      }
    }
    Http.Reply posted = http.postJson("/api/labels/search",
        "{\"labels\":[\"beach\",\"city\"],\"filters\":{\"from\":\"-999999999-01-01\"}}");
    assertEquals(400, posted.status(), posted.text());
  }

  @Test
  void termsThatCancelOutAreABadRequest() {
    Http.Reply reply = http.postJson("/api/search",
        "{\"terms\":[{\"text\":\"dog\",\"weight\":1},{\"text\":\"dog\",\"weight\":-1}]}");
    assertEquals(400, reply.status(), reply.text());
    assertTrue(reply.json().get("error").asText().contains("cancel"), reply.text());
  }

  @Test
  void textSearchPagesThroughTheWholeIndexWithoutOverlap() {
    Http.Reply first = http.get("/api/search?q=" + enc("a beach at sunset") + "&k=24");
    assertEquals(200, first.status(), first.text());
    assertTrue(first.header("content-type").startsWith("application/json"));
    JsonNode page1 = first.json();
    assertEquals(24, page1.get("hits").size());
    assertTrue(page1.get("has_more").asBoolean());
    JsonNode hit = page1.get("hits").get(0);
    for (String field : List.of("id", "name", "folder", "path", "score", "width", "height", "format", "size", "date",
        "thumbnail")) {
      assertTrue(hit.has(field), "a hit has " + field + ": " + hit);
    }
    assertEquals("/api/images/" + hit.get("id").asText() + "/thumbnail", hit.get("thumbnail").asText());
    double previous = Double.MAX_VALUE;
    for (JsonNode h : page1.get("hits")) {
      assertTrue(h.get("score").asDouble() <= previous + 1e-6, "best first");
      previous = h.get("score").asDouble();
    }

    JsonNode page2 = http.get("/api/search?q=" + enc("a beach at sunset") + "&k=24&offset=24").json();
    assertEquals(TestIndex.IMAGES - 24, page2.get("hits").size());
    assertFalse(page2.get("has_more").asBoolean());
    Set<String> all = new HashSet<>(ids(page1));
    all.addAll(ids(page2));
    assertEquals(TestIndex.IMAGES, all.size(), "two pages cover the index exactly once");
  }

  @Test
  void textSearchReportsEncoderAndSearchTimeApartWithoutChangingResults() throws Exception {
    Http.Reply reply = http.get("/api/search?q=" + enc("a red car -night") + "&k=10");
    assertEquals(200, reply.status(), reply.text());
    String timing = reply.header("server-timing");
    assertNotNull(timing, "Server-Timing header");
    assertTrue(timing.matches("queue;dur=[0-9.]+, encode;dur=[0-9.]+, search;dur=[0-9.]+"), timing);
    List<String> direct = new ArrayList<>();
    server.searcher().search(new org.clipsearch.api.SearchRequest(
            org.clipsearch.searcher.QueryParser.parse("a red car -night"), 10, 0, null, 0, false, false))
        .hits().forEach(h -> direct.add(h.id()));
    assertEquals(direct, ids(reply.json()), "the same hits as the searcher embedding the text itself");

    assertTrue(duration(timing, "encode") > 0, "the text went through the encoder: " + timing);

    // Keyword fusion needs the text itself; the searcher still times its encoder apart.
    String keywords = http.get("/api/search?q=sea&k=5&keywords=true").header("server-timing");
    assertTrue(keywords.matches("queue;dur=[0-9.]+, encode;dur=[0-9.]+, search;dur=[0-9.]+"), keywords);
    assertTrue(duration(keywords, "encode") > 0, keywords);
  }

  private static double duration(String serverTiming, String name) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile(name + ";dur=([0-9.]+)").matcher(serverTiming);
    assertTrue(m.find(), name + " in " + serverTiming);
    return Double.parseDouble(m.group(1));
  }

  @Test
  void filtersRestrictResults() {
    Path beach = index.photos.resolve("beach").toAbsolutePath().normalize();
    JsonNode byFolder = http.get("/api/search?q=sea&k=50&folder=" + enc(beach.toString())).json();
    assertEquals(14, byFolder.get("hits").size(), "beach holds images 0, 3, ..., 39");
    byFolder.get("hits").forEach(h -> assertEquals(beach.toString(), h.get("folder").asText()));

    JsonNode png = http.get("/api/search?q=sea&k=50&format=png").json();
    assertEquals(10, png.get("hits").size());
    png.get("hits").forEach(h -> assertEquals("png", h.get("format").asText()));

    JsonNode jpegOrPng = http.get("/api/search?q=sea&k=50&format=jpg,png").json();
    assertEquals(TestIndex.IMAGES, jpegOrPng.get("hits").size());

    // Modification times are 2020-01-15 plus 30 days per image: 2021 holds images 12 to 23.
    JsonNode year = http.get("/api/search?q=sea&k=50&from=2021-01-01&to=2021-12-31").json();
    assertEquals(12, year.get("hits").size());
    year.get("hits").forEach(h -> {
      Instant date = Instant.parse(h.get("date").asText());
      assertTrue(!date.isBefore(Instant.parse("2021-01-01T00:00:00Z"))
          && date.isBefore(Instant.parse("2022-01-01T00:00:00Z")), date.toString());
    });

    JsonNode cutoff = http.get("/api/search?q=sea&k=50&cutoff=true").json();
    assertFalse(cutoff.get("threshold").isNull(), "the cutoff applied is reported");
    assertTrue(cutoff.get("hits").size() < TestIndex.IMAGES);
    cutoff.get("hits").forEach(h -> assertTrue(h.get("score").asDouble() >= cutoff.get("threshold").asDouble()));
  }

  @Test
  void weightedTermsAsJson() {
    String id = index.id(5);
    JsonNode likeImage = http.postJson("/api/search",
        "{\"terms\":[{\"image_id\":\"" + id + "\",\"weight\":1}],\"k\":8}").json();
    JsonNode similar = http.get("/api/similar/" + id + "?k=8").json();
    assertEquals(ids(similar), ids(likeImage), "an image term searches like /api/similar");
    assertFalse(ids(likeImage).contains(id), "the example itself is left out");

    Http.Reply combined = http.postJson("/api/search", "{\"terms\":[{\"text\":\"beach\",\"weight\":1},"
        + "{\"image_id\":\"" + id + "\",\"weight\":-0.5}],\"k\":5,\"filters\":{\"format\":[\"jpeg\"]}}");
    assertEquals(200, combined.status(), combined.text());
    assertEquals(5, combined.json().get("hits").size());
    combined.json().get("hits").forEach(h -> assertEquals("jpeg", h.get("format").asText()));

    Http.Reply query = http.postJson("/api/search", "{\"q\":\"beach -people\",\"k\":3,\"cutoff\":false}");
    assertEquals(200, query.status(), query.text());
    assertEquals(3, query.json().get("hits").size());
  }

  @Test
  void uploadedImageSearchesByExample() throws Exception {
    Path file = index.files.get(9);
    byte[] bytes = Files.readAllBytes(file);
    Http.Reply reply = http.postMultipart("/api/search", Map.of("image", bytes), Map.of("k", "5"));
    assertEquals(200, reply.status(), reply.text());
    JsonNode top = reply.json().get("hits").get(0);
    assertEquals(index.id(9), top.get("id").asText(), "the same picture is the best match");
    assertEquals(1.0, top.get("score").asDouble(), 1e-3);

    Http.Reply withText = http.postMultipart("/api/search", Map.of("image", bytes),
        Map.of("q", "forest", "weight", "0.5", "k", "4", "offset", "2", "format", "jpeg"));
    assertEquals(200, withText.status(), withText.text());
    assertEquals(4, withText.json().get("hits").size());
    assertEquals("forest", withText.json().get("query").asText());
  }

  @Test
  void imageMetadataThumbnailAndOriginalFile() throws Exception {
    Path file = index.files.get(2);
    String id = index.id(2);
    JsonNode meta = http.get("/api/images/" + id).json();
    assertEquals(id, meta.get("id").asText());
    assertEquals(file.toString(), meta.get("path").asText());
    assertEquals(file.getFileName().toString(), meta.get("name").asText());
    assertEquals(Files.size(file), meta.get("size").asLong());
    assertEquals("jpeg", meta.get("format").asText());
    assertEquals(64, meta.get("sha256").asText().length());
    assertEquals("/api/images/" + id + "/file", meta.get("file").asText());
    assertTrue(meta.get("exif").has("captured"));

    Http.Reply thumb = http.get("/api/images/" + id + "/thumbnail");
    assertEquals(200, thumb.status());
    assertEquals("image/jpeg", thumb.header("content-type"));
    assertNotNull(ImageIO.read(new ByteArrayInputStream(thumb.body())), "the thumbnail is a JPEG");

    Http.Reply original = http.get("/api/images/" + id + "/file");
    assertEquals(200, original.status());
    assertEquals("image/jpeg", original.header("content-type"));
    assertArrayEquals(Files.readAllBytes(file), original.body(), "the original bytes");
    assertTrue(original.header("content-disposition").contains(file.getFileName().toString()));

    Http.Reply png = http.get("/api/images/" + index.id(3) + "/file");
    assertEquals("image/png", png.header("content-type"));
  }

  @Test
  void similarImagesLeaveTheImageOut() {
    String id = index.id(0);
    JsonNode similar = http.get("/api/similar/" + id + "?k=39").json();
    assertEquals(39, similar.get("hits").size());
    assertFalse(ids(similar).contains(id));
    assertEquals(id, similar.get("similar_to").asText());
    JsonNode filtered = http.get("/api/similar/" + id + "?k=10&format=png").json();
    filtered.get("hits").forEach(h -> assertEquals("png", h.get("format").asText()));
  }

  @Test
  void classifyAnUploadAndAnIndexedImage() throws Exception {
    byte[] bytes = Files.readAllBytes(index.files.get(4));
    Http.Reply upload = http.postMultipart("/api/classify", Map.of("image", bytes),
        Map.of("labels", "a beach\na city, a forest"));
    assertEquals(200, upload.status(), upload.text());
    checkProbabilities(upload.json().get("labels"), 3);

    Http.Reply indexed = http.postJson("/api/classify",
        "{\"image_id\":\"" + index.id(4) + "\",\"labels\":[\"a beach\",\"a city\",\"a forest\",\"a cat\"],\"top\":4}");
    assertEquals(200, indexed.status(), indexed.text());
    checkProbabilities(indexed.json().get("labels"), 4);
    assertEquals(index.id(4), indexed.json().get("image_id").asText());

    Http.Reply templated = http.postJson("/api/classify", "{\"image_id\":\"" + index.id(4)
        + "\",\"labels\":[\"beach\",\"city\"],\"templates\":[\"a photo of a {}.\"],\"top\":1}");
    assertEquals(200, templated.status(), templated.text());
    assertEquals(1, templated.json().get("labels").size());
  }

  private static void checkProbabilities(JsonNode labels, int n) {
    assertEquals(n, labels.size());
    double sum = 0;
    double previous = 1.1;
    for (JsonNode l : labels) {
      double p = l.get("probability").asDouble();
      assertTrue(p <= previous, "most probable first");
      previous = p;
      sum += p;
      assertTrue(l.has("label") && l.has("score"));
    }
    assertEquals(1.0, sum, 1e-3, "softmax over all labels");
  }

  @Test
  void labelSearchCountsEveryImageOnce() {
    Http.Reply reply = http.postJson("/api/labels/search", "{\"labels\":[\"beach\",\"city\",\"forest\"],\"k\":3}");
    assertEquals(200, reply.status(), reply.text());
    int total = 0;
    for (JsonNode group : reply.json().get("labels")) {
      int count = group.get("count").asInt();
      total += count;
      assertEquals(Math.min(3, count), group.get("hits").size());
      group.get("hits").forEach(h -> assertTrue(h.has("probability") && h.has("thumbnail")));
    }
    assertEquals(TestIndex.IMAGES, total);

    Path city = index.photos.resolve("city").toAbsolutePath().normalize();
    Http.Reply filtered = http.postJson("/api/labels/search",
        "{\"labels\":[\"beach\",\"city\"],\"filters\":{\"folder\":\"" + city + "\"}}");
    int inCity = 0;
    for (JsonNode group : filtered.json().get("labels")) {
      inCity += group.get("count").asInt();
    }
    assertEquals(13, inCity, "city holds images 1, 4, ..., 37");
  }

  @Test
  void openApiDocumentDescribesTheApi() {
    Http.Reply reply = http.get("/openapi.json");
    assertEquals(200, reply.status());
    JsonNode doc = reply.json();
    assertTrue(doc.get("openapi").asText().startsWith("3."));
    JsonNode paths = doc.get("paths");
    for (String path : List.of("/api/search", "/api/images/{id}", "/api/images/{id}/thumbnail",
        "/api/images/{id}/file", "/api/similar/{id}", "/api/classify", "/api/labels/search", "/api/stats",
        "/health")) {
      assertTrue(paths.has(path), "documents " + path);
    }
    assertTrue(paths.get("/api/search").has("get") && paths.get("/api/search").has("post"));
    assertTrue(doc.get("components").get("securitySchemes").has("bearer"));
  }

  @Test
  void servesThePage() {
    Http.Reply page = http.get("/");
    assertEquals(200, page.status());
    assertTrue(page.header("content-type").startsWith("text/html"));
    assertTrue(page.text().contains("<script type=\"module\" src=\"/app.js\">"));
    Http.Reply js = http.get("/app.js");
    assertEquals(200, js.status());
    assertTrue(js.header("content-type").contains("javascript"), js.header("content-type"));
    assertEquals(200, http.get("/app.css").status());
    assertNotEquals(-1, page.text().indexOf("lang=\"en\""));
  }
}
