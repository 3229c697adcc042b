package org.clipsearch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.clipsearch.cli.IndexCommandTest.Result;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Switching backends by configuration alone: the same commands with {@code --solr ZKHOST --collection NAME} against
 * a real SolrCloud (two nodes, a collection of 2 shards) answer as they do on the embedded index (search, similar,
 * label search, label tags and their filters and counts, near-duplicates), and
 * {@code serve --solr} serves the page's API over the collection, indexing a folder into it meanwhile.
 *
 * <p>Solr's server (Lucene 9, Jetty 10) cannot share this JVM, which holds Lucene 10 and Javalin's Jetty 12: it runs
 * in a child JVM ({@code MiniSolrCloudMain} from the cluster module's test jar, on that module's test class path).
 * {@code serve} runs in a child JVM too, as a user runs it, and is stopped as Ctrl-C stops it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SolrBackendTest {
  static final String COLLECTION = "images";
  static final ObjectMapper JSON = new ObjectMapper();

  Path dir;
  Path photos;
  Path index;
  Process solrNode;
  String zkHost;

  @BeforeAll
  void startSolrCloud(@TempDir Path tmp) throws Exception {
    dir = tmp;
    URL listing = getClass().getClassLoader().getResource("org/clipsearch/cluster/solr-test-classpath.txt");
    assertTrue(listing != null, "the cluster module's test jar is on the test class path");
    List<String> classPath = new ArrayList<>();
    classPath.add(classPathRoot(listing, "org/clipsearch/cluster/solr-test-classpath.txt"));
    classPath.addAll(Arrays.asList(
        new String(listing.openStream().readAllBytes(), StandardCharsets.UTF_8).strip().split(File.pathSeparator)));
    List<String> command = new ArrayList<>(List.of(java(), "-Xmx768m", "-XX:+UseSerialGC",
        "-cp", String.join(File.pathSeparator, classPath), "org.clipsearch.cluster.MiniSolrCloudMain",
        dir.resolve("solr").toString(), "2"));
    solrNode = new ProcessBuilder(command).redirectErrorStream(true).start();
    zkHost = awaitLine(solrNode, "ZKHOST ", 180).substring("ZKHOST ".length()).strip();

    photos = Files.createDirectories(dir.resolve("photos"));
    Path fixtures = IndexCommandTest.FIXTURES.resolve("images");
    Path a = Files.createDirectories(photos.resolve("a"));
    Path b = Files.createDirectories(photos.resolve("b/c"));
    int i = 0;
    try (var files = Files.list(fixtures)) {
      for (Path f : files.sorted().toList()) {
        Files.copy(f, (i++ % 2 == 0 ? a : b).resolve(f.getFileName()));
      }
    }
    Files.copy(fixtures.resolve("rgb.jpg"), b.resolve("rgb-copy.jpg")); // an exact duplicate
    index = dir.resolve("index");
  }

  @AfterAll
  void stopSolrCloud() throws Exception {
    if (solrNode != null) {
      solrNode.getOutputStream().close(); // MiniSolrCloudMain shuts the cluster down when its input ends
      if (!solrNode.waitFor(60, TimeUnit.SECONDS)) {
        solrNode.destroyForcibly();
      }
    }
  }

  @Test
  @Order(1)
  void createsAndIndexesTheCollectionAndTheEmbeddedIndexAlike() throws Exception {
    String model = IndexCommandTest.MODEL.toString();
    Result create = IndexCommandTest.run("solr-create", "--solr", zkHost, "--collection", COLLECTION,
        "--shards", "2", "--replicas", "1", "--model", model);
    assertEquals(0, create.exitCode(), create.err());
    Result solr = IndexCommandTest.run("index", "--solr", zkHost, "--collection", COLLECTION, "--model", model,
        photos.toString());
    assertEquals(0, solr.exitCode(), solr.err());
    Result embedded = IndexCommandTest.run("index", "--index", index.toString(), "--model", model, photos.toString());
    assertEquals(0, embedded.exitCode(), embedded.err());
    assertEquals(7, json("stats", "--json").path("images").asInt());
    assertEquals(7, solrJson("stats", "--json").path("images").asInt());
  }

  @Test
  @Order(2)
  void searchSimilarLabelsAndDuplicatesAnswerAsTheEmbeddedIndexDoes() throws Exception {
    String[][] commands = {
        {"search", "--k", "5", "--json", "a red picture"},
        {"search", "--k", "3", "--offset", "2", "--json", "grey"},
        {"search", "--k", "5", "--format", "png", "--json", "a picture"},
        {"similar", "--k", "4", "--json", photos.resolve("a/alpha.png").toString()},
        {"labels", "--labels", "red,green,blue,grey", "--k", "10", "--json"},
    };
    for (String[] command : commands) {
      JsonNode expected = json(command);
      JsonNode actual = solrJson(command);
      List<String> paths = paths(expected);
      assertFalse(paths.isEmpty(), String.join(" ", command) + " finds something");
      assertEquals(paths, paths(actual), String.join(" ", command) + ": the same images in the same order");
      assertEquals(scores(expected), scores(actual), String.join(" ", command) + ": the same scores");
    }
    JsonNode labels = solrJson("labels", "--labels", "red,green,blue,grey", "--json");
    int counted = 0;
    for (JsonNode label : labels.path("labels")) {
      counted += label.path("count").asInt();
    }
    assertEquals(7, counted, "label search classifies every image of the collection once");

    // Label tags: written, filtered by and counted alike on both backends.
    String[] tag = {"labels", "--labels", "red,green,blue,grey", "--tag", "--tag-top", "2", "--json"};
    assertEquals(paths(json(tag)), paths(solrJson(tag)));
    JsonNode embeddedStats = json("stats", "--json");
    JsonNode solrStats = solrJson("stats", "--json");
    assertEquals(7, solrStats.path("tagged").asInt(), solrStats.toString());
    assertEquals(embeddedStats.path("labels"), solrStats.path("labels"), "the same counts per label");
    int tags = 0;
    for (JsonNode count : solrStats.path("labels")) {
      tags += count.asInt();
    }
    assertTrue(tags >= 7 && tags <= 14, "one or two tags per image: " + solrStats);
    for (var it = solrStats.path("labels").fieldNames(); it.hasNext(); ) {
      String label = it.next();
      String[] search = {"search", "--label", label, "--k", "10", "--json", "a picture"};
      List<String> tagged = paths(solrJson(search));
      assertEquals(paths(json(search)), tagged, "search --label " + label);
      assertEquals(solrStats.path("labels").path(label).asInt(), tagged.size(), "search --label " + label);
    }

    List<List<String>> expectedGroups = groups(json("duplicates", "--threshold", "0.999", "--json"));
    List<List<String>> groups = groups(solrJson("duplicates", "--threshold", "0.999", "--json"));
    assertEquals(expectedGroups, groups);
    assertTrue(groups.stream().anyMatch(g -> g.contains(photos.resolve("b/c/rgb.jpg").toString())
        && g.contains(photos.resolve("b/c/rgb-copy.jpg").toString())), "the copied file is found: " + groups);
  }

  @Test
  @Order(3)
  void serveSolrServesTheCollectionAndIndexesIntoIt() throws Exception {
    Path more = Files.createDirectories(dir.resolve("more"));
    Files.copy(IndexCommandTest.FIXTURES.resolve("images/grey.png"), more.resolve("grey-too.png"));
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    List<String> command = new ArrayList<>(List.of(java(), "-Xmx512m", "-XX:+UseSerialGC"));
    for (String property : List.of("ai.djl.offline", "OPT_OUT_TRACKING", "DJL_CACHE_DIR", "ENGINE_CACHE_DIR")) {
      if (System.getProperty(property) != null) {
        command.add("-D" + property + "=" + System.getProperty(property));
      }
    }
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName(), "serve",
        "--solr", zkHost, "--collection", COLLECTION, "--model", IndexCommandTest.MODEL.toString(),
        "--port", Integer.toString(port), more.toString()));
    Process serve = new ProcessBuilder(command).redirectErrorStream(true).start();
    try {
      String line = awaitLine(serve, "clipsearch: serving", 120);
      assertTrue(line.contains("SolrCloud collection " + COLLECTION), line);
      HttpClient http = HttpClient.newHttpClient();
      String base = "http://127.0.0.1:" + port;

      // The folder given to serve goes into the collection: 7 images become 8.
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      JsonNode stats;
      do {
        stats = JSON.readTree(get(http, base + "/api/stats").body());
        if (stats.path("images").asInt() == 8) {
          break;
        }
        Thread.sleep(200);
      } while (System.nanoTime() < deadline);
      assertEquals(8, stats.path("images").asInt(), stats.toString());

      // The page's search answers what the CLI answers on the collection.
      JsonNode page = JSON.readTree(get(http, base + "/api/search?q=a%20red%20picture&k=5").body());
      JsonNode cli = solrJson("search", "--k", "5", "--json", "a red picture");
      assertEquals(paths(cli), paths(page));
      assertEquals(scores(cli), scores(page));

      String id = page.path("hits").get(0).path("id").asText();
      HttpResponse<String> similar = get(http, base + "/api/similar/" + id + "?k=3");
      assertEquals(200, similar.statusCode(), similar.body());
      List<String> similarPaths = new ArrayList<>();
      JSON.readTree(similar.body()).path("hits").forEach(h -> similarPaths.add(h.path("path").asText()));
      assertEquals(3, similarPaths.size(), similar.body());
      assertFalse(similarPaths.contains(page.path("hits").get(0).path("path").asText()),
          "the example itself is left out");
      HttpResponse<byte[]> thumbnail = http.send(HttpRequest.newBuilder(URI.create(
          base + "/api/images/" + id + "/thumbnail")).build(), HttpResponse.BodyHandlers.ofByteArray());
      assertEquals(200, thumbnail.statusCode());
      assertTrue(thumbnail.body().length > 100, "a thumbnail stored in Solr");
      assertEquals(404, get(http, base + "/api/images/0123456789abcdef").statusCode(), "an unknown id");

      HttpResponse<String> labels = http.send(HttpRequest.newBuilder(URI.create(base + "/api/labels/search"))
          .header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString("{\"labels\": [\"red\", \"grey\"], \"k\": 10}")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(200, labels.statusCode(), labels.body());
      int counted = 0;
      for (JsonNode label : JSON.readTree(labels.body()).path("labels")) {
        counted += label.path("count").asInt();
      }
      assertEquals(8, counted, labels.body());
    } finally {
      serve.destroy(); // SIGTERM: the shutdown hook stops the server, as Ctrl-C does
      if (!serve.waitFor(30, TimeUnit.SECONDS)) {
        serve.destroyForcibly();
      }
    }
  }

  private JsonNode json(String... args) throws IOException {
    return run(concat(args, "--index", index.toString()));
  }

  private JsonNode solrJson(String... args) throws IOException {
    return run(concat(args, "--solr", zkHost, "--collection", COLLECTION));
  }

  private static JsonNode run(String[] args) throws IOException {
    String[] withModel = args[0].equals("stats") ? args : concat(args, "--model", IndexCommandTest.MODEL.toString());
    Result result = IndexCommandTest.run(withModel);
    assertEquals(0, result.exitCode(), String.join(" ", withModel) + ": " + result.err());
    return JSON.readTree(result.out());
  }

  /** The command's own arguments with {@code extra} options after the command's name, before a positional query. */
  private static String[] concat(String[] args, String... extra) {
    List<String> all = new ArrayList<>();
    all.add(args[0]);
    all.addAll(List.of(extra));
    all.addAll(List.of(args).subList(1, args.length));
    return all.toArray(String[]::new);
  }

  /**
   * Hit paths of a search (hits) or of label search (each label's hits in turn). The copy of rgb.jpg is named as its
   * original: the two tie, and the backends break ties differently (the embedded index by insertion order, Solr by
   * path), so either may come first.
   */
  private static List<String> paths(JsonNode node) {
    List<String> paths = new ArrayList<>();
    hits(node).forEach(h -> paths.add(h.path("path").asText().replace("rgb-copy.jpg", "rgb.jpg")));
    return paths;
  }

  private static List<Float> scores(JsonNode node) {
    List<Float> scores = new ArrayList<>();
    // Rounded: both backends compute the same float dot products, but JSON printing of floats may differ in the
    // last digit only if they did not.
    hits(node).forEach(h -> scores.add(Math.round(h.path("score").floatValue() * 1e5f) / 1e5f));
    return scores;
  }

  private static List<JsonNode> hits(JsonNode node) {
    List<JsonNode> hits = new ArrayList<>();
    if (node.has("labels")) {
      node.path("labels").forEach(l -> l.path("hits").forEach(hits::add));
    } else {
      node.path("hits").forEach(hits::add);
    }
    return hits;
  }

  /** Duplicate groups, each sorted by path, in path order: the backends may list them in different orders. */
  private static List<List<String>> groups(JsonNode node) {
    List<List<String>> groups = new ArrayList<>();
    for (JsonNode group : node.path("groups")) {
      List<String> paths = new ArrayList<>();
      group.forEach(h -> paths.add(h.path("path").asText()));
      paths.sort(Comparator.naturalOrder());
      groups.add(paths);
    }
    groups.sort(Comparator.comparing(g -> g.get(0)));
    return groups;
  }

  private static HttpResponse<String> get(HttpClient http, String uri) throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(URI.create(uri)).timeout(Duration.ofSeconds(30)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static String java() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  /** The class path entry (folder or jar) that holds {@code resource}. */
  private static String classPathRoot(URL url, String resource) throws IOException {
    String text = url.toString();
    if (text.startsWith("jar:file:")) {
      return Path.of(URI.create(text.substring(4, text.indexOf("!/")))).toString();
    }
    try {
      String dirPath = Path.of(url.toURI()).toString();
      return dirPath.substring(0, dirPath.length() - resource.length() - 1);
    } catch (java.net.URISyntaxException e) {
      throw new IOException(e);
    }
  }

  /** Reads the process's output until a line starting with {@code prefix}; its output keeps draining after. */
  private static String awaitLine(Process process, String prefix, int seconds) throws Exception {
    BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    StringBuilder seen = new StringBuilder();
    Thread reader = new Thread(() -> {
      try (BufferedReader in = new BufferedReader(
          new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line = in.readLine(); line != null; line = in.readLine()) {
          lines.add(line);
        }
      } catch (IOException e) {
        // the process ended
      }
    }, "child-output");
    reader.setDaemon(true);
    reader.start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (System.nanoTime() < deadline) {
      String line = lines.poll(200, TimeUnit.MILLISECONDS);
      if (line != null) {
        seen.append(line).append('\n');
        if (line.startsWith(prefix)) {
          return line;
        }
      } else if (!process.isAlive() && lines.isEmpty()) {
        break;
      }
    }
    throw new AssertionError("no line '" + prefix + "' in " + seconds + " s; output:\n"
        + seen.substring(Math.max(0, seen.length() - 6000)));
  }
}
