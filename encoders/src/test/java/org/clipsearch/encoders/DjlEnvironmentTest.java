package org.clipsearch.encoders;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * In a fresh JVM with none of the launcher's flags, as an application embedding the library would be: DJL is put
 * offline with tracking opted out, and a missing PyTorch native library fails with a message naming the artifact.
 */
class DjlEnvironmentTest {
  @TempDir Path cache;

  private String runProbe(String engine, boolean withoutPytorchNatives, String... jvmOptions) throws Exception {
    String classPath =
        Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
            .filter(entry -> !withoutPytorchNatives || !entry.contains("pytorch-native-cpu"))
            .collect(Collectors.joining(File.pathSeparator));
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Dclipsearch.cache.dir=" + cache);
    command.addAll(List.of(jvmOptions));
    command.add("-cp");
    command.add(classPath);
    command.add(MissingNativeProbe.class.getName());
    command.add(engine);
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    // The child must not inherit the test JVM's DJL settings through the environment either.
    builder.environment().keySet().removeIf(k -> k.startsWith("DJL_") || k.equals("OPT_OUT_TRACKING")
        || k.equals("ENGINE_CACHE_DIR") || k.equals("PYTORCH_LIBRARY_PATH"));
    Process process = builder.start();
    assertTrue(process.waitFor(120, TimeUnit.SECONDS), "probe did not finish");
    return new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
  }

  @Test
  void libraryDefaultsKeepDjlOffline() throws Exception {
    String output = runProbe("ONNX_RUNTIME", false);
    assertTrue(output.contains("property ai.djl.offline=true"), output);
    assertTrue(output.contains("property OPT_OUT_TRACKING=true"), output);
    assertTrue(output.contains("property DJL_CACHE_DIR=" + cache.resolve("djl")), output);
    assertTrue(output.contains("property ai.djl.pytorch.graph_optimizer=false"), output);
    assertTrue(output.contains("engine started"), output);
  }

  /** The application's own choice of TorchScript's optimiser is kept, as every other DJL setting is. */
  @Test
  void anApplicationsGraphOptimizerChoiceWins() throws Exception {
    String output = runProbe("ONNX_RUNTIME", false, "-Dai.djl.pytorch.graph_optimizer=true");
    assertTrue(output.contains("property ai.djl.pytorch.graph_optimizer=true"), output);
  }

  @Test
  void missingPytorchNativeLibraryNamesTheArtifact() throws Exception {
    String output = runProbe("PYTORCH", true);
    assertTrue(output.contains("error: the PyTorch engine cannot start"), output);
    assertTrue(output.contains("ai.djl.pytorch:pytorch-native-cpu:2.7.1:linux-x86_64"), output);
    assertTrue(output.contains("ai.djl.pytorch:pytorch-jni:2.7.1-0.36.0"), output);
  }
}
