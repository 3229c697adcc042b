package org.clipsearch.searcher;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import org.apache.lucene.search.Query;
import org.clipsearch.api.LabelScore;
import org.clipsearch.api.SearchFilters;
import org.clipsearch.api.TagReport;
import org.clipsearch.api.TagSettings;
import org.clipsearch.indexer.lucene.HnswSettings;
import org.clipsearch.indexer.lucene.LuceneImageStore;
import org.clipsearch.indexer.lucene.VectorFormat;

/**
 * Label tagging: classifies every indexed image (that matches the filters) among the labels, as label search does,
 * and writes its most probable labels into the index through the index writer, in one commit. A run replaces the
 * tags of the images it classifies, whatever labels they had; images outside its filters keep theirs.
 */
final class LabelTagger {
  private LabelTagger() {}

  static TagReport tag(Path index, ZeroShotClassifier classifier, List<String> labels, List<String> templates,
      TagSettings settings, SearchFilters filters) throws IOException {
    List<String> names = distinctLabels(labels);
    float[][] vectors = classifier.labelVectors(names, templates);
    float scale = classifier.logitScale();
    Query filter = ImageSearcher.filterQuery(filters);
    Map<String, Long> counts = new LinkedHashMap<>();
    names.forEach(l -> counts.put(l, 0L));
    long[] classified = {0};
    // The writer's codec decides the format of the rewritten documents' vectors: keep the index's own.
    VectorFormat format = LuceneImageStore.recordedVectorFormat(index);
    HnswSettings hnsw = format == null ? HnswSettings.DEFAULT
        : new HnswSettings(HnswSettings.DEFAULT.maxConn(), HnswSettings.DEFAULT.beamWidth(), format);
    try (LuceneImageStore store = LuceneImageStore.open(index, hnsw)) {
      long rewritten = store.replaceLabels(filter, vector -> {
        classified[0]++;
        List<LabelScore> tags = pick(ZeroShot.rank(vector, names, vectors, scale, settings.top()), settings);
        tags.forEach(t -> counts.merge(t.label(), 1L, Long::sum));
        return tags;
      });
      store.commit();
      return new TagReport(names, classified[0], rewritten, counts);
    }
  }

  /** The most probable label, then the next ones while above the minimum probability, at most {@code top}. */
  static List<LabelScore> pick(List<LabelScore> ranked, TagSettings settings) {
    List<LabelScore> tags = new ArrayList<>();
    for (LabelScore l : ranked) {
      if (tags.size() >= settings.top() || (!tags.isEmpty() && l.probability() < settings.minProbability())) {
        break;
      }
      tags.add(l);
    }
    return tags;
  }

  static List<String> distinctLabels(List<String> labels) {
    if (labels == null) {
      throw new IllegalArgumentException("no labels given");
    }
    LinkedHashSet<String> names = new LinkedHashSet<>();
    for (int i = 0; i < labels.size(); i++) {
      String label = labels.get(i) == null ? "" : labels.get(i).strip();
      if (label.isEmpty()) {
        throw new IllegalArgumentException("label " + (i + 1) + " is empty");
      }
      names.add(label);
    }
    if (names.size() < 2) {
      throw new IllegalArgumentException("tagging needs at least two different labels to choose between");
    }
    return List.copyOf(names);
  }
}
