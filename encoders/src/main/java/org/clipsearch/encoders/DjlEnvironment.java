package org.clipsearch.encoders;

import java.nio.file.Path;

/**
 * DJL's process-wide settings, applied before the first DJL class that reads them is loaded.
 *
 * <p>DJL downloads native libraries and models on demand and, unless told otherwise, probes a cloud metadata
 * address at start to report usage. clipsearch must never touch the network, so an application that embeds these
 * encoders gets the same settings as the launcher and the tests: offline mode, tracking opted out, and a cache
 * directory of its own. A value the application (or the environment) already set wins.
 */
public final class DjlEnvironment {
  private static volatile boolean configured;

  private DjlEnvironment() {}

  /** Applies the settings once; cheap to call again. */
  public static void ensureConfigured() {
    if (configured) {
      return;
    }
    synchronized (DjlEnvironment.class) {
      if (configured) {
        return;
      }
      setIfAbsent("ai.djl.offline", "DJL_OFFLINE", "true");
      setIfAbsent("OPT_OUT_TRACKING", "OPT_OUT_TRACKING", "true");
      String cache = cacheRoot().resolve("djl").toString();
      setIfAbsent("DJL_CACHE_DIR", "DJL_CACHE_DIR", cache);
      setIfAbsent("ENGINE_CACHE_DIR", "ENGINE_CACHE_DIR", cache);
      configured = true;
    }
  }

  /** Where clipsearch keeps unpacked native libraries and models from the classpath. */
  public static Path cacheRoot() {
    String configured = System.getProperty("clipsearch.cache.dir");
    if (configured == null || configured.isBlank()) {
      configured = System.getenv("CLIPSEARCH_CACHE_DIR");
    }
    if (configured != null && !configured.isBlank()) {
      return Path.of(configured);
    }
    String xdg = System.getenv("XDG_CACHE_HOME");
    Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
    return base.resolve("clipsearch");
  }

  private static void setIfAbsent(String property, String environmentVariable, String value) {
    if (System.getProperty(property) != null) {
      return;
    }
    String fromEnvironment = System.getenv(environmentVariable);
    System.setProperty(property, fromEnvironment != null ? fromEnvironment : value);
  }
}
