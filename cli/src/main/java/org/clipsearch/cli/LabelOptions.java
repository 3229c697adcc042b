package org.clipsearch.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Option;

/** Labels for zero-shot classification: a comma-separated list or a file with one label a line. */
final class LabelOptions {
  @ArgGroup(exclusive = true, multiplicity = "1")
  Source source;

  static final class Source {
    @Option(names = "--labels", paramLabel = "LIST", description = "Comma-separated labels: \"cat,dog,car\".")
    String labels;

    @Option(names = "--labels-file", paramLabel = "FILE", description = "One label a line.")
    Path file;
  }

  @Option(names = "--template", paramLabel = "TEXT",
      description = "Prompt template with {} for the label (repeatable; default: an ensemble of 12).")
  List<String> templates = new ArrayList<>();

  List<String> labels() throws IOException {
    List<String> raw = source.file != null
        ? Files.readAllLines(source.file, StandardCharsets.UTF_8)
        : Arrays.asList(source.labels.split(","));
    List<String> labels = raw.stream().map(String::strip).filter(s -> !s.isEmpty()).distinct().toList();
    if (labels.size() < 2) {
      throw new IllegalArgumentException("give at least two labels to choose between");
    }
    return labels;
  }
}
