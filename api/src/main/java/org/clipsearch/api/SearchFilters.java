package org.clipsearch.api;

import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Restrictions applied inside the vector search (not after it), so that a filtered search still returns its k best.
 * Every field is optional (null or empty means no restriction); all given ones must hold.
 *
 * @param folder only images under this folder (absolute path)
 * @param nameKeywords words that must all occur in the folder or file names
 * @param from capture date (else modification time) at or after
 * @param to capture date (else modification time) before
 * @param formats any of these formats ("jpeg", "png", ...)
 * @param minWidth at least this wide
 * @param minHeight at least this high
 * @param camera words that must occur in the camera make and model
 * @param label only images tagged with this label ({@code clipsearch labels --tag}); exact, after stripping spaces
 */
public record SearchFilters(
    String folder,
    List<String> nameKeywords,
    Instant from,
    Instant to,
    List<String> formats,
    Integer minWidth,
    Integer minHeight,
    String camera,
    String label) {
  public static final SearchFilters NONE =
      new SearchFilters(null, List.of(), null, null, List.of(), null, null, null, null);

  /** The formats an index records (ImageRecord.format), with the file-name spellings that mean them. */
  public static final List<String> FORMATS = List.of("jpeg", "png", "gif", "webp", "bmp", "tiff");
  private static final Map<String, String> FORMAT_ALIASES = Map.of("jpg", "jpeg", "tif", "tiff");
  /** Dates a filter may name: years 0 to 9999, and the instant just after the last day for an inclusive "to". */
  private static final Instant EARLIEST = Instant.parse("0000-01-01T00:00:00Z");
  private static final Instant LATEST = Instant.parse("+10000-01-01T00:00:00.001Z");

  /**
   * @throws IllegalArgumentException for a format no index records (after "jpg" and "tif" are read as "jpeg" and
   *     "tiff", case aside) or a date outside the years 0 to 9999: such a filter would match nothing, or overflow
   */
  public SearchFilters {
    nameKeywords = nameKeywords == null ? List.of() : List.copyOf(nameKeywords);
    formats = formats == null ? List.of() : formats.stream().map(SearchFilters::format).distinct().toList();
    label = label == null || label.isBlank() ? null : label.strip();
    checkDate("from", from);
    checkDate("to", to);
  }

  private static String format(String name) {
    String f = name.strip().toLowerCase(Locale.ROOT);
    f = FORMAT_ALIASES.getOrDefault(f, f);
    if (!FORMATS.contains(f)) {
      throw new IllegalArgumentException("unknown format '" + name + "'; known: " + String.join(", ", FORMATS));
    }
    return f;
  }

  private static void checkDate(String name, Instant date) {
    if (date != null && (date.isBefore(EARLIEST) || date.isAfter(LATEST))) {
      throw new IllegalArgumentException(name + " must lie between the years 0 and 9999, got " + date);
    }
  }

  /** The filters without a label filter (as before labels were added). */
  public SearchFilters(String folder, List<String> nameKeywords, Instant from, Instant to, List<String> formats,
      Integer minWidth, Integer minHeight, String camera) {
    this(folder, nameKeywords, from, to, formats, minWidth, minHeight, camera, null);
  }

  /** These filters, restricted to images tagged with {@code newLabel} (null: any). */
  public SearchFilters withLabel(String newLabel) {
    return new SearchFilters(folder, nameKeywords, from, to, formats, minWidth, minHeight, camera, newLabel);
  }

  public boolean isEmpty() {
    return folder == null && nameKeywords.isEmpty() && from == null && to == null && formats.isEmpty()
        && minWidth == null && minHeight == null && (camera == null || camera.isBlank()) && label == null;
  }
}
