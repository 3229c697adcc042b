package org.clipsearch.searcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.clipsearch.api.Classification;
import org.clipsearch.api.LabelScore;
import org.clipsearch.api.LabeledHit;
import org.clipsearch.api.SearchFilters;
import org.clipsearch.encoders.ClipModel;
import org.clipsearch.encoders.Images;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Zero-shot classification and label search, against an independent computation: label vectors as the normalised
 * mean of the templates' text embeddings, probabilities as the softmax of the logit scale times the cosines.
 */
class ZeroShotTest extends SharedCorpusTest {
  static final List<String> LABELS = List.of("cat", "dog", "car", "tree", "beach", "a red house");

  /** The CLIP paper's prompt ensemble, computed here: the normalised mean of each template's embedding. */
  static float[] labelVector(ClipModel model, String label, List<String> templates) {
    float[][] prompts = templates.stream().map(t -> model.encodeText(t.replace("{}", label))).toArray(float[][]::new);
    double[] weights = new double[prompts.length];
    Arrays.fill(weights, 1.0 / prompts.length);
    return BruteForce.normalizedSum(prompts, weights);
  }

  /** Softmax over labels of {@code scale} times each label's cosine with {@code image}. */
  static double[] probabilities(float[] image, float[][] labels, double scale) {
    double[] logits = new double[labels.length];
    double max = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < labels.length; i++) {
      logits[i] = scale * BruteForce.dot(image, labels[i]);
      max = Math.max(max, logits[i]);
    }
    double sum = 0;
    for (int i = 0; i < logits.length; i++) {
      logits[i] = Math.exp(logits[i] - max);
      sum += logits[i];
    }
    for (int i = 0; i < logits.length; i++) {
      logits[i] /= sum;
    }
    return logits;
  }

  static void assertClassification(List<LabelScore> actual, float[] image, List<String> labels, float[][] vectors,
      double scale, String what) {
    double[] expected = probabilities(image, vectors, scale);
    assertEquals(labels.size(), actual.size(), what);
    assertEquals(1.0, actual.stream().mapToDouble(LabelScore::probability).sum(), 1e-5, what + ": probabilities sum");
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < actual.size(); i++) {
      LabelScore s = actual.get(i);
      assertTrue(seen.add(s.label()), what + ": " + s.label() + " twice");
      int j = labels.indexOf(s.label());
      assertEquals(BruteForce.dot(image, vectors[j]), s.score(), 1e-5, what + ": cosine of " + s.label());
      assertEquals(expected[j], s.probability(), 1e-5, what + ": probability of " + s.label());
      if (i > 0) {
        assertTrue(actual.get(i - 1).probability() >= s.probability(), what + ": most probable first");
        assertTrue(actual.get(i - 1).score() >= s.score(), what + ": the same order as by cosine");
      }
    }
  }

  @Test
  void defaultTemplatesAreAnEnsembleOfAtLeastTen() {
    assertTrue(PromptTemplates.DEFAULT.size() >= 10, "at least 10 templates");
    assertEquals(PromptTemplates.DEFAULT.size(), new HashSet<>(PromptTemplates.DEFAULT).size(), "no repeats");
    PromptTemplates.DEFAULT.forEach(t -> assertTrue(t.contains("{}"), t));
    assertEquals(List.of("a photo of a dog.", "dog"), PromptTemplates.apply(List.of("a photo of a {}.", "{}"), "dog"));
  }

  @Test
  void labelVectorsAreTheNormalisedMeanOfTheTemplateEmbeddings() {
    List<String> mine = List.of("a photo of a {}.", "a drawing of a {}.", "{} in the wild");
    float[][] vectors = searcher.classifier().labelVectors(LABELS, mine);
    float[][] defaults = searcher.classifier().labelVectors(LABELS, null);
    assertEquals(LABELS.size(), vectors.length);
    for (int i = 0; i < LABELS.size(); i++) {
      assertVector(labelVector(model, LABELS.get(i), mine), vectors[i], LABELS.get(i));
      assertVector(labelVector(model, LABELS.get(i), PromptTemplates.DEFAULT), defaults[i],
          LABELS.get(i) + ", default templates");
      // One template: the label vector is that sentence's embedding.
      assertVector(model.encodeText("a sketch of a " + LABELS.get(i)),
          searcher.classifier().labelVectors(List.of(LABELS.get(i)), List.of("a sketch of a {}"))[0], "one template");
    }
    assertVector(labelVector(model, "dog", mine), searcher.classifier().labelVectors(List.of("  dog "), mine)[0],
        "labels are stripped");
  }

  static void assertVector(float[] expected, float[] actual, String what) {
    assertEquals(expected.length, actual.length, what);
    assertEquals(1.0, BruteForce.dot(actual, actual), 1e-5, what + ": unit length");
    for (int i = 0; i < expected.length; i++) {
      assertEquals(expected[i], actual[i], 1e-5, what + ", dimension " + i);
    }
  }

  @Test
  void classifyIsTheSoftmaxOfTheLogitScaleTimesTheCosines() throws IOException {
    assertEquals(100f, model.logitScale(), "the fixture's logit scale (clipsearch-model.json)");
    float[][] vectors = LABELS.stream().map(l -> labelVector(model, l, PromptTemplates.DEFAULT))
        .toArray(float[][]::new);
    int n = 0;
    for (Corpus.Image image : corpus.images.values()) {
      if (n++ % 40 != 0) {
        continue;
      }
      float[] embedding = model.encodeImage(Images.read(image.path()));
      Classification c = searcher.classify(image.key(), Images.read(image.path()), LABELS, null, LABELS.size());
      assertEquals(image.key(), c.path());
      assertClassification(c.labels(), embedding, LABELS, vectors, 100, image.path().toString());

      List<LabelScore> top2 = searcher.classify(embedding, LABELS, PromptTemplates.DEFAULT, 2);
      assertEquals(c.labels().subList(0, 2), top2, "top 2");
    }
  }

  @Test
  void aLabelsOwnVectorIsClassifiedAsThatLabel() {
    float[][] vectors = searcher.classifier().labelVectors(LABELS, null);
    for (int i = 0; i < LABELS.size(); i++) {
      LabelScore best = searcher.classify(vectors[i], LABELS, null, 1).get(0);
      assertEquals(LABELS.get(i), best.label());
      assertEquals(1.0, best.score(), 1e-5);
    }
  }

  @Test
  void theLogitScaleComesFromTheModel() throws IOException {
    // The same towers with logit_scale 10 instead of 100: flatter probabilities, the same cosines and order.
    Path copy = TestFiles.scratch("model-logit10");
    for (String file : List.of("image.pt", "text.pt", "tokenizer.json")) {
      Files.copy(TestFiles.TINY_TORCHSCRIPT.resolve(file), copy.resolve(file));
    }
    String manifest = Files.readString(TestFiles.TINY_TORCHSCRIPT.resolve("clipsearch-model.json"));
    assertTrue(manifest.contains("\"logit_scale\": 100.0"), manifest);
    Files.writeString(copy.resolve("clipsearch-model.json"), manifest.replace("\"logit_scale\": 100.0",
        "\"logit_scale\": 10.0"));
    try (ClipModel flat = ClipModel.load(copy)) {
      assertEquals(10f, flat.logitScale());
      ZeroShotClassifier classifier = new ZeroShotClassifier(flat);
      float[][] vectors = LABELS.stream().map(l -> labelVector(model, l, PromptTemplates.DEFAULT))
          .toArray(float[][]::new);
      Corpus.Image image = new ArrayList<>(corpus.images.values()).get(33);
      float[] embedding = corpus.brute.vectors.get(image.key());
      List<LabelScore> at10 = classifier.classify(embedding, LABELS, null, LABELS.size());
      List<LabelScore> at100 = searcher.classify(embedding, LABELS, null, LABELS.size());
      assertClassification(at10, embedding, LABELS, vectors, 10, "logit scale 10");
      assertClassification(at100, embedding, LABELS, vectors, 100, "logit scale 100");
      assertEquals(at100.stream().map(LabelScore::label).toList(), at10.stream().map(LabelScore::label).toList());
      assertTrue(at10.get(0).probability() < at100.get(0).probability(), "a smaller scale, a flatter softmax");
    }
  }

  @Test
  void badLabelsAndTemplatesAreRefusedWithAReason() {
    float[] image = corpus.brute.vectors.values().iterator().next();
    assertMessage(() -> searcher.classify(image, List.of(), null, 3), "no labels");
    assertMessage(() -> searcher.classify(image, null, null, 3), "no labels");
    assertMessage(() -> searcher.classify(image, List.of("cat", " ", "dog"), null, 3), "label 2 is empty");
    assertMessage(() -> searcher.classify(image, List.of("cat", ""), null, 3), "label 2 is empty");
    assertMessage(() -> searcher.classify(image, List.of("cat", "dog"), List.of("a photo of a {}.", "a photo"), 3),
        "template 'a photo' has no {}");
    assertMessage(() -> searcher.labelSearch(List.of(), null, 5, null), "no labels");
    assertMessage(() -> searcher.labelSearch(List.of("cat"), List.of("cat"), 5, null), "has no {}");
  }

  static void assertMessage(Executable call, String expected) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
    assertTrue(e.getMessage() != null && e.getMessage().contains(expected),
        "expected a message with '" + expected + "', got: " + e.getMessage());
  }

  // ---------------------------------------------------------------------------------------------- label search

  /** Each image's best label among {@code labels}, computed here. */
  static Map<String, String> argmaxLabels(List<String> labels, Set<String> images) {
    float[][] vectors = labels.stream().map(l -> labelVector(model, l, PromptTemplates.DEFAULT))
        .toArray(float[][]::new);
    Map<String, String> best = new HashMap<>();
    for (String path : images) {
      float[] v = corpus.brute.vectors.get(path);
      int arg = 0;
      for (int i = 1; i < labels.size(); i++) {
        if (BruteForce.dot(v, vectors[i]) > BruteForce.dot(v, vectors[arg])) {
          arg = i;
        }
      }
      best.put(path, labels.get(arg));
    }
    return best;
  }

  @Test
  void labelSearchPutsEveryImageUnderItsBestLabelOnly() throws IOException {
    Map<String, String> best = argmaxLabels(LABELS, corpus.images.keySet());
    assertTrue(new HashSet<>(best.values()).size() >= 2,
        "test set-up: the images spread over labels: " + best.values());
    float[][] vectors = searcher.classifier().labelVectors(LABELS, null);

    Map<String, List<LabeledHit>> byLabel = searcher.labelSearch(LABELS, null, 1000, null);
    assertEquals(LABELS, new ArrayList<>(byLabel.keySet()), "every label, in the order given");
    Set<String> seen = new HashSet<>();
    for (var entry : byLabel.entrySet()) {
      String label = entry.getKey();
      List<LabeledHit> hits = entry.getValue();
      long expectedCount = best.values().stream().filter(label::equals).count();
      assertEquals(expectedCount, hits.size(), "images whose best label is " + label);
      float[] labelVector = vectors[LABELS.indexOf(label)];
      for (int i = 0; i < hits.size(); i++) {
        LabeledHit h = hits.get(i);
        assertTrue(seen.add(h.hit().path()), h.hit().path() + " under two labels");
        assertEquals(label, best.get(h.hit().path()), h.hit().path() + " is not at its best label");
        assertEquals(label, h.label().label());
        assertEquals(expectedCount, h.labelCount());
        double cosine = BruteForce.dot(corpus.brute.vectors.get(h.hit().path()), labelVector);
        assertEquals(cosine, h.label().score(), 1e-5, "the label's cosine");
        assertEquals(cosine, h.hit().score(), 1e-5, "the hit's score is the label's cosine");
        assertEquals(probabilities(corpus.brute.vectors.get(h.hit().path()), vectors, 100)[LABELS.indexOf(label)],
            h.label().probability(), 1e-5, "the label's probability");
        if (i > 0) {
          assertTrue(hits.get(i - 1).label().score() >= h.label().score(), label + ": most similar first");
        }
      }
    }
    assertEquals(corpus.images.keySet(), seen, "every image under exactly one label");
  }

  @Test
  void labelSearchTruncatesPerLabelAndFilters() throws IOException {
    Map<String, List<LabeledHit>> all = searcher.labelSearch(LABELS, null, 1000, null);
    Map<String, List<LabeledHit>> top3 = searcher.labelSearch(LABELS, null, 3, null);
    for (String label : LABELS) {
      List<LabeledHit> full = all.get(label);
      assertEquals(full.subList(0, Math.min(3, full.size())).stream().map(h -> h.hit().path()).toList(),
          top3.get(label).stream().map(h -> h.hit().path()).toList(), label + ": the 3 most similar");
      top3.get(label).forEach(h -> assertEquals(full.size(), h.labelCount(), "the count is of all, not of the page"));
    }

    String family = corpus.photos.resolve("family").toString();
    SearchFilters filter = new SearchFilters(family, null, null, null, null, null, null, null);
    Set<String> familyImages = new HashSet<>(corpus.matching(i -> i.folder().startsWith("family")).stream()
        .map(Corpus.Image::key).toList());
    Map<String, String> best = argmaxLabels(LABELS, familyImages);
    Map<String, List<LabeledHit>> filtered = searcher.labelSearch(LABELS, null, 1000, filter);
    Set<String> seen = new HashSet<>();
    for (var entry : filtered.entrySet()) {
      for (LabeledHit h : entry.getValue()) {
        assertTrue(seen.add(h.hit().path()));
        assertEquals(best.get(h.hit().path()), entry.getKey(), h.hit().path());
      }
    }
    assertEquals(familyImages, seen, "only and all the images under family/");
    var nothing = searcher.labelSearch(LABELS, null, 10,
        new SearchFilters(null, null, null, null, List.of("webp"), null, null, null));
    nothing.values().forEach(hits -> assertEquals(List.of(), hits));
  }
}
