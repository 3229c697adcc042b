package org.clipsearch.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.clipsearch.api.ImageRecord;
import org.clipsearch.api.LabelScore;
import org.clipsearch.api.TagSettings;
import org.clipsearch.searcher.ImageSearcher;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The label filter ({@code label=}) and the label counts of {@code /api/stats}, on a tagged copy of the shared test
 * index (the shared one stays untagged for the other tests).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LabelApiTest {
  static final List<String> LABELS = List.of("beach", "a forest at night", "a mountain", "the sea");
  private TestIndex shared;
  private ImageSearcher searcher;
  private WebServer server;
  private Http http;
  /** Per label, the ids of the images tagged with it, read back through the library. */
  private final Map<String, Set<String>> byLabel = new TreeMap<>();

  @BeforeAll
  void start(@TempDir Path dir) throws Exception {
    shared = TestIndex.get();
    Path copy = Files.createDirectories(dir.resolve("index"));
    try (var files = Files.list(shared.index)) {
      for (Path f : files.toList()) {
        if (!f.getFileName().toString().equals("write.lock")) {
          Files.copy(f, copy.resolve(f.getFileName()));
        }
      }
    }
    searcher = ImageSearcher.open(copy, shared.model);
    searcher.tag(LABELS, null, TagSettings.DEFAULT, null);
    for (Path file : shared.files) {
      for (LabelScore t : searcher.tags(file.toString())) {
        byLabel.computeIfAbsent(t.label(), x -> new HashSet<>()).add(ImageRecord.idOf(file.toString()));
      }
    }
    server = WebServer.start(WebServerConfig.builder().searcher(searcher).port(0).build());
    http = new Http(server.uri());
  }

  @AfterAll
  void stop() throws Exception {
    server.close();
    searcher.close();
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  private static Set<String> ids(Http.Reply reply) {
    assertEquals(200, reply.status(), reply.text());
    Set<String> ids = new HashSet<>();
    reply.json().get("hits").forEach(h -> ids.add(h.get("id").asText()));
    return ids;
  }

  @Test
  void searchesFilterByLabel() {
    assertTrue(byLabel.size() >= 2, "test set-up: the images spread over labels: " + byLabel.keySet());
    String beachFolder = shared.photos.resolve("beach").toAbsolutePath().normalize().toString();
    Set<String> inBeach = new HashSet<>();
    for (int i = 0; i < shared.files.size(); i++) {
      if (shared.files.get(i).startsWith(beachFolder)) {
        inBeach.add(shared.id(i));
      }
    }
    for (String label : LABELS) {
      Set<String> tagged = byLabel.getOrDefault(label, Set.of());
      assertEquals(tagged, ids(http.get("/api/search?q=a+picture&k=200&label=" + enc(label))), label);
      Set<String> both = new HashSet<>(tagged);
      both.retainAll(inBeach);
      assertEquals(both, ids(http.get("/api/search?q=a+picture&k=200&label=" + enc(label) + "&folder="
          + enc(beachFolder))), label + " in beach/");
      assertEquals(tagged, ids(http.postJson("/api/search",
          "{\"q\": \"a picture\", \"k\": 200, \"filters\": {\"label\": \"" + label + "\"}}")), label + ", JSON");
      assertEquals(tagged, ids(http.postJson("/api/search",
          "{\"q\": \"a picture\", \"k\": 200, \"label\": \"" + label + "\"}")), label + ", JSON top level");
    }
    String label = byLabel.entrySet().stream().filter(e -> e.getValue().size() >= 2).findFirst().orElseThrow().getKey();
    String example = byLabel.get(label).iterator().next();
    Set<String> others = new HashSet<>(byLabel.get(label));
    others.remove(example);
    assertEquals(others, ids(http.get("/api/similar/" + example + "?k=200&label=" + enc(label))));
    assertEquals(Set.of(), ids(http.get("/api/search?q=a+picture&label=no+such+label")));

    // Label search within a label: only images tagged with it.
    JsonNode groups = http.postJson("/api/labels/search",
        "{\"labels\": [\"beach\", \"city\"], \"k\": 200, \"filters\": {\"label\": \"" + label + "\"}}").json();
    int count = 0;
    for (JsonNode group : groups.get("labels")) {
      count += group.get("count").asInt();
      group.get("hits").forEach(h -> assertTrue(byLabel.get(label).contains(h.get("id").asText())));
    }
    assertEquals(byLabel.get(label).size(), count);
  }

  @Test
  void badLabelsAreRefused() {
    Http.Reply control = http.get("/api/search?q=a&label=" + enc("beach\u0007"));
    assertEquals(400, control.status());
    assertTrue(control.json().get("error").asText().contains("label"), control.text());
    assertEquals(400, http.get("/api/search?q=a&label=" + "x".repeat(201)).status());
    assertEquals(400, http.get("/api/search?q=a&label=beach&label=sea").status(), "given more than once");
    Http.Reply unknown = http.get("/api/search?q=a&labels=beach");
    assertEquals(400, unknown.status());
    assertTrue(unknown.json().get("error").asText().contains("label"), "the allowed names include label");
  }

  @Test
  void statsCountTheImagesPerLabel() {
    JsonNode stats = http.get("/api/stats").json();
    assertEquals(TestIndex.IMAGES, stats.get("tagged").asInt());
    Map<String, Integer> counts = new LinkedHashMap<>();
    stats.get("labels").fields().forEachRemaining(e -> counts.put(e.getKey(), e.getValue().asInt()));
    Map<String, Integer> expected = new TreeMap<>();
    byLabel.forEach((l, ids) -> expected.put(l, ids.size()));
    assertEquals(expected, new TreeMap<>(counts));
    List<Integer> order = List.copyOf(counts.values());
    for (int i = 1; i < order.size(); i++) {
      assertTrue(order.get(i - 1) >= order.get(i), "most frequent first: " + counts);
    }
  }

  @Test
  void anUntaggedIndexHasNoCounts() throws Exception {
    try (WebServer untagged = shared.server()) {
      JsonNode stats = new Http(untagged.uri()).get("/api/stats").json();
      assertEquals(0, stats.get("tagged").asInt());
      assertEquals(0, stats.get("labels").size());
      assertEquals(Set.of(), ids(new Http(untagged.uri()).get("/api/search?q=a+picture&label=beach")));
    }
  }

  @Test
  void imageDetailsCarryTheirTagsBestFirst() throws IOException {
    for (int i = 0; i < shared.files.size(); i += 7) {
      String path = shared.files.get(i).toString();
      JsonNode tags = http.get("/api/images/" + shared.id(i)).json().get("tags");
      List<LabelScore> expected = searcher.tags(path);
      assertTrue(!expected.isEmpty(), "every image was tagged");
      assertEquals(expected.size(), tags.size(), path);
      for (int t = 0; t < expected.size(); t++) {
        assertEquals(expected.get(t).label(), tags.get(t).get("label").asText(), path);
        assertEquals(expected.get(t).probability(), tags.get(t).get("probability").floatValue(), 1e-6, path);
      }
    }
  }

  /** The page offers the index's labels as a filter, and an image's details show its tags, each a filter. */
  @Test
  void thePageFiltersByLabelAndShowsTags(@TempDir Path profile) throws IOException {
    ChromeDriver driver = Browser.start(profile);
    try {
      WebDriverWait wait = new WebDriverWait(driver, Duration.ofSeconds(30));
      driver.get(server.uri() + "?q=a+picture&cutoff=0");
      // The label choice appears once /api/stats has answered (the status line shows its count).
      wait.until(d -> d.findElement(By.id("index-status")).getText().contains("images"));
      driver.findElement(By.cssSelector("#filters summary")).click();
      wait.until(d -> d.findElement(By.id("f-label-field")).isDisplayed());
      Select select = new Select(driver.findElement(By.id("f-label")));
      Set<String> offered = new HashSet<>();
      select.getOptions().forEach(o -> offered.add(o.getAttribute("value")));
      offered.remove("");
      assertEquals(byLabel.keySet(), offered, "the labels the index has, from /api/stats");

      String label = byLabel.entrySet().stream()
          .max(Map.Entry.comparingByValue(Comparator.comparingInt(Set::size))).orElseThrow().getKey();
      Set<String> tagged = byLabel.get(label);
      select.selectByValue(label);
      driver.findElement(By.cssSelector("#filter-form button[type=submit]")).click();
      int expected = Math.min(24, tagged.size());
      wait.until(d -> label.equals(Browser.param(d, "label")) && hitIds(d).size() == expected);
      assertTrue(tagged.containsAll(hitIds(driver)), "only images tagged " + label);

      // Details: the tags, best first; clicking one filters by it.
      driver.findElement(By.cssSelector("#results .hit")).click();
      wait.until(d -> !d.findElements(By.cssSelector("#detail-meta .tag")).isEmpty());
      String id = Browser.param(driver, "image");
      List<String> shown = driver.findElements(By.cssSelector("#detail-meta .tag")).stream()
          .map(e -> e.getText()).toList();
      List<LabelScore> tags = searcher.tags(id);
      assertEquals(tags.stream().map(t -> t.label() + " " + Math.round(t.probability() * 100) + "%").toList(), shown);
      int last = tags.size() - 1;
      driver.findElements(By.cssSelector("#detail-meta .tag")).get(last).click();
      String other = tags.get(last).label();
      wait.until(d -> other.equals(Browser.param(d, "label")) && Browser.param(d, "image") == null);
      wait.until(d -> other.equals(
          new Select(d.findElement(By.id("f-label"))).getFirstSelectedOption().getAttribute("value")));
      wait.until(d -> hitIds(d).size() == Math.min(24, byLabel.get(other).size()));
      assertTrue(byLabel.get(other).containsAll(hitIds(driver)), "only images tagged " + other);
      Browser.screenshot(driver, "labels-filter");
    } finally {
      driver.quit();
    }
  }

  private static List<String> hitIds(WebDriver d) {
    return d.findElements(By.cssSelector("#results .hit")).stream().map(e -> e.getAttribute("data-id")).toList();
  }
}
