package org.clipsearch.cluster;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Child JVMs with class paths of their own: the tests' JVM holds Solr's server with Lucene 9 and Jetty 10, which
 * the two sides under comparison must not see. The class paths are written by maven-dependency-plugin at build time
 * (target/classpath/*.txt, target/lucene10).
 */
final class Children {
  private static final Path CLASSES = Path.of("target/classes").toAbsolutePath();
  private static final Path TEST_CLASSES = Path.of("target/test-classes").toAbsolutePath();

  private Children() {}

  record Spec(String mainClass, List<String> classPath) {}

  record Result(int exitCode, List<String> stdout) {}

  /** The Solr side: this module and its run-time dependencies only (no Lucene, no Jetty). */
  static Spec solrSide() throws IOException {
    List<String> cp = new ArrayList<>();
    cp.add(CLASSES.toString());
    cp.add(TEST_CLASSES.toString());
    cp.addAll(listed("runtime.txt"));
    return new Spec(SolrSideMain.class.getName(), cp);
  }

  /** The embedded side: the same, plus the searcher module and Lucene 10. */
  static Spec embeddedSide() throws IOException {
    Spec solr = solrSide();
    List<String> cp = new ArrayList<>(solr.classPath());
    cp.addAll(listed("searcher.txt"));
    try (var jars = Files.list(Path.of(property("clipsearch.test.lucene10.dir")))) {
      jars.filter(p -> p.toString().endsWith(".jar")).forEach(p -> cp.add(p.toString()));
    }
    return new Spec(EmbeddedSideMain.class.getName(), cp);
  }

  private static List<String> listed(String file) throws IOException {
    String text = Files.readString(Path.of(property("clipsearch.test.classpath.dir"), file)).strip();
    return text.isEmpty() ? List.of() : Arrays.asList(text.split(File.pathSeparator));
  }

  private static String property(String name) {
    String value = System.getProperty(name);
    if (value == null) {
      throw new IllegalStateException("system property " + name + " is not set (run the tests through Maven)");
    }
    return value;
  }

  /** Runs the child to its end and fails unless it exits with 0; returns its standard output's lines. */
  static List<String> run(Spec spec, List<String> args, Path log) throws IOException, InterruptedException {
    Result result = start(spec, args, log);
    if (result.exitCode() != 0) {
      throw new AssertionError(spec.mainClass() + " exited with " + result.exitCode() + "; its output:\n"
          + Files.readString(log, StandardCharsets.UTF_8));
    }
    return result.stdout();
  }

  static Result start(Spec spec, List<String> args, Path log) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    String jvmArgs = System.getProperty("clipsearch.test.jvm.args", "");
    for (String arg : jvmArgs.split("\\s+")) {
      if (!arg.isBlank()) {
        command.add(arg);
      }
    }
    command.addAll(List.of("-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"));
    for (String property : List.of("ai.djl.offline", "OPT_OUT_TRACKING", "DJL_CACHE_DIR", "ENGINE_CACHE_DIR")) {
      if (System.getProperty(property) != null) { // the natives surefire's JVM already unpacked
        command.add("-D" + property + "=" + System.getProperty(property));
      }
    }
    command.addAll(List.of("-cp", String.join(File.pathSeparator, spec.classPath()), spec.mainClass()));
    command.addAll(args);
    Process child = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    if (!child.waitFor(240, TimeUnit.SECONDS)) {
      child.destroyForcibly();
      throw new AssertionError(spec.mainClass() + " did not finish in 240 s; its output:\n"
          + Files.readString(log, StandardCharsets.UTF_8));
    }
    return new Result(child.exitValue(), Files.readAllLines(log, StandardCharsets.UTF_8));
  }
}
