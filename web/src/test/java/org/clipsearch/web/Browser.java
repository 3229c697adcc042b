package org.clipsearch.web;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * Debian's headless Chromium driven through Debian's chromedriver; Selenium is never allowed to look for or download
 * a driver or a browser. Without them the browser tests fail, saying what to install.
 */
final class Browser {
  static final File CHROMIUM = new File(System.getProperty("clipsearch.chromium", "/usr/bin/chromium"));
  static final File CHROMEDRIVER = new File(System.getProperty("clipsearch.chromedriver", "/usr/bin/chromedriver"));
  static final Path SCREENSHOTS = Path.of("target", "screenshots");

  private Browser() {}

  static ChromeDriver start(Path profile) {
    for (File f : List.of(CHROMIUM, CHROMEDRIVER)) {
      if (!f.canExecute()) {
        throw new AssertionError("The browser tests need Debian's chromium and chromium-driver, and " + f
            + " is missing: run 'apt-get install -y chromium chromium-driver' (as .ci/run must). "
            + "Other locations: -Dclipsearch.chromium=... -Dclipsearch.chromedriver=...");
      }
    }
    // Selenium Manager must not run (it would try to download a driver): the driver is given, and offline.
    System.setProperty("webdriver.chrome.driver", CHROMEDRIVER.getAbsolutePath());
    System.setProperty("SE_OFFLINE", "true");
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM);
    options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
        "--disable-extensions", "--disable-default-apps", "--mute-audio", "--hide-scrollbars",
        "--force-device-scale-factor=1", "--lang=en-US", "--user-data-dir=" + profile.toAbsolutePath());
    options.setCapability("goog:loggingPrefs", Map.of("browser", "ALL"));
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(CHROMEDRIVER)
        .usingAnyFreePort()
        .withTimeout(Duration.ofSeconds(60))
        .build();
    ChromeDriver driver = new ChromeDriver(service, options);
    driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(30));
    driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(60));
    driver.manage().window().setSize(new Dimension(1100, 760));
    return driver;
  }

  /** A parameter of the page's current URL (its state: query, filters, open image), or null. */
  static String param(WebDriver driver, String name) {
    Object v = ((JavascriptExecutor) driver).executeScript(
        "return new URLSearchParams(location.search).get(arguments[0]);", name);
    return v == null ? null : v.toString();
  }

  /** Saves a screenshot under web/target/screenshots, the test artifact. */
  static Path screenshot(ChromeDriver driver, String name) {
    try {
      Files.createDirectories(SCREENSHOTS);
      Path file = SCREENSHOTS.resolve(name + ".png");
      Files.write(file, driver.getScreenshotAs(OutputType.BYTES));
      return file.toAbsolutePath();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
