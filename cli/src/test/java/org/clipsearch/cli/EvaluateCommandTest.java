package org.clipsearch.cli;

import static org.clipsearch.cli.IndexCommandTest.FIXTURES;
import static org.clipsearch.cli.IndexCommandTest.MODEL;
import static org.clipsearch.cli.IndexCommandTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.clipsearch.api.LabelScore;
import org.clipsearch.cli.IndexCommandTest.Result;
import org.clipsearch.encoders.ClipModel;
import org.clipsearch.encoders.Images;
import org.clipsearch.encoders.Vectors;
import org.clipsearch.searcher.ZeroShotClassifier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code evaluate} produces the model card's numbers, so its counting is checked against a second computation of
 * the same measures from the library's encoders: which images take part in which task, strict and same-title
 * recall, and top-1 / top-5 of the zero-shot tasks.
 */
class EvaluateCommandTest {
  @TempDir Path dir;

  /** One labelled image: the title is its query; an empty category or query leaves it out of that task. */
  record Labelled(String file, String query, String category, List<String> objects) {}

  static final List<Labelled> SET = List.of(
      new Labelled("rgb.jpg", "a red square", "shapes", List.of("square", "box")),
      new Labelled("grey.png", "a grey picture", "shapes", List.of("picture")),
      new Labelled("alpha.png", "a red square", "signs", List.of("not a listed name")),
      new Labelled("palette.gif", "a palette", "signs", List.of("palette")),
      new Labelled("cmyk.jpg", "", "", List.of("box")),
      new Labelled("exif-rotated.jpg", "a rotated photo", "", List.of()));
  static final List<String> NAMES = List.of("square", "box", "picture", "palette", "circle");

  @Test
  void measuresAgreeWithASecondComputation() throws Exception {
    Path images = dir.resolve("images");
    Path labelsFile = writeSet(images);
    ObjectMapper mapper = new ObjectMapper();
    Path namesFile = Files.writeString(dir.resolve("names.txt"), String.join("\n", NAMES) + "\n\n");

    Result r = run("evaluate", "--model", MODEL.toString(), "--labels", labelsFile.toString(), "--images",
        images.toString(), "--names", namesFile.toString(), "--json");
    assertEquals(0, r.exitCode(), r.err());
    JsonNode got = mapper.readTree(r.out());

    int n = SET.size();
    List<String> categories = List.of("shapes", "signs");
    int[] catHits = new int[2];
    int[] objHits = new int[2];
    int objImages = 0;
    int queries = 0;
    int[] strict = new int[3];
    int[] sameTitle = new int[3];
    int[] ks = {1, 5, 10};
    // Balanced measures: per label (or title), {hits, trials}; their rates are then averaged over labels.
    Map<String, int[]> catByLabel = new java.util.TreeMap<>();
    Map<String, int[]> objByLabel = new java.util.TreeMap<>();
    List<Map<String, int[]>> strictByTitle = List.of(new java.util.TreeMap<>(), new java.util.TreeMap<>(),
        new java.util.TreeMap<>());
    try (ClipModel model = ClipModel.load(MODEL)) {
      List<BufferedImage> pictures = new ArrayList<>();
      for (Labelled l : SET) {
        pictures.add(Images.read(images.resolve(l.file())));
      }
      float[][] vectors = model.encodeImages(pictures);
      ZeroShotClassifier classifier = new ZeroShotClassifier(model);
      for (int i = 0; i < n; i++) {
        Labelled l = SET.get(i);
        if (!l.category().isEmpty()) {
          boolean hit = count(classifier.classify(vectors[i], categories, null, 5), Set.of(l.category()), catHits);
          tally(catByLabel, l.category(), hit);
        }
        List<String> truth = l.objects().stream().filter(NAMES::contains).toList();
        if (!truth.isEmpty()) {
          objImages++;
          boolean hit = count(classifier.classify(vectors[i], NAMES, null, 5), Set.copyOf(truth), objHits);
          truth.forEach(name -> tally(objByLabel, name, hit));
        }
        if (l.query().isEmpty()) {
          continue;
        }
        queries++;
        float[] q = model.encodeText(l.query());
        // Rank of the image itself, and of the best image carrying the same title, among all images by score.
        Integer[] order = new Integer[n];
        for (int j = 0; j < n; j++) {
          order[j] = j;
        }
        Arrays.sort(order, (a, b) -> Float.compare(Vectors.dot(q, vectors[b]), Vectors.dot(q, vectors[a])));
        int own = List.of(order).indexOf(i);
        int firstSame = 0;
        while (!SET.get(order[firstSame]).query().equals(l.query())) {
          firstSame++;
        }
        for (int k = 0; k < ks.length; k++) {
          strict[k] += own < ks[k] ? 1 : 0;
          sameTitle[k] += firstSame < ks[k] ? 1 : 0;
          tally(strictByTitle.get(k), l.query(), own < ks[k]);
        }
      }
    }

    assertEquals(n, got.path("images").asInt());
    JsonNode cat = got.path("zero_shot_categories");
    assertEquals(2, cat.path("labels").asInt());
    assertEquals(4, cat.path("images").asInt(), "images without a category are left out");
    assertEquals(catHits[0] / 4.0, cat.path("top1").asDouble(), 1e-4);
    assertEquals(catHits[1] / 4.0, cat.path("top5").asDouble(), 1e-4);
    JsonNode obj = got.path("zero_shot_objects");
    assertEquals(NAMES.size(), obj.path("labels").asInt(), "blank lines in the names file are not names");
    assertEquals(4, objImages, "the test's own set: four images show a listed name");
    assertEquals(objImages, obj.path("images").asInt());
    assertEquals((double) objHits[0] / objImages, obj.path("top1").asDouble(), 1e-4);
    assertEquals((double) objHits[1] / objImages, obj.path("top5").asDouble(), 1e-4);
    assertEquals(1.0, cat.path("top5").asDouble(), 1e-9, "two categories: the right one is always in the top 5");
    assertEquals(Set.of("shapes", "signs"), catByLabel.keySet());
    assertEquals(meanRate(catByLabel), cat.path("top1_balanced").asDouble(), 1e-4);
    assertEquals(Set.of("square", "box", "picture", "palette"), objByLabel.keySet(),
        "every listed name an image shows is one class; \"circle\" is shown by none");
    assertEquals(meanRate(objByLabel), obj.path("top1_balanced").asDouble(), 1e-4);
    JsonNode ret = got.path("text_to_image");
    JsonNode same = got.path("text_to_image_same_title_counts");
    assertEquals(5, queries);
    assertEquals(queries, ret.path("queries").asInt(), "an empty title is no query");
    String[] keys = {"recall_at_1", "recall_at_5", "recall_at_10"};
    for (int k = 0; k < ks.length; k++) {
      assertEquals((double) strict[k] / queries, ret.path(keys[k]).asDouble(), 1e-4, keys[k]);
      assertEquals((double) sameTitle[k] / queries, same.path(keys[k]).asDouble(), 1e-4, keys[k]);
    }
    assertEquals(1.0, ret.path("recall_at_10").asDouble(), 1e-9, "six images: every image is in the top 10");
    // The two "a red square" queries rank the same two images, and only one can be first: 4 of 5 at most.
    assertEquals(0.8, ret.path("ceiling_at_1").asDouble(), 1e-9);
    assertEquals(1.0, ret.path("ceiling_at_5").asDouble(), 1e-9);
    assertEquals(1.0, ret.path("ceiling_at_10").asDouble(), 1e-9);
    assertTrue(ret.path("recall_at_1").asDouble() <= ret.path("ceiling_at_1").asDouble());
    JsonNode balanced = got.path("text_to_image_title_balanced");
    assertEquals(4, balanced.path("titles").asInt(), "two images share \"a red square\": four titles");
    for (int k = 0; k < ks.length; k++) {
      assertEquals(meanRate(strictByTitle.get(k)), balanced.path(keys[k]).asDouble(), 1e-4, keys[k]);
    }
    assertTrue(same.path("recall_at_1").asDouble() >= ret.path("recall_at_1").asDouble(),
        "counting same-title images as right never lowers recall");

    Result text = run("evaluate", "--model", MODEL.toString(), "--labels", labelsFile.toString(), "--images",
        images.toString(), "--names", namesFile.toString());
    assertEquals(0, text.exitCode(), text.err());
    assertTrue(text.out().contains(String.format("zero-shot, %d object names: top-1 %.3f, top-5 %.3f (%d images)",
        NAMES.size(), obj.path("top1").asDouble(), obj.path("top5").asDouble(), objImages)), text.out());
    assertTrue(text.out().contains("the most any model reaches with titles shared: R@1 0.800, R@5 1.000, R@10 1.000"),
        text.out());
  }

  /**
   * Two byte-identical pictures under different titles score exactly alike for every query, so each title's own
   * picture is first in one of the two orders a search may return: recall@1 is a coin toss, 0.5, for strict, same-title
   * and title-balanced recall alike. Counting ties in the model's favour would report 1.0, and a model that embedded
   * every image alike would then look perfect.
   */
  @Test
  void imagesThatTieAreRankedByChance() throws Exception {
    Path images = Files.createDirectories(dir.resolve("images"));
    StringBuilder labels = new StringBuilder();
    for (String title : List.of("a grey picture", "a dull square")) {
      String file = title.replace(' ', '-') + ".png";
      Files.copy(FIXTURES.resolve("images").resolve("grey.png"), images.resolve(file));
      labels.append(new ObjectMapper().writeValueAsString(Map.of("path", file, "query", title))).append('\n');
    }
    Path labelsFile = Files.writeString(dir.resolve("labels.jsonl"), labels);
    Path namesFile = Files.writeString(dir.resolve("names.txt"), "picture\n");
    Result r = run("evaluate", "--model", MODEL.toString(), "--labels", labelsFile.toString(), "--images",
        images.toString(), "--names", namesFile.toString(), "--json");
    assertEquals(0, r.exitCode(), r.err());
    JsonNode got = new ObjectMapper().readTree(r.out());
    for (String measure : List.of("text_to_image", "text_to_image_same_title_counts", "text_to_image_title_balanced")) {
      assertEquals(0.5, got.path(measure).path("recall_at_1").asDouble(), 1e-9, measure);
      assertEquals(1.0, got.path(measure).path("recall_at_5").asDouble(), 1e-9, measure);
    }
  }

  /** The chance of a right image among the first k, against counting every order of the tied images. */
  @Test
  void chanceInFirstAgreesWithCountingOrders() {
    for (int tiedWrong = 0; tiedWrong <= 4; tiedWrong++) {
      for (int tiedRight = 1; tiedRight <= 3; tiedRight++) {
        for (int ahead = 0; ahead <= 3; ahead++) {
          for (int k = 1; k <= 8; k++) {
            // Orders of the tied group differ only in where its right images fall: choose their places.
            int size = tiedWrong + tiedRight;
            int orders = 0;
            int hits = 0;
            for (int mask = 0; mask < 1 << size; mask++) {
              if (Integer.bitCount(mask) != tiedRight) {
                continue;
              }
              orders++;
              int firstRight = Integer.numberOfTrailingZeros(mask);
              hits += ahead + firstRight < k ? 1 : 0;
            }
            assertEquals((double) hits / orders, EvaluateCommand.chanceInFirst(k, ahead, tiedWrong, tiedRight), 1e-12,
                "k " + k + ", ahead " + ahead + ", tied wrong " + tiedWrong + ", tied right " + tiedRight);
          }
        }
      }
    }
  }

  @Test
  void aLabelSetForOneTaskPrintsThatTaskAlone() throws Exception {
    Files.copy(FIXTURES.resolve("images").resolve("rgb.jpg"), dir.resolve("rgb.jpg"));
    Path labelsFile = Files.writeString(dir.resolve("colours.jsonl"),
        "{\"path\": \"rgb.jpg\", \"query\": \"\", \"category\": \"\", \"objects\": [\"red object\"]}\n");
    Path namesFile = Files.writeString(dir.resolve("colours.txt"), "red object\nblue object\n");
    String[] args = {"evaluate", "--model", MODEL.toString(), "--labels", labelsFile.toString(), "--images",
        dir.toString(), "--names", namesFile.toString()};
    Result text = run(args);
    assertEquals(0, text.exitCode(), text.err());
    List<String> lines = text.out().lines().toList();
    assertEquals(2, lines.size(), text.out());
    assertTrue(lines.get(1).startsWith("zero-shot, 2 object names: top-1 ")
        && lines.get(1).contains("(1 images); balanced top-1 "), text.out());
    String[] withJson = Arrays.copyOf(args, args.length + 1);
    withJson[args.length] = "--json";
    Result json = run(withJson);
    JsonNode got = new ObjectMapper().readTree(json.out());
    assertEquals(0, got.path("zero_shot_categories").path("images").asInt(), "the JSON keeps the empty sections");
    assertEquals(0, got.path("text_to_image").path("queries").asInt());
  }

  /**
   * The model card compares prompt ensembles by this option, so it must reach both zero-shot tasks. The tiny
   * fixture's text tower keeps 16 tokens: a template that puts the label after 20 words embeds every label alike,
   * and the tie goes to the first label, "circle", which no image shows, so object top-1 falls to 0 where the
   * default ensemble names some images right.
   */
  @Test
  void templatesReplaceTheDefaultEnsemble() throws Exception {
    Path images = dir.resolve("images");
    Path labelsFile = writeSet(images);
    ObjectMapper mapper = new ObjectMapper();
    List<String> names = NAMES.reversed();
    Path namesFile = Files.writeString(dir.resolve("names.txt"), String.join("\n", names));
    String template = "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen"
        + " sixteen seventeen eighteen nineteen twenty {}";
    String[] args = {"evaluate", "--model", MODEL.toString(), "--labels", labelsFile.toString(), "--images",
        images.toString(), "--names", namesFile.toString(), "--json"};
    JsonNode byDefault = mapper.readTree(run(args).out());
    String[] withTemplate = Arrays.copyOf(args, args.length + 2);
    withTemplate[args.length] = "--template";
    withTemplate[args.length + 1] = template;
    Result r = run(withTemplate);
    assertEquals(0, r.exitCode(), r.err());
    JsonNode got = mapper.readTree(r.out());

    assertTrue(byDefault.path("zero_shot_objects").path("top1").asDouble() > 0, "the default ensemble names some");
    assertEquals(0.0, got.path("zero_shot_objects").path("top1").asDouble(), 1e-9, "every image called a circle");
    assertEquals(1.0, got.path("zero_shot_objects").path("top5").asDouble(), 1e-9, "five names: all in the top 5");
    // Categories under the same template: every image is called the first category, "shapes", two of four.
    assertEquals(0.5, got.path("zero_shot_categories").path("top1").asDouble(), 1e-9);

    Result bad = run("evaluate", "--model", MODEL.toString(), "--labels", labelsFile.toString(), "--images",
        images.toString(), "--names", namesFile.toString(), "--template", "a drawing");
    assertNotEquals(0, bad.exitCode());
    assertTrue(bad.err().contains("'a drawing' has no {}"), bad.err());
    assertTrue(!bad.err().contains("\tat "), "no stack trace: " + bad.err());
  }

  @Test
  void aMissingImageIsAClearError() throws Exception {
    Path labelsFile = Files.writeString(dir.resolve("labels.jsonl"),
        "{\"path\": \"nowhere.png\", \"query\": \"a cat\", \"category\": \"animals\", \"objects\": [\"cat\"]}\n");
    Path namesFile = Files.writeString(dir.resolve("names.txt"), "cat\n");
    Result r = run("evaluate", "--model", MODEL.toString(), "--labels", labelsFile.toString(), "--images",
        dir.toString(), "--names", namesFile.toString());
    assertNotEquals(0, r.exitCode());
    assertTrue(r.err().contains("clipsearch: error:") && r.err().contains("nowhere.png"), r.err());
    assertTrue(!r.err().contains("\tat "), "no stack trace: " + r.err());
  }

  /** Copies {@link #SET}'s images into {@code images} and writes its labels file (a trailing blank line too). */
  private Path writeSet(Path images) throws Exception {
    Files.createDirectories(images);
    StringBuilder labels = new StringBuilder();
    ObjectMapper mapper = new ObjectMapper();
    for (Labelled l : SET) {
      Files.copy(FIXTURES.resolve("images").resolve(l.file()), images.resolve(l.file()));
      labels.append(mapper.writeValueAsString(Map.of("path", l.file(), "query", l.query(),
          "category", l.category(), "objects", l.objects()))).append('\n');
    }
    return Files.writeString(dir.resolve("labels.jsonl"), labels + "\n");
  }

  private static boolean count(List<LabelScore> top, Set<String> truth, int[] hits) {
    boolean first = truth.contains(top.get(0).label());
    if (first) {
      hits[0]++;
    }
    if (top.stream().anyMatch(s -> truth.contains(s.label()))) {
      hits[1]++;
    }
    return first;
  }

  private static void tally(Map<String, int[]> counts, String group, boolean hit) {
    int[] c = counts.computeIfAbsent(group, g -> new int[2]);
    c[0] += hit ? 1 : 0;
    c[1]++;
  }

  private static double meanRate(Map<String, int[]> counts) {
    return counts.values().stream().mapToDouble(c -> (double) c[0] / c[1]).average().orElseThrow();
  }
}
