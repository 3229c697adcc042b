package org.clipsearch.encoders;

import java.nio.file.Path;

/**
 * DJL's process-wide settings, applied before the first DJL class that reads them is loaded.
 *
 * <p>DJL downloads native libraries and models on demand and, unless told otherwise, probes a cloud metadata
 * address at start to report usage. clipsearch must never touch the network, so an application that embeds these
 * encoders gets the same settings as the launcher and the tests: offline mode, tracking opted out, and a cache
 * directory of its own. A value the application (or the environment) already set wins.
 *
 * <p>TorchScript's graph executor optimiser is turned off too ({@code ai.djl.pytorch.graph_optimizer=false}, which
 * DJL applies on every forward pass's thread). With it on, about one JVM in six ran the default model's image tower
 * at batch 1 in a slow state for its whole life (41-56 ms a call instead of 6-9; docs/benchmarks.md, "The graph
 * executor optimiser"), and every new batch size paid a profiling pass; with it off, no run was slow and batch 32
 * stayed within its run-to-run spread.
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
      setIfAbsent("ai.djl.pytorch.graph_optimizer", null, "false");
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
    String fromEnvironment = environmentVariable == null ? null : System.getenv(environmentVariable);
    System.setProperty(property, fromEnvironment != null ? fromEnvironment : value);
  }
}
