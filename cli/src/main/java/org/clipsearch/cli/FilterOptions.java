package org.clipsearch.cli;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import org.clipsearch.api.SearchFilters;
import picocli.CommandLine.Option;

/** Filters applied inside the vector search, shared by search, similar and labels (and what labels --tag tags). */
final class FilterOptions {
  @Option(names = "--folder", paramLabel = "DIR", description = "Only images under this folder.")
  String folder;

  @Option(names = "--name", paramLabel = "WORD",
      description = "Only images whose folder or file names contain WORD (repeatable).")
  List<String> names = new ArrayList<>();

  @Option(names = "--from", paramLabel = "DATE",
      description = "Taken (else modified) on or after DATE (YYYY-MM-DD or an ISO instant).")
  String from;

  @Option(names = "--to", paramLabel = "DATE", description = "Taken (else modified) before DATE.")
  String to;

  @Option(names = "--format", paramLabel = "FMT", split = ",", description = "Only these formats (jpeg,png,...).")
  List<String> formats = new ArrayList<>();

  @Option(names = "--min-width", paramLabel = "PX", description = "At least this wide.")
  Integer minWidth;

  @Option(names = "--min-height", paramLabel = "PX", description = "At least this high.")
  Integer minHeight;

  @Option(names = "--camera", paramLabel = "TEXT", description = "Camera make or model words.")
  String camera;

  @Option(names = "--label", paramLabel = "NAME",
      description = "Only images tagged with this label (see 'labels --tag').")
  String label;

  SearchFilters filters() {
    return new SearchFilters(folder, names, parseDate(from, "--from"), parseDate(to, "--to"), formats, minWidth,
        minHeight, camera, label);
  }

  static Instant parseDate(String value, String option) {
    if (value == null) {
      return null;
    }
    try {
      return LocalDate.parse(value).atStartOfDay().toInstant(ZoneOffset.UTC);
    } catch (DateTimeParseException e) {
      try {
        return Instant.parse(value);
      } catch (DateTimeParseException e2) {
        throw new IllegalArgumentException(option + ": '" + value + "' is not a date (YYYY-MM-DD) or an ISO instant");
      }
    } catch (DateTimeException e) {
      throw new IllegalArgumentException(option + ": '" + value + "' lies outside the years 0 to 9999");
    }
  }
}
