package org.clipsearch.searcher;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import org.clipsearch.api.LabelScore;
import org.clipsearch.api.LabeledHit;
import org.clipsearch.api.SearchHit;

/**
 * Label search's arithmetic, shared by both backends so that they answer alike: each image offered goes to its best
 * label (CLIP's zero-shot rule), and each label keeps only its {@code perLabel} most similar images, so that memory
 * stays bounded however large the collection. Not thread-safe.
 *
 * @param <K> how the backend names an image until it is turned into a hit (a document number, a path)
 */
public final class LabelRanking<K> {
  /** Turns a kept image into a hit whose score is the given similarity to its label. */
  @FunctionalInterface
  public interface HitReader<K> {
    SearchHit hit(K key, float score) throws IOException;
  }

  private record Entry<K>(K key, LabelScore label, long order) {}

  // The worst kept image on top, to be pushed out first; among equals, the one offered last.
  private static final Comparator<Entry<?>> WORST_FIRST =
      Comparator.comparingDouble((Entry<?> e) -> e.label.score()).thenComparing(e -> -e.order);

  private final List<String> labels;
  private final float[][] labelVectors;
  private final float logitScale;
  private final int perLabel;
  private final List<PriorityQueue<Entry<K>>> kept = new ArrayList<>();
  private final int[] counts;
  private long offered;

  public LabelRanking(List<String> labels, float[][] labelVectors, float logitScale, int perLabel) {
    this.labels = List.copyOf(labels);
    this.labelVectors = labelVectors;
    this.logitScale = logitScale;
    this.perLabel = Math.max(0, perLabel);
    this.counts = new int[labels.size()];
    for (int i = 0; i < labels.size(); i++) {
      kept.add(new PriorityQueue<>(WORST_FIRST));
    }
  }

  /** Classifies one image embedding and keeps it if it is among its best label's most similar so far. */
  public void offer(K key, float[] vector) {
    LabelScore best = ZeroShot.rank(vector, labels, labelVectors, logitScale, 1).get(0);
    int index = labels.indexOf(best.label());
    counts[index]++;
    if (perLabel == 0) {
      return;
    }
    PriorityQueue<Entry<K>> queue = kept.get(index);
    Entry<K> entry = new Entry<>(key, best, offered++);
    if (queue.size() < perLabel) {
      queue.add(entry);
    } else if (WORST_FIRST.compare(entry, queue.peek()) > 0) {
      queue.poll();
      queue.add(entry);
    }
  }

  /**
   * For each label in the order given, its kept images most similar first (ties by path, so that both backends list
   * them alike), with the number of images whose best label it is.
   */
  public Map<String, List<LabeledHit>> result(HitReader<K> reader) throws IOException {
    Map<String, List<LabeledHit>> result = new LinkedHashMap<>();
    for (int i = 0; i < labels.size(); i++) {
      List<Entry<K>> entries = new ArrayList<>(kept.get(i));
      entries.sort(WORST_FIRST.reversed());
      List<LabeledHit> hits = new ArrayList<>(entries.size());
      for (Entry<K> e : entries) {
        hits.add(new LabeledHit(e.label, reader.hit(e.key, e.label.score()), counts[i]));
      }
      hits.sort(Comparator.comparingDouble((LabeledHit h) -> -h.hit().score())
          .thenComparing(h -> h.hit().path(), SearchMath.PATH_ORDER));
      result.put(labels.get(i), List.copyOf(hits));
    }
    return result;
  }
}
