package org.clipsearch.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;
import org.clipsearch.encoders.ClipModel;
import org.clipsearch.encoders.Images;
import org.clipsearch.searcher.PromptTemplates;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the example's main on a folder of generated images with the fixture model, and checks what it prints against
 * the same search and classification computed here: every image embedded, ranked by dot product with the query's
 * embedding, and the best one's labels by the softmax of the logit scale times the cosines.
 */
class EmbedClipsearchTest {
  static final Path MODEL =
      Path.of("../encoders/src/test/resources/fixtures/models/tiny-torchscript").toAbsolutePath().normalize();
  static final List<String> LABELS = List.of("dog", "cat", "beach", "car");

  @TempDir Path dir;

  static List<Path> drawings(Path folder, int count) throws Exception {
    Files.createDirectories(folder.resolve("holiday"));
    List<Path> files = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      Random random = new Random(31 + i);
      BufferedImage image = new BufferedImage(72 + 4 * i, 64, BufferedImage.TYPE_INT_RGB);
      Graphics2D g = image.createGraphics();
      g.setColor(new Color(random.nextInt(0xffffff)));
      g.fillRect(0, 0, image.getWidth(), image.getHeight());
      for (int s = 0; s < 5; s++) {
        g.setColor(new Color(random.nextInt(0xffffff)));
        g.fillOval(random.nextInt(60), random.nextInt(50), 10 + random.nextInt(30), 10 + random.nextInt(30));
      }
      g.dispose();
      boolean png = i % 3 == 0;
      Path file = (i % 2 == 0 ? folder : folder.resolve("holiday")).resolve("img" + i + (png ? ".png" : ".jpg"));
      ImageIO.write(image, png ? "png" : "jpeg", file.toFile());
      files.add(file.toAbsolutePath().normalize());
    }
    return files;
  }

  static List<String> run(String... args) throws Exception {
    PrintStream original = System.out;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      EmbedClipsearch.main(args);
    } finally {
      System.setOut(original);
    }
    String output = captured.toString(StandardCharsets.UTF_8);
    original.print(output);
    return output.lines().toList();
  }

  static double dot(float[] a, float[] b) {
    double sum = 0;
    for (int i = 0; i < a.length; i++) {
      sum += (double) a[i] * b[i];
    }
    return sum;
  }

  static float[] normalizedMean(List<float[]> vectors) {
    double[] mean = new double[vectors.get(0).length];
    vectors.forEach(v -> {
      for (int i = 0; i < mean.length; i++) {
        mean[i] += v[i];
      }
    });
    double norm = Math.sqrt(java.util.Arrays.stream(mean).map(x -> x * x).sum());
    float[] unit = new float[mean.length];
    for (int i = 0; i < mean.length; i++) {
      unit[i] = (float) (mean[i] / norm);
    }
    return unit;
  }

  record Scored(String name, double score) {}

  @Test
  void theExampleIndexesSearchesAndClassifies() throws Exception {
    Path photos = dir.resolve("photos");
    List<Path> files = drawings(photos, 12);
    Path index = dir.resolve("index");
    String query = "a dog on the beach";

    List<String> first = run(MODEL.toString(), photos.toString(), index.toString());
    assertTrue(Files.isDirectory(index), "the index is on disk");

    List<Scored> expectedHits = new ArrayList<>();
    List<Scored> expectedLabels = new ArrayList<>();
    try (ClipModel model = ClipModel.load(MODEL)) {
      float[] text = model.encodeText(query);
      for (Path file : files) {
        expectedHits.add(new Scored(file.toString(), dot(text, model.encodeImage(Images.read(file)))));
      }
      expectedHits.sort(Comparator.comparingDouble(s -> -s.score()));
      float[] best = model.encodeImage(Images.read(Path.of(expectedHits.get(0).name())));
      double[] logits = new double[LABELS.size()];
      double sum = 0;
      for (int l = 0; l < LABELS.size(); l++) {
        String label = LABELS.get(l);
        float[] labelVector = normalizedMean(
            PromptTemplates.DEFAULT.stream().map(t -> model.encodeText(t.replace("{}", label))).toList());
        logits[l] = Math.exp(model.logitScale() * dot(best, labelVector));
        sum += logits[l];
      }
      for (int l = 0; l < LABELS.size(); l++) {
        expectedLabels.add(new Scored(LABELS.get(l), logits[l] / sum));
      }
      expectedLabels.sort(Comparator.comparingDouble(s -> -s.score()));
    }

    assertEquals(1 + 5 + 3, first.size(), "one line indexed, five hits, three labels: " + first);
    assertEquals("indexed 12 new images", first.get(0));
    for (int i = 0; i < 5; i++) {
      String[] hit = first.get(1 + i).split(" {2}", 2);
      assertEquals(expectedHits.get(i).name(), hit[1], "hit " + i);
      assertEquals(expectedHits.get(i).score(), Double.parseDouble(hit[0]), 1e-4, "score of hit " + i);
    }
    for (int i = 0; i < 3; i++) {
      String[] label = first.get(6 + i).split(": ", 2);
      assertEquals(expectedLabels.get(i).name(), label[0], "label " + i);
      assertEquals(expectedLabels.get(i).score(), Double.parseDouble(label[1]), 1e-4, "probability of label " + i);
    }

    // A second run finds the index up to date and answers the same.
    List<String> second = run(MODEL.toString(), photos.toString(), index.toString());
    assertEquals("indexed 0 new images", second.get(0));
    assertEquals(first.subList(1, first.size()), second.subList(1, second.size()));
  }
}
