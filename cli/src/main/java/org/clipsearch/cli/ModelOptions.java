package org.clipsearch.cli;

import org.clipsearch.encoders.ClipModel;
import org.clipsearch.encoders.EncoderException;
import org.clipsearch.encoders.ModelBundle;
import picocli.CommandLine.Option;

/** The model every command that embeds shares: a bundle directory, or the default model shipped on the classpath. */
final class ModelOptions {
  @Option(
      names = "--model",
      paramLabel = "DIR",
      description =
          "Model bundle: a directory (clipsearch or Immich/OpenCLIP layout) or classpath:LOCATION."
              + " Default: the embedded model.")
  String model;

  ModelBundle bundle() {
    if (model != null) {
      return ModelBundle.resolve(model);
    }
    try {
      return ModelBundle.resolve(ModelBundle.CLASSPATH_PREFIX + ClipModel.DEFAULT_MODEL_LOCATION);
    } catch (EncoderException e) {
      throw new EncoderException(
          "no default model is packaged in this build (" + e.getMessage() + "); pass --model DIR", e);
    }
  }

  ClipModel load() {
    return ClipModel.load(bundle());
  }
}
