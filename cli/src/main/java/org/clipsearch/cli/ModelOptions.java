package org.clipsearch.cli;

import java.nio.file.Path;
import org.clipsearch.encoders.ClipModel;
import org.clipsearch.encoders.EncoderException;
import picocli.CommandLine.Option;

/** The model every command that embeds shares: a bundle directory, or the default model shipped on the classpath. */
final class ModelOptions {
  @Option(
      names = "--model",
      paramLabel = "DIR",
      description = "Model bundle directory (clipsearch or Immich/OpenCLIP layout). Default: the embedded model.")
  Path model;

  ClipModel load() {
    if (model != null) {
      return ClipModel.load(model);
    }
    try {
      return ClipModel.loadDefault();
    } catch (EncoderException e) {
      throw new EncoderException(
          "no default model is packaged in this build (" + e.getMessage() + "); pass --model DIR", e);
    }
  }
}
