package org.clipsearch.api;

import java.time.Instant;
import java.util.List;

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

  public SearchFilters {
    nameKeywords = nameKeywords == null ? List.of() : List.copyOf(nameKeywords);
    formats = formats == null ? List.of() : List.copyOf(formats);
    label = label == null || label.isBlank() ? null : label.strip();
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
