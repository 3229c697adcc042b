package org.clipsearch.searcher;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.clipsearch.api.LabelScore;
import org.clipsearch.encoders.ClipModel;
import org.clipsearch.encoders.Vectors;

/**
 * Zero-shot classification: labels embedded through an ensemble of prompt templates and averaged (as the CLIP
 * paper does), probabilities by a softmax of the model's logit scale times the cosine similarities. Thread-safe;
 * label embeddings are cached, since the same labels are asked for again and again.
 */
public final class ZeroShotClassifier {
  private final ClipModel model;
  private final Map<String, float[]> cache = new ConcurrentHashMap<>();

  public ZeroShotClassifier(ClipModel model) {
    this.model = model;
  }

  /** Each label's embedding: the normalised mean of its prompts' embeddings. */
  public float[][] labelVectors(List<String> labels, List<String> templates) {
    if (labels == null || labels.isEmpty()) {
      throw new IllegalArgumentException("no labels given");
    }
    List<String> templateList = templates == null || templates.isEmpty() ? PromptTemplates.DEFAULT : templates;
    for (String t : templateList) {
      if (!t.contains("{}")) {
        throw new IllegalArgumentException("template '" + t + "' has no {} where the label goes");
      }
    }
    float[][] vectors = new float[labels.size()][];
    for (int i = 0; i < labels.size(); i++) {
      String label = labels.get(i) == null ? "" : labels.get(i).strip();
      if (label.isEmpty()) {
        throw new IllegalArgumentException("label " + (i + 1) + " is empty");
      }
      String key = label + "\u0000" + String.join("\u0000", templateList);
      vectors[i] = cache.computeIfAbsent(key, x -> {
        float[][] prompts = model.encodeTexts(PromptTemplates.apply(templateList, label));
        float[] mean = new float[model.dimension()];
        for (float[] p : prompts) {
          for (int d = 0; d < mean.length; d++) {
            mean[d] += p[d];
          }
        }
        return Vectors.normalizeInPlace(mean);
      });
    }
    return vectors;
  }

  /** Labels of an image embedding by probability, best first, at most {@code top}. */
  public List<LabelScore> classify(float[] image, List<String> labels, List<String> templates, int top) {
    return ZeroShot.rank(image, labels, labelVectors(labels, templates), model.logitScale(), top);
  }

  float logitScale() {
    return model.logitScale();
  }
}
