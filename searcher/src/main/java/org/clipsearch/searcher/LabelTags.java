package org.clipsearch.searcher;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import org.clipsearch.api.LabelScore;
import org.clipsearch.api.TagReport;
import org.clipsearch.api.TagSettings;

/**
 * One tagging run's choice of labels for each image, shared by both backends so that they tag alike: the image is
 * classified among the run's labels (CLIP's zero-shot rule, as label search does), and its most probable label is
 * kept, then the next ones while at least {@link TagSettings#minProbability()}, at most {@link TagSettings#top()}.
 * Counts what it chose, for the run's {@link TagReport}. Not thread-safe.
 */
public final class LabelTags {
  private final List<String> labels;
  private final float[][] labelVectors;
  private final float logitScale;
  private final TagSettings settings;
  private final Map<String, Long> counts = new LinkedHashMap<>();
  private long classified;

  public LabelTags(ZeroShotClassifier classifier, List<String> labels, List<String> templates, TagSettings settings) {
    this.labels = distinct(labels);
    this.labelVectors = classifier.labelVectors(this.labels, templates);
    this.logitScale = classifier.logitScale();
    this.settings = settings == null ? TagSettings.DEFAULT : settings;
    this.labels.forEach(l -> counts.put(l, 0L));
  }

  /** The tags of an image embedding, most probable first. */
  public List<LabelScore> of(float[] vector) {
    classified++;
    List<LabelScore> tags = new ArrayList<>();
    for (LabelScore l : ZeroShot.rank(vector, labels, labelVectors, logitScale, settings.top())) {
      if (tags.size() >= settings.top() || (!tags.isEmpty() && l.probability() < settings.minProbability())) {
        break;
      }
      tags.add(l);
      counts.merge(l.label(), 1L, Long::sum);
    }
    return tags;
  }

  /** What the run did, with {@code rewritten} images whose tags changed. */
  public TagReport report(long rewritten) {
    return new TagReport(labels, classified, rewritten, counts);
  }

  private static List<String> distinct(List<String> labels) {
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
