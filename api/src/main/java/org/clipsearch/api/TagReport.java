package org.clipsearch.api;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a tagging run did.
 *
 * @param labels the labels of the run, as given
 * @param classified images classified (those that matched the filters)
 * @param rewritten images whose tags changed, and so whose documents were rewritten
 * @param counts per label, how many of the classified images now carry it, in the order of {@code labels}
 */
public record TagReport(List<String> labels, long classified, long rewritten, Map<String, Long> counts) {
  public TagReport {
    labels = List.copyOf(labels);
    counts = Collections.unmodifiableMap(new LinkedHashMap<>(counts));
  }
}
