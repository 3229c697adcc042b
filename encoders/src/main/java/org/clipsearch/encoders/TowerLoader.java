package org.clipsearch.encoders;

import ai.djl.MalformedModelException;
import ai.djl.engine.Engine;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.Translator;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Properties;

/**
 * Loads one tower with DJL's {@link Criteria}, and turns the engine's failures into messages that say what to do
 * (which artifact is missing, which file is broken).
 */
final class TowerLoader {
  private static final Properties VERSIONS = loadVersions();

  private TowerLoader() {}

  static <I, O> ZooModel<I, O> load(
      Path file, ModelBundle.Engine engine, Class<I> input, Class<O> output, Translator<I, O> translator) {
    DjlEnvironment.ensureConfigured();
    requireEngine(engine);
    String fileName = file.getFileName().toString();
    int dot = fileName.lastIndexOf('.');
    Criteria<I, O> criteria =
        Criteria.builder()
            .setTypes(input, output)
            .optEngine(engine.djlName())
            .optModelPath(file.getParent())
            .optModelName(dot > 0 ? fileName.substring(0, dot) : fileName)
            .optTranslator(translator)
            .build();
    try {
      return criteria.loadModel();
    } catch (ModelNotFoundException | MalformedModelException | IOException | RuntimeException e) {
      throw new EncoderException(
          "cannot load " + engine.djlName() + " model " + file + ": " + rootMessage(e), e);
    }
  }

  /** Starts the engine, or explains which Maven artifact would have brought its native library. */
  static void requireEngine(ModelBundle.Engine engine) {
    try {
      if (Engine.getEngine(engine.djlName()) == null) {
        throw new IllegalStateException("engine " + engine.djlName() + " not found");
      }
    } catch (RuntimeException | UnsatisfiedLinkError e) {
      throw new EncoderException(missingEngineMessage(engine) + " (cause: " + rootMessage(e) + ")", e);
    }
  }

  static String missingEngineMessage(ModelBundle.Engine engine) {
    String djl = VERSIONS.getProperty("djl.version", "?");
    return switch (engine) {
      case PYTORCH ->
          "the PyTorch engine cannot start: its native library was not found on the classpath and clipsearch"
              + " never downloads one. Add the Maven artifacts ai.djl.pytorch:pytorch-native-cpu:"
              + VERSIONS.getProperty("pytorch.native.version", "?") + ":linux-x86_64 (classifier linux-x86_64)"
              + " and ai.djl.pytorch:pytorch-jni:" + VERSIONS.getProperty("pytorch.native.version", "?") + "-"
              + djl + " beside ai.djl.pytorch:pytorch-engine:" + djl;
      case ONNX_RUNTIME ->
          "the ONNX Runtime engine cannot start: its native library was not found on the classpath. Add the"
              + " Maven artifact ai.djl.onnxruntime:onnxruntime-engine:" + djl
              + " with its dependency com.microsoft.onnxruntime:onnxruntime";
    };
  }

  static String rootMessage(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String message = root.getMessage();
    return root.getClass().getSimpleName() + (message == null ? "" : ": " + message.lines().findFirst().orElse(""));
  }

  private static Properties loadVersions() {
    Properties properties = new Properties();
    try (InputStream in = TowerLoader.class.getResourceAsStream("versions.properties")) {
      if (in != null) {
        properties.load(in);
      }
    } catch (IOException e) {
      // The versions only make error messages more precise.
    }
    return properties;
  }
}
