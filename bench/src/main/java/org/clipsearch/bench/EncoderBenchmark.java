package org.clipsearch.bench;

import ai.djl.pytorch.jni.JniUtils;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.GradientPaint;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.clipsearch.encoders.ClipModel;
import org.clipsearch.encoders.ImageEncoder;
import org.clipsearch.encoders.TextEncoder;

/**
 * Encoder throughput of a model bundle: images/s and texts/s at a few batch sizes, through the same API the indexer
 * and the searcher use. A benchmark, not a test: it asserts nothing and is not part of the default build.
 *
 * <p>Three measurements per batch size:
 *
 * <ul>
 *   <li>{@code image}: {@link ImageEncoder#encode(List)} on decoded 640×480 {@code TYPE_INT_RGB} images (what {@code
 *       Images.read} returns), so Pillow-exact resize, centre crop and normalisation on the calling thread, then one
 *       forward pass;
 *   <li>{@code image-model}: {@link ImageEncoder#encodePreprocessed(List)} on tensors preprocessed beforehand: the
 *       forward pass plus DJL's copy in and out;
 *   <li>{@code text}: {@link TextEncoder#encode(List)}: tokenisation (negligible) and one forward pass;
 *   <li>{@code preprocess} (only when asked for): {@link ImageEncoder#preprocess} of each image of the batch, no model.
 * </ul>
 *
 * <p>Each point is warmed up (TorchScript's profiling executor specialises the graph on the first calls with a new
 * input shape) and then timed for at least {@code --seconds} and at least three batches. Prints a table and one JSON
 * line per point ({@code {"bench":"encoder",...}}).
 *
 * <pre>
 * java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Dai.djl.offline=true \
 *      -DOPT_OUT_TRACKING=true -Dai.djl.pytorch.num_threads=2 \
 *      -cp 'bench/target/clipsearch-bench.jar:bench/target/lib/*' org.clipsearch.bench.EncoderBenchmark BUNDLE_DIR
 * </pre>
 */
public final class EncoderBenchmark {
  private static final String USAGE =
      """
      usage: EncoderBenchmark BUNDLE_DIR [--batches 1,8,32] [--seconds 5] [--warmup-seconds 2]
                              [--modes image,image-model,text] [--json FILE]
        --modes            image, image-model, text (the default), and preprocess (the image pipeline
                           without the model, on the calling thread)
        --seconds          minimum timed seconds per point (and at least 3 batches)
        --warmup-seconds   minimum warm-up seconds per point (and at least 2 batches)
        --json FILE        also write the JSON lines to FILE
      """;

  private static final String[] COLOURS = {
    "red", "blue", "green", "yellow", "black", "white", "orange", "purple", "brown", "grey", "pink", "silver"
  };
  private static final String[] THINGS = {
    "car", "dog", "cat", "bicycle", "house", "boat", "mountain", "bird", "chair", "guitar", "train", "flower"
  };
  private static final String[] TEMPLATES = {
    "a photo of a %s %s",
    "a %s %s",
    "a close-up photo of a %s %s on a sunny day",
    "a blurry picture of the %s %s",
    "an old %s %s parked next to the road in the city at night",
    "a painting of a %s %s",
  };

  private EncoderBenchmark() {}

  record Point(String mode, int batch, int iterations, double seconds, double medianMs, double minMs, double maxMs) {
    double itemsPerSecond() {
      return batch * iterations / seconds;
    }
  }

  public static void main(String[] args) throws IOException {
    if (args.length == 0 || args[0].equals("-h") || args[0].equals("--help")) {
      System.err.print(USAGE);
      System.exit(args.length == 0 ? 2 : 0);
    }
    Path bundle = Path.of(args[0]);
    int[] batches = {1, 8, 32};
    double seconds = 5;
    double warmupSeconds = 2;
    List<String> modes = List.of("image", "image-model", "text");
    Path jsonFile = null;
    for (int i = 1; i < args.length; i++) {
      String value = i + 1 < args.length ? args[i + 1] : null;
      switch (args[i]) {
        case "--batches" ->
            batches = Arrays.stream(require(value, args[i]).split(",")).mapToInt(Integer::parseInt).toArray();
        case "--seconds" -> seconds = Double.parseDouble(require(value, args[i]));
        case "--warmup-seconds" -> warmupSeconds = Double.parseDouble(require(value, args[i]));
        case "--modes" -> modes = List.of(require(value, args[i]).split(","));
        case "--json" -> jsonFile = Path.of(require(value, args[i]));
        default -> {
          System.err.print("unknown option " + args[i] + "\n" + USAGE);
          System.exit(2);
        }
      }
      i++;
    }
    for (String mode : modes) {
      if (!List.of("image", "image-model", "text", "preprocess").contains(mode)) {
        System.err.println("unknown mode " + mode + " (image, image-model, text, preprocess)");
        System.exit(2);
      }
    }
    int maxBatch = Arrays.stream(batches).max().orElse(1);

    long loadStart = System.nanoTime();
    try (ClipModel model = ClipModel.load(bundle)) {
      double loadSeconds = (System.nanoTime() - loadStart) / 1e9;
      String threads =
          "intra-op threads " + JniUtils.getNumThreads() + ", inter-op threads " + JniUtils.getNumInteropThreads();
      System.out.printf(
          Locale.ROOT,
          "model %s (dim %d, image %dx%d) loaded in %.1f s; libtorch %s; %s; graph_optimizer=%s; %d CPUs%n",
          model.name(),
          model.dimension(),
          model.imageEncoder().preprocessing().width(),
          model.imageEncoder().preprocessing().height(),
          loadSeconds,
          libtorchVersion(),
          threads,
          System.getProperty("ai.djl.pytorch.graph_optimizer", "(libtorch default)"),
          Runtime.getRuntime().availableProcessors());

      List<BufferedImage> images = syntheticImages(maxBatch, 640, 480);
      List<float[]> tensors = new ArrayList<>();
      for (BufferedImage image : images) {
        tensors.add(model.imageEncoder().preprocess(image));
      }
      List<String> captions = captions(maxBatch);

      List<Point> points = new ArrayList<>();
      List<String> jsonLines = new ArrayList<>();
      for (String mode : modes) {
        for (int batch : batches) {
          List<BufferedImage> imageBatch = images.subList(0, batch);
          List<float[]> tensorBatch = tensors.subList(0, batch);
          List<String> textBatch = captions.subList(0, batch);
          Runnable step =
              switch (mode) {
                case "image" -> () -> consume(model.imageEncoder().encode(imageBatch));
                case "image-model" -> () -> consume(model.imageEncoder().encodePreprocessed(tensorBatch));
                case "preprocess" -> () -> {
                  for (BufferedImage image : imageBatch) {
                    sink += model.imageEncoder().preprocess(image)[0];
                  }
                };
                default -> () -> consume(model.textEncoder().encode(textBatch));
              };
          Point point = measure(mode, batch, step, warmupSeconds, seconds);
          points.add(point);
          String json = json(point, model, threads);
          jsonLines.add(json);
          System.out.printf(
              Locale.ROOT,
              "%-12s batch %3d  %9.2f items/s  (%d batches in %.1f s; median %.1f ms/batch, min %.1f, max %.1f)%n",
              mode, batch, point.itemsPerSecond(), point.iterations(), point.seconds(), point.medianMs(),
              point.minMs(), point.maxMs());
        }
      }

      System.out.println();
      printTable(System.out, points, modes, batches);
      System.out.println();
      jsonLines.forEach(System.out::println);
      if (jsonFile != null) {
        Files.write(jsonFile, jsonLines, StandardCharsets.UTF_8);
      }
    }
  }

  private static String require(String value, String option) {
    if (value == null) {
      System.err.println(option + " needs a value");
      System.exit(2);
    }
    return value;
  }

  private static volatile float sink;

  private static void consume(float[][] embeddings) {
    sink += embeddings[embeddings.length - 1][0];
  }

  static Point measure(String mode, int batch, Runnable step, double warmupSeconds, double seconds) {
    long warmupEnd = System.nanoTime() + (long) (warmupSeconds * 1e9);
    for (int i = 0; i < 2 || System.nanoTime() < warmupEnd; i++) {
      step.run();
    }
    List<Long> times = new ArrayList<>();
    long start = System.nanoTime();
    long end = start + (long) (seconds * 1e9);
    long now = start;
    while (times.size() < 3 || now < end) {
      long t0 = System.nanoTime();
      step.run();
      now = System.nanoTime();
      times.add(now - t0);
    }
    double total = (now - start) / 1e9;
    long[] sorted = times.stream().mapToLong(Long::longValue).sorted().toArray();
    double median =
        sorted.length % 2 == 1
            ? sorted[sorted.length / 2]
            : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2.0;
    return new Point(mode, batch, sorted.length, total, median / 1e6, sorted[0] / 1e6, sorted[sorted.length - 1] / 1e6);
  }

  private static void printTable(PrintStream out, List<Point> points, List<String> modes, int[] batches) {
    StringBuilder header = new StringBuilder("| items/s |");
    StringBuilder rule = new StringBuilder("| --- |");
    for (int batch : batches) {
      header.append(" batch ").append(batch).append(" |");
      rule.append(" ---: |");
    }
    out.println(header);
    out.println(rule);
    for (String mode : modes) {
      StringBuilder row = new StringBuilder("| ").append(mode).append(" |");
      for (int batch : batches) {
        points.stream()
            .filter(p -> p.mode().equals(mode) && p.batch() == batch)
            .findFirst()
            .ifPresent(p -> row.append(String.format(Locale.ROOT, " %.2f |", p.itemsPerSecond())));
      }
      out.println(row);
    }
  }

  private static String json(Point p, ClipModel model, String threads) {
    return String.format(
        Locale.ROOT,
        "{\"bench\":\"encoder\",\"impl\":\"java-djl\",\"model\":\"%s\",\"mode\":\"%s\",\"batch\":%d,"
            + "\"items_per_s\":%.4f,\"iterations\":%d,\"seconds\":%.3f,\"median_ms\":%.3f,\"min_ms\":%.3f,"
            + "\"max_ms\":%.3f,\"threads\":\"%s\",\"libtorch\":\"%s\",\"cpus\":%d}",
        model.name().replace("\"", "'"), p.mode(), p.batch(), p.itemsPerSecond(), p.iterations(), p.seconds(),
        p.medianMs(), p.minMs(), p.maxMs(), threads, libtorchVersion(), Runtime.getRuntime().availableProcessors());
  }

  private static String libtorchVersion() {
    try {
      return ai.djl.engine.Engine.getEngine("PyTorch").getVersion();
    } catch (RuntimeException e) {
      return "?";
    }
  }

  /** Photo-sized RGB images with gradients, shapes and a little noise, all different. */
  static List<BufferedImage> syntheticImages(int count, int width, int height) {
    Random random = new Random(42);
    List<BufferedImage> images = new ArrayList<>(count);
    for (int n = 0; n < count; n++) {
      BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
      Graphics2D g = image.createGraphics();
      try {
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setPaint(new GradientPaint(0, 0, randomColour(random), width, height, randomColour(random)));
        g.fillRect(0, 0, width, height);
        for (int s = 0; s < 12; s++) {
          g.setColor(randomColour(random));
          int x = random.nextInt(width);
          int y = random.nextInt(height);
          int w = 20 + random.nextInt(width / 3);
          int h = 20 + random.nextInt(height / 3);
          switch (s % 3) {
            case 0 -> g.fillOval(x - w / 2, y - h / 2, w, h);
            case 1 -> g.fillRect(x - w / 2, y - h / 2, w, h);
            default -> {
              g.setStroke(new BasicStroke(2 + random.nextInt(8)));
              g.drawLine(x, y, random.nextInt(width), random.nextInt(height));
            }
          }
        }
      } finally {
        g.dispose();
      }
      for (int p = 0; p < width * height / 20; p++) {
        int x = random.nextInt(width);
        int y = random.nextInt(height);
        image.setRGB(x, y, image.getRGB(x, y) ^ (random.nextInt(32) * 0x010101));
      }
      images.add(image);
    }
    return images;
  }

  private static Color randomColour(Random random) {
    return new Color(random.nextInt(256), random.nextInt(256), random.nextInt(256));
  }

  /** Caption-like queries of varied length, all different. */
  static List<String> captions(int count) {
    List<String> captions = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      captions.add(
          String.format(
              Locale.ROOT,
              TEMPLATES[i % TEMPLATES.length],
              COLOURS[(i * 5) % COLOURS.length],
              THINGS[(i * 7 + i / COLOURS.length) % THINGS.length]));
    }
    return captions;
  }
}
