package org.clipsearch.searcher;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.apache.lucene.search.Query;
import org.clipsearch.api.SearchFilters;
import org.clipsearch.api.TagReport;
import org.clipsearch.api.TagSettings;
import org.clipsearch.indexer.lucene.HnswSettings;
import org.clipsearch.indexer.lucene.LuceneImageStore;

/**
 * Label tagging: classifies every indexed image (that matches the filters) among the labels, as label search does,
 * and writes its most probable labels into the index through the index writer, in one commit. A run replaces the
 * tags of the images it classifies, whatever labels they had; images outside its filters keep theirs.
 */
final class LabelTagger {
  private LabelTagger() {}

  static TagReport tag(Path index, ZeroShotClassifier classifier, List<String> labels, List<String> templates,
      TagSettings settings, SearchFilters filters) throws IOException {
    LabelTags tags = new LabelTags(classifier, labels, templates, settings);
    Query filter = ImageSearcher.filterQuery(filters);
    // The writer's codec decides how the rewritten documents' vectors are stored: keep the index's own settings.
    HnswSettings hnsw = LuceneImageStore.settingsFor(index, null, null, null);
    try (LuceneImageStore store = LuceneImageStore.open(index, hnsw)) {
      long rewritten = store.replaceLabels(filter, tags::of);
      store.commit();
      return tags.report(rewritten);
    }
  }
}
