package org.clipsearch.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import org.clipsearch.indexer.ImageIndexer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The page in a real browser (headless Chromium) over a real index: search and thumbnails, infinite scroll, details
 * with similar images, the back button, filters in the URL, the relevance cutoff on by default (off with cutoff=0),
 * query by an uploaded example, classification bars, label search, the access-token prompt, a phone-sized layout,
 * a search made while the collection is still being indexed, and no errors in the console (CSP violations included).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BrowserTest {
  private TestIndex index;
  private WebServer server;
  private ChromeDriver driver;
  private Path profile;
  private String base;

  @BeforeAll
  void start() throws Exception {
    profile = Files.createTempDirectory("clipsearch-chromium");
    driver = Browser.start(profile);
    index = TestIndex.get();
    server = index.server();
    base = server.uri().toString();
  }

  @AfterAll
  void stop() throws Exception {
    try {
      if (driver != null) {
        driver.quit();
      }
    } finally {
      if (server != null) {
        server.close();
      }
      if (profile != null) {
        try (var paths = Files.walk(profile)) {
          paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
      }
    }
  }

  @BeforeEach
  void desktopSize() {
    driver.manage().window().setSize(new Dimension(1100, 760));
  }

  /** Every page the tests saw must have run without errors: no CSP violations, no failed scripts. */
  @AfterEach
  void noConsoleErrors() {
    List<LogEntry> severe = driver.manage().logs().get(LogType.BROWSER).getAll().stream()
        .filter(e -> e.getLevel().intValue() >= java.util.logging.Level.SEVERE.intValue())
        // Expected: the 401 of the token prompt, and the 404 an unknown image id gets.
        .filter(e -> !e.getMessage().contains("401") && !e.getMessage().contains("404"))
        .toList();
    assertEquals(List.of(), severe.stream().map(LogEntry::getMessage).toList(), "browser console errors");
  }

  private <T> T waitFor(Function<WebDriver, T> condition) {
    return new WebDriverWait(driver, Duration.ofSeconds(30)).until(condition);
  }

  private List<WebElement> results() {
    return driver.findElements(By.cssSelector("#results .hit"));
  }

  /** Waits until the results grid has exactly {@code n} hits whose thumbnails have all loaded. */
  private void waitForLoadedResults(int n) {
    new WebDriverWait(driver, Duration.ofSeconds(30))
        .withMessage(() -> "waiting for " + n + " loaded results; " + describeResults())
        .until(d -> results().size() == n && allImagesLoaded("#results img"));
  }

  /** What the grid holds when a wait gives up: how many hits, and each thumbnail that is not (yet) shown. */
  private String describeResults() {
    Object state = ((JavascriptExecutor) driver).executeScript(
        "const imgs=[...document.querySelectorAll('#results img')];"
            + "const pending=imgs.filter(i=>!(i.complete && i.naturalWidth>0)).map(i=>i.alt+' (src '+i.src"
            + "+', complete '+i.complete+', top '+Math.round(i.getBoundingClientRect().top)+')');"
            + "return document.querySelectorAll('#results .hit').length+' hits, '+pending.length"
            + "+' thumbnails not shown, viewport '+innerHeight+' px, scrolled '+scrollY+' px, summary \"'"
            + "+(document.getElementById('search-summary')||{}).textContent+'\"'"
            + "+pending.slice(0,5).map(p=>'; '+p).join('');");
    return String.valueOf(state) + "; URL " + driver.getCurrentUrl();
  }

  private boolean allImagesLoaded(String selector) {
    Object ok = ((JavascriptExecutor) driver).executeScript(
        "const imgs=[...document.querySelectorAll(arguments[0])];"
            + "return imgs.length>0 && imgs.every(i=>i.complete && i.naturalWidth>0);", selector);
    return Boolean.TRUE.equals(ok);
  }

  private void search(String query) {
    WebElement q = driver.findElement(By.id("q"));
    q.clear();
    q.sendKeys(query, Keys.ENTER);
  }

  private String param(String name) {
    return Browser.param(driver, name);
  }

  @Test
  @Order(1)
  void typedQueryShowsThumbnailsAndScrollingLoadsMore() {
    driver.get(base + "?cutoff=0"); // every image, so that scrolling has pages to load
    waitFor(d -> d.findElement(By.id("index-status")).getText().contains("40 images"));
    search("a beach at sunset");
    waitForLoadedResults(24);
    assertEquals("a beach at sunset", param("q"), "the query is in the URL");
    WebElement first = results().get(0);
    String alt = first.findElement(By.tagName("img")).getAttribute("alt");
    assertTrue(alt.matches("(beach|city|forest)-\\d\\d\\.(jpg|png)"), "alt text is the file name: " + alt);
    assertTrue(first.getText().contains(alt), "caption shows the file name");
    assertTrue(first.findElement(By.className("score")).getText().matches("-?\\d\\.\\d{3}"), "caption shows the score");
    assertTrue(driver.findElement(By.id("search-summary")).getText().contains("24 images"));
    Browser.screenshot(driver, "search");

    ((JavascriptExecutor) driver).executeScript("window.scrollTo(0, document.body.scrollHeight)");
    waitForLoadedResults(TestIndex.IMAGES);
    assertFalse(driver.findElement(By.id("load-more")).isDisplayed(), "nothing more to load");
    long distinct = results().stream().map(e -> e.getAttribute("data-id")).distinct().count();
    assertEquals(TestIndex.IMAGES, distinct, "pages neither overlap nor skip");
  }

  @Test
  @Order(2)
  void clickingAResultShowsItsDetailsAndSimilarImagesAndBackWorks() {
    driver.get(base + "?q=forest&cutoff=0");
    waitForLoadedResults(24);
    WebElement first = results().get(0);
    String name = first.findElement(By.tagName("img")).getAttribute("alt");
    first.click();
    WebElement dialog = driver.findElement(By.id("detail"));
    waitFor(d -> dialog.isDisplayed() && d.findElement(By.id("detail-title")).getText().equals(name));
    waitFor(d -> d.findElements(By.cssSelector("#detail-similar .hit")).size() == 8
        && allImagesLoaded("#detail-similar img"));
    waitFor(d -> allImagesLoaded("#detail-image"));
    String meta = driver.findElement(By.id("detail-meta")).getText();
    assertTrue(meta.contains("File") && meta.contains(name) && meta.contains("Format"), meta);
    assertTrue(param("image") != null, "the open image is in the URL");
    Browser.screenshot(driver, "details");

    // Escape closes the dialog and takes its history entry back.
    driver.findElement(By.id("detail-close")).sendKeys(Keys.ESCAPE);
    waitFor(d -> !dialog.isDisplayed() && param("image") == null);
    assertEquals("forest", param("q"));

    // More like this: a search for images similar to it, and back returns to the query.
    results().get(0).click();
    waitFor(d -> dialog.isDisplayed() && d.findElements(By.cssSelector("#detail-similar .hit")).size() == 8);
    driver.findElement(By.id("detail-more")).click();
    waitFor(d -> !dialog.isDisplayed() && param("similar") != null);
    waitForLoadedResults(24);
    assertTrue(driver.findElement(By.id("search-summary")).getText().contains("similar"));
    driver.navigate().back();
    waitFor(d -> "forest".equals(param("q")) && param("similar") == null);
    waitForLoadedResults(24);
    assertEquals("forest", driver.findElement(By.id("q")).getAttribute("value"));
  }

  @Test
  @Order(3)
  void filtersLiveInTheUrlAndTheBackButtonUndoesThem() {
    driver.get(base + "?q=city&cutoff=0");
    waitForLoadedResults(24);
    WebElement summary = driver.findElement(By.cssSelector("#filters summary"));
    summary.click();
    waitFor(d -> d.findElement(By.id("index-status")).getText().contains("images"));
    assertFalse(driver.findElement(By.id("f-label-field")).isDisplayed(), "no label filter: the index has no tags");
    new org.openqa.selenium.support.ui.Select(driver.findElement(By.id("f-format"))).selectByValue("png");
    driver.findElement(By.cssSelector("#filter-form button[type=submit]")).click();
    waitFor(d -> "png".equals(param("format")));
    waitForLoadedResults(10); // every fourth image is a PNG
    for (WebElement hit : results()) {
      assertTrue(hit.findElement(By.tagName("img")).getAttribute("alt").endsWith(".png"));
    }
    driver.findElement(By.id("f-cutoff")).click(); // on again: the default, so the URL drops it
    waitFor(d -> param("cutoff") == null);
    driver.navigate().back();
    waitFor(d -> "0".equals(param("cutoff")) && "png".equals(param("format")));
    driver.navigate().back();
    waitFor(d -> param("format") == null);
    waitForLoadedResults(24);
    assertFalse(driver.findElement(By.id("f-cutoff")).isSelected());
  }

  @Test
  @Order(4)
  void theRelevanceCutoffIsOnByDefaultInThePageAndOffInTheRawApi() {
    Http http = new Http(server.uri());
    assertEquals(TestIndex.IMAGES, http.get("/api/search?k=200&q=sea").json().get("hits").size(),
        "the raw API applies no cutoff unless asked");
    assertEquals(0, http.get("/api/search?k=200&cutoff=true&q=sea").json().get("hits").size(),
        "test set-up: no image stands out for 'sea'");
    int clear = http.get("/api/search?k=200&cutoff=true&q=city").json().get("hits").size();
    assertTrue(clear > 0 && clear < TestIndex.IMAGES, "test set-up: some images, not all, stand out for 'city'");

    // The page applies it without being asked, and says so when nothing stands out.
    driver.get(base + "?q=sea");
    WebElement summary = driver.findElement(By.id("search-summary"));
    waitFor(d -> summary.getText().startsWith("No clear matches"));
    assertTrue(driver.findElement(By.id("f-cutoff")).isSelected(), "on by default");
    assertEquals(null, param("cutoff"), "the default is not written into the URL");
    assertTrue(results().isEmpty());
    assertTrue(driver.findElement(By.id("filter-count")).getAttribute("hidden") != null,
        "the cutoff is not counted as a filter");

    // One click shows every image; the URL keeps it (cutoff=0), and back turns the cutoff on again.
    WebElement showAll = driver.findElement(By.id("show-all"));
    assertTrue(showAll.isDisplayed());
    showAll.click();
    waitFor(d -> "0".equals(param("cutoff")));
    waitForLoadedResults(24);
    assertFalse(driver.findElement(By.id("f-cutoff")).isSelected());
    assertFalse(showAll.isDisplayed());
    ((JavascriptExecutor) driver).executeScript("window.scrollTo(0, document.body.scrollHeight)");
    waitForLoadedResults(TestIndex.IMAGES);
    driver.navigate().back();
    waitFor(d -> param("cutoff") == null && d.findElement(By.id("f-cutoff")).isSelected()
        && summary.getText().startsWith("No clear matches"));

    // Where some images stand out, those are shown, with the way to the others after them.
    driver.get(base + "?q=city");
    waitForLoadedResults(clear);
    waitFor(d -> d.findElement(By.id("search-summary")).getText().startsWith(clear + " image"));
    assertTrue(driver.findElement(By.id("show-all")).isDisplayed());

    // A link with cutoff=0 opens with it off; clearing the filters restores the default.
    driver.get(base + "?q=city&cutoff=0&format=jpeg");
    // 24, or all 30 JPEGs: at this window size the grid's end lies close to the reach of the page's "keep filling a
    // tall screen" rule, and a layout a little shorter at that moment fetches the second page too (seen once).
    new WebDriverWait(driver, Duration.ofSeconds(30))
        .withMessage(() -> "waiting for at least 24 loaded results; " + describeResults())
        .until(d -> results().size() >= 24 && allImagesLoaded("#results img"));
    assertFalse(driver.findElement(By.id("f-cutoff")).isSelected());
    driver.findElement(By.id("filters-clear")).click();
    waitFor(d -> param("cutoff") == null && param("format") == null);
    assertTrue(driver.findElement(By.id("f-cutoff")).isSelected());
    waitForLoadedResults(clear);
  }

  @Test
  @Order(5)
  void uploadedImageFindsItselfFirst() {
    driver.get(base + "?cutoff=0");
    Path upload = index.files.get(7);
    driver.findElement(By.id("example-file")).sendKeys(upload.toString());
    waitFor(d -> d.findElement(By.id("example")).isDisplayed());
    waitForLoadedResults(24);
    assertEquals(upload.getFileName().toString(), results().get(0).findElement(By.tagName("img")).getAttribute("alt"),
        "the uploaded image itself is the best match");
    assertTrue(driver.findElement(By.id("search-summary")).getText().contains("example"));
    // Infinite scroll sends the example again for the next page.
    ((JavascriptExecutor) driver).executeScript("window.scrollTo(0, document.body.scrollHeight)");
    waitForLoadedResults(TestIndex.IMAGES);
    ((JavascriptExecutor) driver).executeScript("window.scrollTo(0, 0)");
    driver.findElement(By.id("example-clear")).click();
    waitFor(d -> !d.findElement(By.id("example")).isDisplayed());

    // Drag and drop: a file dropped anywhere on the page (here the original of image 11, as a browser holds it).
    String dropped = index.files.get(11).getFileName().toString();
    ((JavascriptExecutor) driver).executeAsyncScript(
        "const done = arguments[arguments.length - 1];"
            + "fetch('/api/images/' + arguments[0] + '/file').then(r => r.blob()).then(blob => {"
            + "  const dt = new DataTransfer();"
            + "  dt.items.add(new File([blob], arguments[1], {type: blob.type}));"
            + "  document.body.dispatchEvent(new DragEvent('dragenter', {dataTransfer: dt, bubbles: true}));"
            + "  document.body.dispatchEvent("
            + "new DragEvent('drop', {dataTransfer: dt, bubbles: true, cancelable: true}));"
            + "  done(true);"
            + "});", index.id(11), dropped);
    waitFor(d -> d.findElement(By.id("example")).isDisplayed()
        && d.findElement(By.id("example-text")).getText().contains(dropped));
    waitFor(d -> !results().isEmpty()
        && dropped.equals(results().get(0).findElement(By.tagName("img")).getAttribute("alt")));
    assertFalse(driver.findElement(By.id("drop-overlay")).isDisplayed(), "the drop overlay is gone");
  }

  @Test
  @Order(6)
  void classificationShowsBarsForUploadedAndIndexedImages() {
    driver.get(base);
    driver.findElement(By.cssSelector(".view-tab[data-view=classify]")).click();
    waitFor(d -> "classify".equals(param("view")) && d.findElement(By.id("view-classify")).isDisplayed());
    driver.findElement(By.id("c-file")).sendKeys(index.files.get(3).toString());
    waitFor(d -> d.findElement(By.id("c-chosen-text")).getText().contains("Uploaded"));
    driver.findElement(By.id("c-submit")).click();
    waitFor(d -> d.findElements(By.cssSelector("#bars .bar-row")).size() == 5);
    waitFor(d -> barWidths().stream().allMatch(w -> w > 0));
    List<Double> percents = driver.findElements(By.cssSelector("#bars .bar-value")).stream()
        .map(e -> Double.parseDouble(e.getText().replace("%", ""))).toList();
    assertEquals(100.0, percents.stream().mapToDouble(Double::doubleValue).sum(), 0.6, "probabilities add up");
    for (int i = 1; i < percents.size(); i++) {
      assertTrue(percents.get(i - 1) >= percents.get(i), "bars are sorted, most probable first");
    }

    // An image picked from the index.
    driver.findElement(By.id("c-find")).sendKeys("city");
    driver.findElement(By.id("c-find-button")).click();
    waitFor(d -> d.findElements(By.cssSelector("#c-picks .hit")).size() == 12);
    WebElement pick = driver.findElements(By.cssSelector("#c-picks .hit")).get(2);
    String name = pick.findElement(By.tagName("img")).getAttribute("alt");
    pick.click();
    waitFor(d -> d.findElement(By.id("c-chosen-text")).getText().contains(name));
    WebElement labels = driver.findElement(By.id("c-labels"));
    labels.clear();
    labels.sendKeys("red\ngreen\nblue");
    driver.findElement(By.id("c-submit")).click();
    waitFor(d -> d.findElements(By.cssSelector("#bars .bar-row")).size() == 3);
    waitFor(d -> barWidths().stream().allMatch(w -> w > 0));
    assertTrue(param("cid") != null, "the chosen indexed image is in the URL");
    ((JavascriptExecutor) driver).executeScript("window.scrollTo(0, 0)");
    Browser.screenshot(driver, "classify");
  }

  private List<Double> barWidths() {
    return driver.findElements(By.cssSelector("#bars .bar-fill")).stream()
        .map(e -> Double.parseDouble(e.getCssValue("width").replace("px", ""))).toList();
  }

  @Test
  @Order(7)
  void labelSearchShowsCountsPerLabel() {
    driver.get(base + "?view=labels");
    driver.findElement(By.cssSelector("#labels-form button[type=submit]")).click();
    waitFor(d -> d.findElements(By.cssSelector("#label-groups .label-group")).size() == 3);
    int total = 0;
    for (WebElement group : driver.findElements(By.cssSelector("#label-groups .label-group .count"))) {
      total += Integer.parseInt(group.getText().replaceAll("\\D", ""));
    }
    assertEquals(TestIndex.IMAGES, total, "every image has exactly one best label");
    waitFor(d -> allImagesLoaded("#label-groups img"));
    Browser.screenshot(driver, "labels");
  }

  @Test
  @Order(8)
  void phoneSizedScreen() {
    driver.manage().window().setSize(new Dimension(390, 844));
    driver.get(base + "?q=beach&cutoff=0");
    waitForLoadedResults(24);
    Object overflow = ((JavascriptExecutor) driver).executeScript(
        "return document.documentElement.scrollWidth > window.innerWidth");
    assertEquals(Boolean.FALSE, overflow, "no horizontal scrolling on a phone");
    Object columns = ((JavascriptExecutor) driver).executeScript(
        "return getComputedStyle(document.getElementById('results')).gridTemplateColumns.split(' ').length");
    assertEquals(2L, ((Number) columns).longValue(), "two columns of thumbnails on a phone");
    Browser.screenshot(driver, "phone");
  }

  @Test
  @Order(9)
  void keyboardOnly() {
    driver.get(base + "?q=beach&cutoff=0");
    waitForLoadedResults(24);
    // Tab from the search box reaches the results; Enter opens one, Escape closes it.
    WebElement firstHit = results().get(0);
    ((JavascriptExecutor) driver).executeScript("arguments[0].focus()", firstHit);
    driver.switchTo().activeElement().sendKeys(Keys.ENTER);
    WebElement dialog = driver.findElement(By.id("detail"));
    waitFor(d -> dialog.isDisplayed());
    driver.switchTo().activeElement().sendKeys(Keys.ESCAPE);
    waitFor(d -> !dialog.isDisplayed());
    String label = firstHit.getAttribute("aria-label").toLowerCase(Locale.ROOT);
    assertTrue(label.contains("score"), label);
  }

  @Test
  @Order(10)
  void withATokenThePageAsksForItOnce() throws Exception {
    try (WebServer guarded = index.server(WebServerConfig.builder().authToken("s3cret-token"))) {
      String url = guarded.uri().toString();
      driver.get(url + "?q=beach&cutoff=0");
      WebElement auth = driver.findElement(By.id("auth"));
      waitFor(d -> auth.isDisplayed());
      driver.findElement(By.id("auth-token")).sendKeys("s3cret-token", Keys.ENTER);
      waitFor(d -> !auth.isDisplayed());
      // Thumbnails are fetched with the token (as blobs); those near the viewport load at once.
      waitFor(d -> results().size() == 24 && allImagesLoaded("#results li:first-child img"));
      waitFor(d -> d.findElement(By.id("index-status")).getText().contains("40 images"));
      // Kept for the tab: a reload does not ask again.
      driver.navigate().refresh();
      waitFor(d -> results().size() == 24 && allImagesLoaded("#results li:first-child img"));
      assertFalse(driver.findElement(By.id("auth")).isDisplayed());
      ((JavascriptExecutor) driver).executeScript("sessionStorage.clear()");
    }
  }

  @Test
  @Order(11)
  void aSearchMadeWhileIndexingSaysNotYetAndRunsAgainWhenIndexingEnds() throws Exception {
    // What 'clipsearch serve FOLDER' does on a new index: an empty commit, the server, then the indexer.
    Path newIndex = Files.createTempDirectory("clipsearch-web-indexing").resolve("index");
    IndexingStatus status = new IndexingStatus();
    try (ImageIndexer indexer = ImageIndexer.builder().index(newIndex).model(index.model).threads(2).batchSize(8)
        .progress(status).build()) {
      indexer.store().commit();
      status.begin();
      try (WebServer building = WebServer.start(WebServerConfig.builder().index(newIndex).model(index.model)
          .indexing(status).port(0).build())) {
        driver.get(building.uri() + "?q=beach&cutoff=0");
        WebElement summary = driver.findElement(By.id("search-summary"));
        waitFor(d -> summary.getText().contains("still being indexed"));
        assertEquals(0, results().size());
        Browser.screenshot(driver, "still-indexing");

        indexer.index(List.of(index.photos));
        status.end();
        // No click: the page sees indexing end on its status line and searches again, over every image now.
        waitForLoadedResults(24);
        waitFor(d -> summary.getText().contains("24 images"));
        assertFalse(summary.getText().contains("indexing"), summary.getText());
        waitFor(d -> d.findElement(By.id("index-status")).getText().contains("40 images"));
      }
    } finally {
      try (var paths = Files.walk(newIndex.getParent())) {
        paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }
}
