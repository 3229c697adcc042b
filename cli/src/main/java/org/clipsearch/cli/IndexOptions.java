package org.clipsearch.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Where the embedded index lies; shared by every command that reads or writes it. */
final class IndexOptions {
  @Option(
      names = "--index",
      paramLabel = "DIR",
      description = "Index folder (default: index-data/index in the clipsearch folder).")
  Path index;

  Path path() {
    if (index != null) {
      return index;
    }
    String home = System.getProperty("clipsearch.home");
    return (home != null ? Path.of(home) : Path.of("")).resolve("index-data").resolve("index").toAbsolutePath();
  }
}
