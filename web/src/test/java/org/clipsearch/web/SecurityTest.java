package org.clipsearch.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import org.clipsearch.searcher.ImageSearcher;
import org.clipsearch.web.Http.HeldRequest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** One test or more for each point of "safe by default". */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SecurityTest {
  private static final String TOKEN = "correct-horse-battery-staple";

  private TestIndex index;
  private WebServer open;
  private WebServer guarded;
  private Http http;

  @BeforeAll
  void start() throws Exception {
    index = TestIndex.get();
    open = index.server();
    guarded = index.server(WebServerConfig.builder().authToken(TOKEN));
    http = new Http(open.uri());
  }

  @AfterAll
  void stop() throws Exception {
    open.close();
    guarded.close();
  }

  /** A refusal: the status, a JSON {"error": ...} that says why, and nothing of the server's insides. */
  private static void assertRefused(int status, Http.Reply reply, String what) {
    assertEquals(status, reply.status(), what + ": " + reply.text());
    assertJsonError(reply, what);
  }

  private static void assertJsonError(Http.Reply reply, String what) {
    assertTrue(reply.header("content-type").startsWith("application/json"), what + ": " + reply.header("content-type"));
    String error = reply.error();
    assertNotNull(error, what + ": " + reply.text());
    assertFalse(error.isBlank(), what);
    assertNoInternals(reply.text(), what);
  }

  private static void assertNoInternals(String body, String what) {
    for (String leak : List.of("Exception", "\tat ", "at org.", "at java.", "at io.javalin", "jetty", "root:x:0")) {
      assertFalse(body.contains(leak), what + " leaks '" + leak + "': " + body);
    }
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  // ------------------------------------------------------------------------------------------ listening

  @Test
  void listensOnLoopbackUnlessToldOtherwise() throws Exception {
    WebServerConfig defaults = WebServerConfig.builder().searcher(index.searcher).build();
    assertEquals("127.0.0.1", defaults.host());
    assertEquals(7070, defaults.port());
    assertEquals(20L * 1024 * 1024, defaults.maxUploadBytes());
    assertEquals(null, defaults.authToken());
    assertEquals("127.0.0.1", open.uri().getHost());
    // Not reachable on the machine's other addresses.
    for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
      for (InetAddress address : Collections.list(nic.getInetAddresses())) {
        if (address instanceof Inet4Address && !address.isLoopbackAddress()) {
          try (Socket socket = new Socket()) {
            assertThrows(IOException.class,
                () -> socket.connect(new InetSocketAddress(address, open.port()), 2000),
                "reachable on " + address);
          }
        }
      }
    }
  }

  @Test
  void loopbackServerAnswersOnlyToLoopbackNamesAndSameOrigin() throws Exception {
    // DNS rebinding: a page on evil.example whose name now points at 127.0.0.1.
    Http.RawReply rebound = http.raw("GET /api/stats HTTP/1.1", "Host: evil.example:" + open.port());
    assertEquals(403, rebound.status(), rebound.body());
    assertTrue(rebound.body().contains("\"error\""));
    assertEquals(200, http.raw("GET /api/stats HTTP/1.1", "Host: localhost:" + open.port()).status());
    // The rebound page is same-origin to the browser, so its scripts can add X-Forwarded-Host themselves: that
    // header must not let a foreign Host through, on a GET or on a POST that names its own origin.
    assertEquals(403, http.raw("GET /api/stats HTTP/1.1", "Host: evil.example:" + open.port(),
        "X-Forwarded-Host: evil.example").status());
    assertEquals(403, http.raw("GET /api/stats HTTP/1.1", "Host: evil.example:" + open.port(),
        "X-Forwarded-Host: localhost").status());
    assertEquals(403, http.raw("POST /api/labels/search HTTP/1.1", "Host: evil.example:" + open.port(),
        "X-Forwarded-Host: evil.example", "Origin: http://evil.example:" + open.port(),
        "Content-Type: application/json", "Content-Length: 0").status());
    // Behind a reverse proxy that sends the upstream's loopback Host (nginx's default) and the public name in
    // X-Forwarded-Host, the browser's Origin is the public name.
    assertEquals(200, http.raw("GET /api/stats HTTP/1.1", "Host: 127.0.0.1:" + open.port(),
        "X-Forwarded-Host: photos.example").status());
    // With a token, the token protects: any Host name will do.
    assertEquals(200, new Http(guarded.uri()).withToken(TOKEN)
        .raw("GET /api/stats HTTP/1.1", "Host: photos.example").status());
    // Another site's page posting to the API (a form or fetch from evil.example).
    Http.Reply cross = http.send(HttpRequest.newBuilder(open.uri().resolve("/api/search?q=x"))
        .header("Origin", "https://evil.example").GET().build());
    assertRefused(403, cross, "cross-origin request");
    assertRefused(403, http.send(HttpRequest.newBuilder(open.uri().resolve("/api/search?q=x"))
        .header("Origin", "null").GET().build()), "an opaque origin");
    Http.Reply proxied = http.send(HttpRequest.newBuilder(open.uri().resolve("/api/search?q=x"))
        .header("Origin", "https://photos.example").header("X-Forwarded-Host", "photos.example").GET().build());
    assertEquals(200, proxied.status(), proxied.text());
    Http.Reply same = http.send(HttpRequest.newBuilder(open.uri().resolve("/api/search?q=x"))
        .header("Origin", "http://127.0.0.1:" + open.port()).GET().build());
    assertEquals(200, same.status(), same.text());
  }

  // ------------------------------------------------------------------------------------------ token

  @Test
  void withATokenEveryApiCallNeedsIt() {
    Http anonymous = new Http(guarded.uri());
    Http wrong = anonymous.withToken("wrong-token");
    Http right = anonymous.withToken(TOKEN);
    List<String> gets = List.of("/api/stats", "/api/search?q=beach", "/api/images/" + index.id(0),
        "/api/images/" + index.id(0) + "/thumbnail", "/api/images/" + index.id(0) + "/file",
        "/api/similar/" + index.id(0), "/api/images/0000000000000000", "/api/nothing-here");
    for (String path : gets) {
      Http.Reply none = anonymous.get(path);
      assertRefused(401, none, "GET " + path + " without a token");
      assertTrue(none.header("www-authenticate").startsWith("Bearer"));
      assertRefused(401, wrong.get(path), "GET " + path + " with a wrong token");
    }
    assertRefused(401, anonymous.postJson("/api/search", "{\"q\":\"beach\"}"), "POST search");
    assertRefused(401, anonymous.postJson("/api/labels/search", "{\"labels\":[\"a\"]}"), "POST labels");
    assertRefused(401, anonymous.postJson("/api/classify", "{\"image_id\":\"" + index.id(0) + "\",\"labels\":[\"a\"]}"),
        "POST classify");
    assertRefused(401, anonymous.get("/api/stats", "Authorization", "Basic " + TOKEN), "another scheme");
    assertRefused(401, anonymous.get("/api/stats", "Authorization", "Bearer " + TOKEN + "x"), "a longer token");

    assertEquals(200, right.get("/api/stats").status());
    assertEquals(200, right.get("/api/search?q=beach").status());
    assertEquals(200, right.get("/api/images/" + index.id(0) + "/thumbnail").status());
    assertEquals(200, anonymous.get("/api/stats", "Authorization", "bearer " + TOKEN).status(), "scheme is case-blind");
    // Open: the health check, the page (it asks for the token), the API description.
    assertEquals(200, anonymous.get("/health").status());
    assertEquals(200, anonymous.get("/").status());
    assertEquals(200, anonymous.get("/app.js").status());
    assertEquals(200, anonymous.get("/openapi.json").status());
  }

  @Test
  void theTokenCannotBeSidesteppedByPathTricks() throws Exception {
    Http anonymous = new Http(guarded.uri());
    for (String path : List.of("//api/stats", "/API/stats", "/api//stats", "/./api/stats", "/x/../api/stats",
        "/api/stats/", "/%61pi/stats", "/api/%73tats", "/api;x=1/stats", "/api/stats;x=1")) {
      Http.RawReply reply = anonymous.raw("GET " + path + " HTTP/1.1");
      assertTrue(reply.status() == 401 || reply.status() == 400 || reply.status() == 404,
          path + " -> " + reply.status() + " " + reply.body());
      assertFalse(reply.body().contains("\"images\""), path + " leaked the stats: " + reply.body());
    }
    assertFalse(guarded.config().toString().contains(TOKEN), "the token is never printed");
  }

  // ------------------------------------------------------------------------------------------ files and ids

  @Test
  void unknownIdsAre404() {
    String unknown = "0123456789abcdef";
    for (String path : List.of("/api/images/" + unknown, "/api/images/" + unknown + "/thumbnail",
        "/api/images/" + unknown + "/file", "/api/similar/" + unknown)) {
      assertRefused(404, http.get(path), path);
    }
    assertRefused(404, http.postJson("/api/classify", "{\"image_id\":\"" + unknown + "\",\"labels\":[\"a\"]}"),
        "classify unknown");
    assertRefused(404, http.postJson("/api/search", "{\"terms\":[{\"image_id\":\"" + unknown + "\"}]}"),
        "search like unknown");
  }

  @Test
  void aFileReplacedSinceIndexingIsNotServed() throws Exception {
    java.nio.file.Path root = Files.createTempDirectory("clipsearch-replaced");
    try {
      java.nio.file.Path photos = Files.createDirectories(root.resolve("photos"));
      List<java.nio.file.Path> files = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        byte[] png = TestIndex.encode(TestIndex.draw(64, 48, i), "png");
        files.add(Files.write(photos.resolve("photo-" + i + ".png"), png));
      }
      java.nio.file.Path secret = Files.writeString(root.resolve("secret.txt"), "not an image, and not indexed\n");
      try (org.clipsearch.indexer.ImageIndexer indexer = org.clipsearch.indexer.ImageIndexer.builder()
          .index(root.resolve("index")).model(index.model).build()) {
        indexer.index(List.of(photos));
      }
      try (WebServer server = WebServer.start(WebServerConfig.builder().index(root.resolve("index"))
          .model(index.model).port(0).build())) {
        Http h = new Http(server.uri());
        String[] ids = files.stream().map(f -> org.clipsearch.api.ImageRecord.idOf(f.toString()))
            .toArray(String[]::new);
        for (String id : ids) {
          assertEquals(200, h.get("/api/images/" + id + "/file").status(), "as indexed");
        }
        // A link to another file where the image was, and new bytes written over an image.
        Files.delete(files.get(0));
        Files.createSymbolicLink(files.get(0), secret);
        Files.writeString(files.get(1), "garbage");
        for (String id : new String[] {ids[0], ids[1]}) {
          Http.Reply reply = h.get("/api/images/" + id + "/file");
          assertRefused(409, reply, "a replaced file");
          assertFalse(reply.text().contains("not an image"), reply.text());
        }
        assertEquals(200, h.get("/api/images/" + ids[2] + "/file").status(), "the untouched one still");
      }
    } finally {
      try (var paths = Files.walk(root)) {
        paths.sorted(Collections.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  @Test
  void pathTraversalNeverReachesAFile() throws Exception {
    List<String> encoded = List.of(
        "/api/images/..%2F..%2F..%2F..%2Fetc%2Fpasswd/file",
        "/api/images/%2Fetc%2Fpasswd/file",
        "/api/images/%2Fetc%2Fpasswd",
        "/api/images/..%252F..%252Fetc%252Fpasswd/file",
        "/api/images/" + enc(index.files.get(0).toString()) + "/file",
        "/api/similar/..%2F..%2Fetc%2Fpasswd",
        "/api/images/%2e%2e%2f%2e%2e%2fetc%2fpasswd/file",
        "/api/images/....//....//etc/passwd/file",
        "/api/images/0123456789ABCDEF/file",
        "/api/images/" + index.id(0) + "%00/file");
    for (String path : encoded) {
      Http.RawReply reply = http.raw("GET " + path + " HTTP/1.1");
      assertTrue(reply.status() >= 400 && reply.status() < 500, path + " -> " + reply.status());
      assertTrue(reply.body().contains("\"error\""), path + ": " + reply.body());
      assertNoInternals(reply.body(), path);
    }
    for (String path : List.of("/api/images/../../../../etc/passwd", "/../../../../etc/passwd",
        "/%2e%2e/%2e%2e/etc/passwd", "/api/images/%2e%2e/%2e%2e/%2e%2e/etc/passwd/file", "/..%2f..%2fetc%2fpasswd",
        "/app.js/../../../../etc/passwd", "/public/../org/clipsearch/web/WebServer.class", "/WEB-INF/web.xml")) {
      Http.RawReply reply = http.raw("GET " + path + " HTTP/1.1");
      assertTrue(reply.status() >= 400 && reply.status() < 500, path + " -> " + reply.status() + " " + reply.body());
      assertNoInternals(reply.body(), path);
    }
    // A file path where an id belongs is refused as an id, not looked up.
    Http.Reply asPath = http.postJson("/api/classify",
        "{\"image_id\":\"" + index.files.get(0) + "\",\"labels\":[\"a\"]}");
    assertRefused(400, asPath, "a path as image_id");
    assertRefused(400, http.postJson("/api/search", "{\"terms\":[{\"image_id\":\"/etc/passwd\"}]}"), "path term");
  }

  @Test
  void theOriginalFileIsServedOnlyWhileItIsInTheIndexAndOnDisk() throws Exception {
    // Index one image, serve it, then delete the file: 404, never another file.
    var dir = Files.createTempDirectory(index.root, "gone");
    var file = dir.resolve("gone.png");
    Files.write(file, TestIndex.encode(TestIndex.draw(64, 64, 99), "png"));
    var indexDir = dir.resolve("index");
    try (var indexer = org.clipsearch.indexer.ImageIndexer.builder().index(indexDir).model(index.model).threads(1)
        .build()) {
      indexer.index(List.of(file));
    }
    try (ImageSearcher searcher = ImageSearcher.open(indexDir, index.model);
        WebServer server = WebServer.start(WebServerConfig.builder().searcher(searcher).port(0).build())) {
      Http h = new Http(server.uri());
      String id = org.clipsearch.api.ImageRecord.idOf(file.toAbsolutePath().normalize().toString());
      assertEquals(200, h.get("/api/images/" + id + "/file").status());
      Files.delete(file);
      assertRefused(404, h.get("/api/images/" + id + "/file"), "deleted file");
      assertEquals(200, h.get("/api/images/" + id + "/thumbnail").status(), "the thumbnail is in the index");
    }
  }

  // ------------------------------------------------------------------------------------------ bad parameters

  @Test
  void badParametersAre400WithAMessage() {
    Map<String, String> gets = new java.util.LinkedHashMap<>();
    gets.put("/api/search?q=beach&k=-1", "k must be between");
    gets.put("/api/search?q=beach&k=0", "k must be between");
    gets.put("/api/search?q=beach&k=201", "k must be between 1 and 200");
    gets.put("/api/search?q=beach&k=99999999999999999999", "k must be an integer");
    gets.put("/api/search?q=beach&k=ten", "k must be an integer");
    gets.put("/api/search?q=beach&offset=-5", "offset must be between");
    gets.put("/api/search?q=beach&offset=10001", "offset must be between");
    gets.put("/api/search?q=beach&camera=canon", "unknown parameter 'camera'");
    gets.put("/api/search?q=beach&filter=x", "unknown parameter 'filter'");
    gets.put("/api/search?q=beach&k=5&k=6", "more than once");
    gets.put("/api/search?q=beach&from=yesterday", "from must be a date");
    gets.put("/api/search?q=beach&to=2021-02-30", "to must be a date");
    gets.put("/api/search?q=beach&from=2022-01-01&to=2021-01-01", "from must be before to");
    gets.put("/api/search?q=beach&format=exe", "unknown format");
    gets.put("/api/search?q=beach&folder=photos", "folder must be an absolute path");
    gets.put("/api/search?q=beach&folder=" + enc("/photos/../etc"), "'..'");
    gets.put("/api/search?q=beach&cutoff=maybe", "cutoff must be true or false");
    gets.put("/api/search", "q is required");
    gets.put("/api/search?q=", "q is required");
    gets.put("/api/search?q=-people", "nothing to look for");
    gets.put("/api/search?q=" + "a".repeat(1001), "longer than");
    gets.put("/api/similar/" + "0".repeat(16) + "?k=1000", "k must be between");
    gets.put("/api/similar/" + "0".repeat(16) + "?q=x", "unknown parameter 'q'");
    gets.put("/api/images/not-an-id", "not an image id");
    // Endpoints that take no parameters say so rather than seem to heed one.
    gets.put("/api/images/" + index.id(0) + "/file?path=" + enc("/etc/passwd"), "unknown parameter 'path'");
    gets.put("/api/images/" + index.id(0) + "?fields=all", "unknown parameter 'fields'");
    gets.put("/api/images/" + index.id(0) + "/thumbnail?size=999", "unknown parameter 'size'");
    gets.put("/api/stats?verbose=1", "unknown parameter 'verbose'");
    for (var e : gets.entrySet()) {
      Http.Reply reply = http.get(e.getKey());
      assertRefused(400, reply, e.getKey());
      assertTrue(reply.error().contains(e.getValue()), e.getKey() + ": " + reply.error());
    }
  }

  @Test
  void headAnswersAsGetWould() {
    for (String path : List.of("/api/search?q=beach&k=-1", "/api/images/0123456789abcdef/file", "/api/similar/zzz",
        "/api/stats?verbose=1", "/api/search?q=beach&k=3", "/api/images/" + index.id(0) + "/thumbnail", "/health")) {
      Http.Reply get = http.get(path);
      Http.Reply head = http.send(HttpRequest.newBuilder(open.uri().resolve(path))
          .method("HEAD", HttpRequest.BodyPublishers.noBody()).build());
      assertEquals(get.status(), head.status(), "HEAD " + path);
      assertEquals(0, head.body().length, "HEAD " + path + " has no body");
    }
  }

  @Test
  void badJsonIs400WithAMessage() {
    Map<String, String> bodies = new java.util.LinkedHashMap<>();
    bodies.put("{\"terms\":[{\"text\":\"beach\"}", "malformed JSON");
    bodies.put("not json", "malformed JSON");
    bodies.put("", "empty");
    bodies.put("[1,2]", "must be a JSON object");
    bodies.put("{\"q\":\"beach\"} {\"q\":\"again\"}", "malformed JSON");
    bodies.put("{\"q\":\"beach\",\"q\":\"twice\"}", "malformed JSON");
    bodies.put("{\"q\":\"beach\",\"limit\":3}", "unknown field 'limit'");
    bodies.put("{\"q\":\"beach\",\"k\":-3}", "k must be between");
    bodies.put("{\"q\":\"beach\",\"k\":\"3\"}", "k must be an integer");
    bodies.put("{\"q\":\"beach\",\"k\":2.5}", "k must be an integer");
    bodies.put("{\"q\":42}", "q must be a string");
    bodies.put("{}", "give q or terms");
    bodies.put("{\"terms\":\"beach\"}", "terms must be an array");
    bodies.put("{\"terms\":[\"beach\"]}", "each term must be an object");
    bodies.put("{\"terms\":[{\"text\":\"beach\",\"image_id\":\"0123456789abcdef\"}]}", "exactly one");
    bodies.put("{\"terms\":[{\"weight\":1}]}", "exactly one");
    bodies.put("{\"terms\":[{\"text\":\"beach\",\"weight\":0}]}", "non-zero");
    bodies.put("{\"terms\":[{\"text\":\"beach\",\"weight\":\"heavy\"}]}", "weight must be a number");
    bodies.put("{\"terms\":[{\"text\":\"beach\",\"weight\":-1}]}", "positive weight");
    bodies.put("{\"terms\":[{\"text\":\"beach\",\"colour\":\"red\"}]}", "unknown field 'colour'");
    bodies.put("{\"q\":\"beach\",\"filters\":{\"camera\":\"x\"}}", "unknown field 'camera'");
    bodies.put("{\"q\":\"beach\",\"filters\":{\"format\":[\"exe\"]}}", "unknown format");
    bodies.put("{\"q\":\"beach\",\"filters\":[]}", "filters must be an object");
    bodies.put("{\"q\":\"beach\",\"cutoff\":\"yes\"}", "cutoff must be true or false");
    bodies.put("{\"q\":\"" + "[".repeat(100) + "\"}", "");
    bodies.put("[".repeat(5000) + "]".repeat(5000), "malformed JSON");
    for (var e : bodies.entrySet()) {
      Http.Reply reply = http.postJson("/api/search", e.getKey());
      if (e.getValue().isEmpty()) {
        assertTrue(reply.status() == 200 || reply.status() == 400, reply.text());
        continue;
      }
      assertRefused(400, reply, e.getKey());
      assertTrue(reply.error().contains(e.getValue()), e.getKey() + ": " + reply.error());
      // Jackson's own notes about where and how it read (its "Source: REDACTED ... StreamReadFeature") are noise
      assertFalse(reply.error().contains("Source:") || reply.error().contains("StreamReadFeature"), reply.error());
    }
    assertRefused(400, http.postJson("/api/classify", "{\"image_id\":\"" + index.id(0) + "\"}"), "no labels");
    assertRefused(400, http.postJson("/api/classify", "{\"image_id\":\"" + index.id(0) + "\",\"labels\":[]}"),
        "empty labels");
    assertRefused(400, http.postJson("/api/classify", "{\"image_id\":\"" + index.id(0) + "\",\"labels\":[\"a\"],"
        + "\"templates\":[\"no placeholder\"]}"), "bad template");
    List<String> many = new ArrayList<>();
    for (int i = 0; i < 101; i++) {
      many.add("\"label " + i + "\"");
    }
    assertRefused(400, http.postJson("/api/labels/search", "{\"labels\":[" + String.join(",", many) + "]}"),
        "too many labels");
    assertRefused(400, http.postJson("/api/labels/search", "{\"labels\":[\"a\"],\"k\":0}"), "label k 0");
    assertRefused(415, http.post("/api/search", "text/plain", "q=beach".getBytes(StandardCharsets.UTF_8)),
        "wrong content type");
    assertRefused(413, http.postJson("/api/search", "{\"q\":\"" + "a".repeat(1_100_000) + "\"}"), "huge JSON");
    assertRefused(405, http.send(HttpRequest.newBuilder(open.uri().resolve("/api/search")).DELETE().build()),
        "DELETE");
  }

  @Test
  void unexpectedFailuresAreAGeneric500WithoutDetails() throws Exception {
    ImageSearcher closed = ImageSearcher.open(index.index, index.model);
    try (WebServer server = WebServer.start(WebServerConfig.builder().searcher(closed).port(0).build())) {
      closed.close(); // every search now fails inside Lucene
      Http.Reply reply = new Http(server.uri()).get("/api/search?q=beach");
      assertRefused(500, reply, "a failure inside the searcher");
      assertEquals("internal error; the server's log has the details", reply.error());
    }
  }

  // ------------------------------------------------------------------------------------------ uploads

  private static byte[] jpeg(int width, int height) {
    return TestIndex.encode(TestIndex.draw(width, height, width), "jpg");
  }

  @Test
  void uploadsOverTheLimitAre413() throws Exception {
    byte[] tooBig = new byte[21 * 1024 * 1024];
    byte[] real = jpeg(64, 64);
    System.arraycopy(real, 0, tooBig, 0, real.length);
    assertRefused(413, http.postMultipart("/api/search", Map.of("image", tooBig), Map.of()), "21 MB upload");
    assertRefused(413, http.postMultipart("/api/classify", Map.of("image", tooBig), Map.of("labels", "a")),
        "21 MB classify");

    try (WebServer small = index.server(WebServerConfig.builder().maxUploadBytes(10_000))) {
      Http h = new Http(small.uri());
      byte[] big = jpeg(1200, 1200);
      assertTrue(big.length > 10_000, "test image size " + big.length);
      assertRefused(413, h.postMultipart("/api/search", Map.of("image", big), Map.of()), "over a small limit");
      // Without a Content-Length (chunked), the limit still holds.
      Http.Multipart m = new Http.Multipart().file("image", "big.jpg", "image/jpeg", big);
      byte[] body = m.body();
      Http.Reply chunked = h.send(HttpRequest.newBuilder(small.uri().resolve("/api/search"))
          .header("Content-Type", m.contentType())
          .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(body))).build());
      assertRefused(413, chunked, "chunked upload over the limit");
      assertEquals(200, h.postMultipart("/api/search", Map.of("image", jpeg(64, 64)), Map.of()).status());
    }
  }

  @Test
  void uploadTypeIsJudgedByContentNotName() {
    byte[] text = "GIF89a? no, this is just text pretending".getBytes(StandardCharsets.UTF_8);
    Http.Multipart named = new Http.Multipart().file("image", "photo.jpg", "image/jpeg",
        "just some text, not a picture".getBytes(StandardCharsets.UTF_8));
    assertRefused(400, http.post("/api/search", named.contentType(), named.body()), "text named photo.jpg");
    assertRefused(400, http.postMultipart("/api/search", Map.of("image", text), Map.of()), "text with a GIF magic");
    byte[] html = "<html><script>alert(1)</script></html>".getBytes(StandardCharsets.UTF_8);
    assertRefused(400, http.postMultipart("/api/classify", Map.of("image", html), Map.of("labels", "a")), "html");
    assertRefused(400, http.postMultipart("/api/search", Map.of("image", new byte[0]), Map.of()), "empty upload");
    byte[] truncated = java.util.Arrays.copyOf(jpeg(300, 300), 400);
    assertRefused(400, http.postMultipart("/api/search", Map.of("image", truncated), Map.of()), "truncated JPEG");

    // A real PNG named .txt and declared text/plain is an image all the same.
    Http.Multipart png = new Http.Multipart().file("image", "notes.txt", "text/plain",
        TestIndex.encode(TestIndex.draw(80, 80, 5), "png"));
    Http.Reply ok = http.post("/api/search", png.contentType(), png.body());
    assertEquals(200, ok.status(), ok.text());
  }

  @Test
  void decompressionBombsAreRefusedBeforeDecoding() {
    byte[] bomb = pngHeaderOnly(100_000, 100_000);
    Http.Reply reply = http.postMultipart("/api/search", Map.of("image", bomb), Map.of());
    assertRefused(400, reply, "PNG claiming 10^10 pixels");
    assertTrue(reply.error().contains("pixels"), reply.error());
    Http.Reply classify = http.postMultipart("/api/classify", Map.of("image", bomb), Map.of("labels", "a"));
    assertRefused(400, classify, "bomb to classify");
  }

  /** A PNG whose header claims {@code width x height} and whose data is a few bytes of nothing. */
  private static byte[] pngHeaderOnly(int width, int height) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A});
    ByteBuffer ihdr = ByteBuffer.allocate(13).putInt(width).putInt(height).put((byte) 8).put((byte) 2)
        .put((byte) 0).put((byte) 0).put((byte) 0);
    chunk(out, "IHDR", ihdr.array());
    chunk(out, "IDAT", new byte[] {0x78, (byte) 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01});
    chunk(out, "IEND", new byte[0]);
    return out.toByteArray();
  }

  private static void chunk(ByteArrayOutputStream out, String type, byte[] data) {
    out.writeBytes(ByteBuffer.allocate(4).putInt(data.length).array());
    byte[] t = type.getBytes(StandardCharsets.US_ASCII);
    out.writeBytes(t);
    out.writeBytes(data);
    CRC32 crc = new CRC32();
    crc.update(t);
    crc.update(data);
    out.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
  }

  @Test
  void slowWorkTimesOutWith503() throws Exception {
    try (WebServer hasty = index.server(WebServerConfig.builder().requestTimeout(Duration.ofNanos(1)))) {
      Http h = new Http(hasty.uri());
      Http.Reply reply = h.postMultipart("/api/classify", Map.of("image", jpeg(800, 800)), Map.of("labels", "a\nb"));
      assertRefused(503, reply, "a request over its time");
      assertEquals("1", reply.header("retry-after"));
      assertEquals(200, h.get("/health").status(), "cheap requests still work");
    }
  }

  // ------------------------------------------------------------------------------------------ bounded work

  // A burst must not depend on how fast this machine serves: each request below holds its place in the server by
  // sending only half of its body, so which are served, which wait and which are refused is decided by the limits
  // alone, not by a race between the client and the server.

  @Test
  void uploadsBeyondTheUploadSlotsAreRefusedWith503() throws Exception {
    // One worker gives two upload slots; the third upload waits for a slot for the request timeout, then is refused.
    try (WebServer tight = index.server(WebServerConfig.builder().workerThreads(1)
        .requestTimeout(Duration.ofSeconds(3)))) {
      Http h = new Http(tight.uri());
      List<HeldRequest> held = holdUploads(h, 3);
      List<HeldRequest> refused = awaitAnswered(held, 1);
      assertRefusedInBurst(refused, "too many uploads");
      finishAndAssertServed(held, refused);
      assertEquals(200, h.postMultipart("/api/classify", Map.of("image", jpeg(64, 64)),
          Map.of("labels", "a\nb")).status(), "the slots are free again once the held uploads finish");
    }
  }

  @Test
  void requestsBeyondTheWaitingLimitAreRefusedWith503AtOnce() throws Exception {
    // One request at a time and one waiting: of four held requests, two are refused without waiting for the others.
    try (WebServer few = index.server(WebServerConfig.builder().maxConcurrentRequests(1).maxWaitingRequests(1)
        .requestTimeout(Duration.ofSeconds(60)))) {
      Http h = new Http(few.uri());
      List<HeldRequest> held = holdUploads(h, 4);
      List<HeldRequest> refused = awaitAnswered(held, 2);
      assertRefusedInBurst(refused, null);
      finishAndAssertServed(held, refused);
      assertEquals(200, h.get("/api/stats").status(), "requests are served again once the queue empties");
    }
  }

  private static List<HeldRequest> holdUploads(Http client, int n) throws IOException {
    List<HeldRequest> held = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      held.add(client.hold("/api/classify", new Http.Multipart()
          .file("image", "x.jpg", "image/jpeg", jpeg(64 + i, 64)).field("labels", "a\nb\nc")));
    }
    return held;
  }

  /** Waits until {@code count} of the held requests have their answer (none can be served before it is finished). */
  private static List<HeldRequest> awaitAnswered(List<HeldRequest> held, int count) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    List<HeldRequest> answered;
    do {
      Thread.sleep(20);
      answered = held.stream().filter(h -> h.response.isDone()).toList();
    } while (answered.size() < count && System.nanoTime() < deadline);
    assertEquals(count, answered.size(), "requests answered before any held one was finished");
    return answered;
  }

  private static void assertRefusedInBurst(List<HeldRequest> refused, String reason) {
    for (HeldRequest r : refused) {
      Http.RawReply reply = r.response.join();
      assertEquals(503, reply.status(), reply.head() + "\n" + reply.body());
      assertTrue(reply.body().contains("\"error\""), reply.body());
      if (reason != null) {
        assertTrue(reply.body().contains(reason), reply.body());
      }
      assertNoInternals(reply.body(), "refused in a burst");
    }
  }

  private static void finishAndAssertServed(List<HeldRequest> held, List<HeldRequest> refused) throws IOException {
    List<HeldRequest> waiting = held.stream().filter(h -> !refused.contains(h)).toList();
    for (HeldRequest h : waiting) {
      h.finish();
    }
    for (HeldRequest h : held) {
      h.close();
    }
    for (HeldRequest h : waiting) {
      Http.RawReply reply = h.response.join();
      assertEquals(200, reply.status(), "a held request is served once its body arrives: " + reply.body());
    }
  }

  // ------------------------------------------------------------------------------------------ headers

  @Test
  void securityHeadersOnEveryResponse() throws Exception {
    Http anonymous = new Http(guarded.uri());
    List<Http.Reply> replies = List.of(
        http.get("/"), http.get("/app.js"), http.get("/health"), http.get("/openapi.json"),
        http.get("/api/stats"), http.get("/api/search?q=beach&k=1"), http.get("/api/search?k=-1"),
        http.get("/api/images/" + index.id(0) + "/thumbnail"), http.get("/api/images/" + index.id(0) + "/file"),
        http.get("/api/images/0000000000000000"), http.get("/no/such/page"), anonymous.get("/api/stats"),
        http.postJson("/api/search", "{oops"));
    for (Http.Reply r : replies) {
      assertHeaders(r.header("content-security-policy"), r.header("x-content-type-options"),
          r.header("x-frame-options"), r.header("referrer-policy"), r.status() + " " + r.text());
    }
    Http.RawReply jettyLevel = http.raw("GET /../../etc/passwd HTTP/1.1");
    String head = jettyLevel.head().toLowerCase();
    assertTrue(head.contains("content-security-policy: default-src 'self'"), head);
    assertTrue(head.contains("x-content-type-options: nosniff"), head);
    assertTrue(head.contains("x-frame-options: deny"), head);
    assertFalse(head.contains("server: jetty"), "no server version");
  }

  private static void assertHeaders(String csp, String nosniff, String frames, String referrer, String what) {
    assertNotNull(csp, what);
    assertTrue(csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'")
        && csp.contains("script-src 'self'") && !csp.contains("unsafe"), csp);
    assertEquals("nosniff", nosniff, what);
    assertEquals("DENY", frames, what);
    assertEquals("no-referrer", referrer, what);
  }

  @Test
  void apiResponsesAreNotCached() {
    assertEquals("no-store", http.get("/api/stats").header("cache-control"));
    assertEquals("no-store", http.get("/api/search?q=x").header("cache-control"));
    assertTrue(http.get("/api/images/" + index.id(0) + "/thumbnail").header("cache-control").startsWith("private"));
  }
}
