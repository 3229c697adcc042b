package org.clipsearch.searcher;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.clipsearch.api.LabelScore;
import org.clipsearch.encoders.Vectors;

/** CLIP's zero-shot rule: softmax over labels of the logit scale times the cosine similarity. */
final class ZeroShot {
  private ZeroShot() {}

  static List<LabelScore> rank(float[] image, List<String> labels, float[][] labelVectors, float logitScale, int top) {
    int n = labels.size();
    float[] scores = new float[n];
    double max = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < n; i++) {
      scores[i] = Vectors.dot(image, labelVectors[i]);
      max = Math.max(max, logitScale * scores[i]);
    }
    double sum = 0;
    double[] exp = new double[n];
    for (int i = 0; i < n; i++) {
      exp[i] = Math.exp(logitScale * scores[i] - max);
      sum += exp[i];
    }
    List<LabelScore> ranked = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      ranked.add(new LabelScore(labels.get(i), (float) (exp[i] / sum), scores[i]));
    }
    ranked.sort(Comparator.comparing((LabelScore s) -> -s.probability()));
    return ranked.subList(0, Math.min(Math.max(1, top), n));
  }
}
