package org.clipsearch.encoders;

/**
 * Run in a child JVM by {@link DjlEnvironmentTest}: prints DJL's settings after {@link DjlEnvironment} applied its
 * defaults, then tries to start the engine named in the first argument.
 */
public final class MissingNativeProbe {
  private MissingNativeProbe() {}

  public static void main(String[] args) {
    DjlEnvironment.ensureConfigured();
    for (String key : new String[] {"ai.djl.offline", "OPT_OUT_TRACKING", "DJL_CACHE_DIR",
        "ai.djl.pytorch.graph_optimizer"}) {
      System.out.println("property " + key + "=" + System.getProperty(key));
    }
    try {
      TowerLoader.requireEngine(ModelBundle.Engine.valueOf(args[0]));
      System.out.println("engine started");
    } catch (EncoderException e) {
      System.out.println("error: " + e.getMessage());
    }
  }
}
