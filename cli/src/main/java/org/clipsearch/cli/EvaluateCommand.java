package org.clipsearch.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import org.clipsearch.api.LabelScore;
import org.clipsearch.encoders.ClipModel;
import org.clipsearch.encoders.Images;
import org.clipsearch.encoders.Vectors;
import org.clipsearch.searcher.ZeroShotClassifier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Measures a model on a labelled image set with the Java encoders, as the model card reports it: zero-shot top-1
 * and top-5 over categories and over object names, and text-to-image recall@1/5/10 with each image's title as the
 * query, beside the most that recall can reach when titles are shared.
 */
@Command(name = "evaluate", mixinStandardHelpOptions = true,
    description = {"Measure a model on labelled images: zero-shot accuracy and text-to-image recall.",
        "LABELS is JSON lines: {\"path\": relative image path, \"query\": title, \"category\": ..., "
            + "\"objects\": [...]}."})
final class EvaluateCommand implements Callable<Integer> {
  private static final Logger LOG = LoggerFactory.getLogger(EvaluateCommand.class);

  @Mixin ModelOptions modelOptions = new ModelOptions();

  @Option(names = "--labels", required = true, paramLabel = "FILE", description = "JSON lines describing each image.")
  Path labelsFile;

  @Option(names = "--images", required = true, paramLabel = "DIR", description = "Folder the paths are relative to.")
  Path images;

  @Option(names = "--names", required = true, paramLabel = "FILE",
      description = "Object names, one a line (the label set).")
  Path namesFile;

  @Option(names = "--template", paramLabel = "TEXT",
      description = "Prompt template with {} for the label, for both zero-shot tasks "
          + "(repeatable; default: an ensemble of 12).")
  List<String> templates = new ArrayList<>();

  @Option(names = "--json", description = "Print one JSON document.")
  boolean json;

  record Item(Path file, String query, String category, List<String> objects) {}

  @Override
  public Integer call() throws IOException {
    List<Item> items = new ArrayList<>();
    for (String line : Files.readAllLines(labelsFile, StandardCharsets.UTF_8)) {
      if (line.isBlank()) {
        continue;
      }
      JsonNode node = Output.JSON.readTree(line);
      List<String> objects = new ArrayList<>();
      node.path("objects").forEach(o -> objects.add(o.asText()));
      items.add(new Item(images.resolve(node.path("path").asText()), node.path("query").asText(""),
          node.path("category").asText(""), objects));
    }
    List<String> names = Files.readAllLines(namesFile, StandardCharsets.UTF_8).stream()
        .map(String::strip).filter(s -> !s.isEmpty()).distinct().toList();
    Set<String> categorySet = new LinkedHashSet<>();
    items.forEach(i -> { if (!i.category.isEmpty()) categorySet.add(i.category); });
    List<String> categories = List.copyOf(categorySet);
    try (ClipModel model = modelOptions.load()) {
      LOG.info("evaluating {} on {} images, {} categories, {} object names", model.name(), items.size(),
          categories.size(), names.size());
      float[][] vectors = new float[items.size()][];
      List<Integer> pending = new ArrayList<>();
      List<java.awt.image.BufferedImage> batch = new ArrayList<>();
      for (int i = 0; i < items.size(); i++) {
        batch.add(Images.read(items.get(i).file));
        pending.add(i);
        if (batch.size() == 32 || i == items.size() - 1) {
          float[][] out = model.encodeImages(batch);
          for (int j = 0; j < out.length; j++) {
            vectors[pending.get(j)] = out[j];
          }
          batch.clear();
          pending.clear();
        }
      }
      ZeroShotClassifier classifier = new ZeroShotClassifier(model);
      int[] categoryHits = new int[2];
      int categoryTotal = 0;
      int[] objectHits = new int[2];
      int objectTotal = 0;
      // The held-out split is far from balanced (131 of its 812 images are stars, 190 near-identical icons), so
      // each task is also reported class-balanced: the top-1 rate within each label's images, averaged over labels.
      PerGroup categoryByLabel = new PerGroup();
      PerGroup objectByLabel = new PerGroup();
      for (int i = 0; i < items.size(); i++) {
        Item item = items.get(i);
        if (!item.category.isEmpty()) {
          List<LabelScore> top = classifier.classify(vectors[i], categories, templates, 5);
          categoryTotal++;
          boolean hit = countHits(top, Set.of(item.category), categoryHits);
          categoryByLabel.add(item.category, hit);
        }
        Set<String> truth = new java.util.HashSet<>(item.objects);
        truth.retainAll(names);
        if (!truth.isEmpty()) {
          List<LabelScore> top = classifier.classify(vectors[i], names, templates, 5);
          objectTotal++;
          boolean hit = countHits(top, truth, objectHits);
          truth.forEach(name -> objectByLabel.add(name, hit));
        }
      }
      // Queries are embedded one at a time, as searches are. Strict recall counts only the image the title belongs
      // to; many held-out images share one title ("star": 131 of them), so a second measure counts any image whose
      // title is the same query as right, as retrieval benchmarks with duplicate captions do. Images that score
      // exactly alike (the held-out split holds byte-identical pictures under different titles) are ranked in
      // random order, so a hit is counted by its chance: ties never count in the model's favour, and a model that
      // gave every image one vector would score k/n, not 1.
      double[] recall = new double[3];
      double[] recallSameTitle = new double[3];
      int[] ks = {1, 5, 10};
      int queries = 0;
      PerGroup[] recallByTitle = {new PerGroup(), new PerGroup(), new PerGroup()};
      String[] titles = new String[items.size()];
      for (int i = 0; i < items.size(); i++) {
        titles[i] = items.get(i).query.strip().toLowerCase(java.util.Locale.ROOT);
      }
      for (int i = 0; i < items.size(); i++) {
        if (items.get(i).query.isBlank()) {
          continue;
        }
        queries++;
        float[] q = model.encodeText(items.get(i).query);
        float[] scores = new float[items.size()];
        for (int j = 0; j < items.size(); j++) {
          scores[j] = Vectors.dot(q, vectors[j]);
        }
        String title = titles[i];
        boolean[] right = new boolean[items.size()];
        float bestRight = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < items.size(); j++) {
          right[j] = titles[j].equals(title);
          if (right[j]) {
            bestRight = Math.max(bestRight, scores[j]);
          }
        }
        int better = 0;
        int tied = 0;
        int betterWrong = 0;
        int tiedWrong = 0;
        int tiedRight = 0;
        for (int j = 0; j < items.size(); j++) {
          if (j != i) {
            better += scores[j] > scores[i] ? 1 : 0;
            tied += scores[j] == scores[i] ? 1 : 0;
          }
          if (right[j]) {
            tiedRight += scores[j] == bestRight ? 1 : 0;
          } else {
            betterWrong += scores[j] > bestRight ? 1 : 0;
            tiedWrong += scores[j] == bestRight ? 1 : 0;
          }
        }
        for (int r = 0; r < ks.length; r++) {
          double hit = chanceInFirst(ks[r], better, tied, 1);
          recallByTitle[r].add(title, hit);
          recall[r] += hit;
          recallSameTitle[r] += chanceInFirst(ks[r], betterWrong, tiedWrong, tiedRight);
        }
      }
      // What strict recall@k can reach at all: the n queries of a title shared by n images are one text, so one
      // ranking, which holds at most k of those images in its first k (when no two images tie). The aim
      // for recall@10 is read against this, not against 1.
      Map<String, Integer> imagesPerTitle = new HashMap<>();
      for (int i = 0; i < items.size(); i++) {
        if (!items.get(i).query.isBlank()) {
          imagesPerTitle.merge(titles[i], 1, Integer::sum);
        }
      }
      int[] reachable = new int[ks.length];
      for (int n : imagesPerTitle.values()) {
        for (int r = 0; r < ks.length; r++) {
          reachable[r] += Math.min(n, ks[r]);
        }
      }
      ObjectNode result = Output.JSON.createObjectNode();
      result.put("model", model.name());
      result.put("images", items.size());
      ObjectNode cat = result.putObject("zero_shot_categories");
      cat.put("labels", categories.size()).put("images", categoryTotal)
          .put("top1", ratio(categoryHits[0], categoryTotal)).put("top5", ratio(categoryHits[1], categoryTotal))
          .put("top1_balanced", categoryByLabel.meanRate());
      ObjectNode obj = result.putObject("zero_shot_objects");
      obj.put("labels", names.size()).put("images", objectTotal)
          .put("top1", ratio(objectHits[0], objectTotal)).put("top5", ratio(objectHits[1], objectTotal))
          .put("top1_balanced", objectByLabel.meanRate());
      ObjectNode ret = result.putObject("text_to_image");
      ret.put("queries", queries).put("recall_at_1", ratio(recall[0], queries))
          .put("recall_at_5", ratio(recall[1], queries)).put("recall_at_10", ratio(recall[2], queries))
          .put("ceiling_at_1", ratio(reachable[0], queries)).put("ceiling_at_5", ratio(reachable[1], queries))
          .put("ceiling_at_10", ratio(reachable[2], queries));
      ObjectNode balanced = result.putObject("text_to_image_title_balanced");
      balanced.put("titles", recallByTitle[0].groups()).put("recall_at_1", recallByTitle[0].meanRate())
          .put("recall_at_5", recallByTitle[1].meanRate()).put("recall_at_10", recallByTitle[2].meanRate());
      ObjectNode same = result.putObject("text_to_image_same_title_counts");
      same.put("queries", queries).put("recall_at_1", ratio(recallSameTitle[0], queries))
          .put("recall_at_5", ratio(recallSameTitle[1], queries))
          .put("recall_at_10", ratio(recallSameTitle[2], queries));
      if (json) {
        Output.print(System.out, result);
      } else {
        // A label set made for one task (colour names: no categories, no titles) prints that task alone; the JSON
        // keeps every section, with its counts, so that scripts read one shape.
        System.out.printf("model %s on %d images%n", model.name(), items.size());
        if (categoryTotal > 0) {
          System.out.printf("zero-shot, %d categories: top-1 %.3f, top-5 %.3f (%d images); balanced top-1 %.3f%n",
              categories.size(), ratio(categoryHits[0], categoryTotal), ratio(categoryHits[1], categoryTotal),
              categoryTotal, categoryByLabel.meanRate());
        }
        if (objectTotal > 0) {
          System.out.printf("zero-shot, %d object names: top-1 %.3f, top-5 %.3f (%d images); balanced top-1 %.3f%n",
              names.size(), ratio(objectHits[0], objectTotal), ratio(objectHits[1], objectTotal), objectTotal,
              objectByLabel.meanRate());
        }
        if (queries > 0) {
          System.out.printf("text -> image, %d title queries: R@1 %.3f, R@5 %.3f, R@10 %.3f%n", queries,
              ratio(recall[0], queries), ratio(recall[1], queries), ratio(recall[2], queries));
          System.out.printf("text -> image, the most any model reaches with titles shared: R@1 %.3f, R@5 %.3f,"
              + " R@10 %.3f%n", ratio(reachable[0], queries), ratio(reachable[1], queries),
              ratio(reachable[2], queries));
          System.out.printf("text -> image, any image with the same title right: R@1 %.3f, R@5 %.3f, R@10 %.3f%n",
              ratio(recallSameTitle[0], queries), ratio(recallSameTitle[1], queries),
              ratio(recallSameTitle[2], queries));
          System.out.printf("text -> image, each of %d titles weighed once: R@1 %.3f, R@5 %.3f, R@10 %.3f%n",
              recallByTitle[0].groups(), recallByTitle[0].meanRate(), recallByTitle[1].meanRate(),
              recallByTitle[2].meanRate());
        }
      }
    }
    return 0;
  }

  /** Counts top-1 and top-5 hits; returns whether the first label is right. */
  private static boolean countHits(List<LabelScore> top, Set<String> truth, int[] hits) {
    boolean first = truth.contains(top.get(0).label());
    if (first) {
      hits[0]++;
    }
    for (LabelScore s : top) {
      if (truth.contains(s.label())) {
        hits[1]++;
        break;
      }
    }
    return first;
  }

  /** Hits and trials per group (a label, a title), for a rate that weighs every group once. */
  private static final class PerGroup {
    private final Map<String, double[]> counts = new HashMap<>();

    void add(String group, boolean hit) {
      add(group, hit ? 1 : 0);
    }

    /** A hit counted by its chance, 0 to 1. */
    void add(String group, double hit) {
      double[] c = counts.computeIfAbsent(group, g -> new double[2]);
      c[0] += hit;
      c[1]++;
    }

    int groups() {
      return counts.size();
    }

    double meanRate() {
      double sum = 0;
      for (double[] c : counts.values()) {
        sum += c[0] / c[1];
      }
      return counts.isEmpty() ? 0 : Math.round(10000.0 * sum / counts.size()) / 10000.0;
    }
  }

  /**
   * The chance that a right image is among the first k when {@code ahead} images score above the best right one and
   * it ties with {@code tiedWrong} wrong and {@code tiedRight} right images (itself included), all tied ones in
   * random order: one minus the chance that the free places all go to wrong images.
   */
  static double chanceInFirst(int k, int ahead, int tiedWrong, int tiedRight) {
    int free = k - ahead;
    if (free <= 0) {
      return 0;
    }
    if (free > tiedWrong) {
      return 1;
    }
    double allWrong = 1;
    for (int m = 0; m < free; m++) {
      allWrong *= (double) (tiedWrong - m) / (tiedWrong + tiedRight - m);
    }
    return 1 - allWrong;
  }

  private static double ratio(double hits, int total) {
    return total == 0 ? 0 : Math.round(10000.0 * hits / total) / 10000.0;
  }
}
