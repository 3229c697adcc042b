package org.clipsearch.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The client side of the web load test (bench/run-web-load.sh), run in its own process against a
 * {@link WebLoadServer}: closed-loop text searches ({@code GET /api/search?q=...&k=20}) at each concurrency level,
 * first for a warm-up that is not counted, then for the measured time. Each of the {@code concurrency} threads sends
 * its next query as soon as the previous answer has arrived (keep-alive HTTP/1.1 connections from one HttpClient),
 * taking the queries in turn from a list of a few hundred distinct English queries (templates over object names).
 *
 * <p>Per level it reports queries/s (answers over the measured time), p50/p99 latency as the client saw it, errors
 * (non-200 answers and exceptions, counted by kind), the share of the summed latency the server spent waiting for a
 * worker, in the text encoder and in the vector search (from the Server-Timing header of each answer; the rest is
 * HTTP, JSON and the client), and from the server's control port: images its writer committed during the level,
 * peak resident memory (VmHWM, reset at the start of the level), peak heap and CPU used. After each level it checks
 * that the server's searcher sees the writer's newest commit ({@code GET /api/images/ID}).
 *
 * <p>Usage: WebLoadClient BASE_URL CONTROL_URL [--concurrency 1,8,32] [--seconds 30] [--warmup-seconds 10] [--k 20]
 * [--queries 400] [--json FILE] [--markdown FILE]
 */
public final class WebLoadClient {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String[] OBJECTS = {"dog", "cat", "red car", "bicycle", "horse", "sailboat", "mountain lake",
      "city skyline", "birthday cake", "old stone bridge", "lighthouse", "child on a swing", "coffee cup",
      "snowy forest", "beach umbrella", "train station", "sunflower field", "waterfall", "castle", "pizza", "guitar",
      "street market", "fireworks", "cow", "parrot", "tent", "skier", "surfer", "bowl of fruit", "wooden boat",
      "church", "desert road", "rainy street", "yellow taxi", "bookshelf", "laptop", "group of friends",
      "wedding dress", "tulips", "airplane", "double-decker bus", "motorcycle", "fountain", "statue", "harbour",
      "field of wheat", "kitten", "puppy", "glass of wine", "campfire", "starry sky", "rainbow", "windmill",
      "ferris wheel", "christmas tree", "snowman", "football match", "swimming pool", "playground", "palm tree",
      "garden gate", "library", "kitchen", "bedroom", "chess board", "violin", "owl", "deer", "brown bear", "fox"};
  private static final String[] TEMPLATES = {"a photo of a %s", "%s at sunset", "%s in the rain",
      "a close-up of a %s", "%s in winter", "black and white photo of a %s", "%s seen from above",
      "my %s last summer"};

  private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(10)).build();
  private final URI base;
  private final URI control;
  private final List<String> queries;
  private final int k;
  private final AtomicLong next = new AtomicLong();

  private WebLoadClient(URI base, URI control, List<String> queries, int k) {
    this.base = base;
    this.control = control;
    this.queries = queries;
    this.k = k;
  }

  public static void main(String[] args) throws Exception {
    URI base = URI.create(args[0].endsWith("/") ? args[0] : args[0] + "/");
    URI control = URI.create(args[1].endsWith("/") ? args[1] : args[1] + "/");
    int[] levels = {1, 8, 32};
    double seconds = 30;
    double warmup = 10;
    int k = 20;
    int queryCount = 400;
    Path json = null;
    Path markdown = null;
    for (int i = 2; i < args.length; i += 2) {
      switch (args[i]) {
        case "--concurrency" -> levels = Arrays.stream(args[i + 1].split(",")).mapToInt(Integer::parseInt).toArray();
        case "--seconds" -> seconds = Double.parseDouble(args[i + 1]);
        case "--warmup-seconds" -> warmup = Double.parseDouble(args[i + 1]);
        case "--k" -> k = Integer.parseInt(args[i + 1]);
        case "--queries" -> queryCount = Integer.parseInt(args[i + 1]);
        case "--json" -> json = Path.of(args[i + 1]);
        case "--markdown" -> markdown = Path.of(args[i + 1]);
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    WebLoadClient load = new WebLoadClient(base, control, queries(queryCount), k);
    List<Level> results = new ArrayList<>();
    for (int concurrency : levels) {
      System.err.printf(Locale.ROOT, "concurrency %d: %.0f s warm-up, %.0f s measured%n", concurrency, warmup, seconds);
      load.run(concurrency, warmup);
      JsonNode before = load.control("reset", "POST");
      long clientCpu0 = processCpuNanos();
      long t0 = System.nanoTime();
      List<Sample> samples = load.run(concurrency, seconds);
      double wall = (System.nanoTime() - t0) / 1e9;
      long clientCpu = processCpuNanos() - clientCpu0;
      JsonNode after = load.control("stats", "GET");
      long visibleMs = load.visibleAfter(after.path("last_committed_id").asText(null));
      Level level = new Level(concurrency, wall, samples, before, after, clientCpu / 1e9, visibleMs);
      results.add(level);
      String line = level.json();
      System.out.println(line);
      if (json != null) {
        Files.writeString(json, line + "\n", StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.CREATE,
            java.nio.file.StandardOpenOption.APPEND);
      }
    }
    String table = markdown(results);
    System.out.print(table);
    if (markdown != null) {
      Files.writeString(markdown, table, StandardCharsets.UTF_8);
    }
  }

  /** {@code count} distinct queries, every template over every object, in a fixed shuffled order. */
  static List<String> queries(int count) {
    List<String> all = new ArrayList<>();
    for (String template : TEMPLATES) {
      for (String object : OBJECTS) {
        all.add(String.format(Locale.ROOT, template, object));
      }
    }
    Collections.shuffle(all, new Random(7));
    if (count > all.size()) {
      throw new IllegalArgumentException("at most " + all.size() + " distinct queries");
    }
    return List.copyOf(all.subList(0, count));
  }

  /** One answer: its latency, status (or the exception's name), the server's timings, whether a new image was hit. */
  record Sample(long nanos, String error, double queueMs, double encodeMs, double searchMs, boolean liveHit) {}

  /** {@code concurrency} threads in a closed loop for {@code seconds}; the answers of all of them. */
  private List<Sample> run(int concurrency, double seconds) throws InterruptedException {
    long end = System.nanoTime() + (long) (seconds * 1e9);
    List<List<Sample>> perThread = new ArrayList<>();
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < concurrency; t++) {
      List<Sample> mine = new ArrayList<>();
      perThread.add(mine);
      threads.add(Thread.ofPlatform().name("load-" + t).start(() -> {
        while (System.nanoTime() < end) {
          mine.add(search(queries.get((int) (next.getAndIncrement() % queries.size()))));
        }
      }));
    }
    for (Thread t : threads) {
      t.join();
    }
    List<Sample> all = new ArrayList<>();
    perThread.forEach(all::addAll);
    return all;
  }

  private Sample search(String query) {
    URI uri = base.resolve("api/search?q=" + URLEncoder.encode(query, StandardCharsets.UTF_8) + "&k=" + k);
    HttpRequest request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60)).GET().build();
    long start = System.nanoTime();
    try {
      HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
      long nanos = System.nanoTime() - start;
      if (response.statusCode() != 200) {
        return new Sample(nanos, "HTTP " + response.statusCode(), 0, 0, 0, false);
      }
      double[] timing = serverTiming(response.headers().firstValue("server-timing").orElse(""));
      return new Sample(nanos, null, timing[0], timing[1], timing[2],
          response.body().contains(WebLoadServer.LIVE + "/"));
    } catch (IOException e) {
      return new Sample(System.nanoTime() - start, e.getClass().getSimpleName(), 0, 0, 0, false);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Sample(System.nanoTime() - start, "interrupted", 0, 0, 0, false);
    }
  }

  /**
   * queue, encode and search milliseconds from {@code queue;dur=1.2, encode;dur=3.4, search;dur=5.6}; NaN if absent.
   */
  static double[] serverTiming(String header) {
    double[] ms = {Double.NaN, Double.NaN, Double.NaN};
    for (String entry : header.split(",")) {
      String[] parts = entry.strip().split(";");
      int index = switch (parts[0]) {
        case "queue" -> 0;
        case "encode" -> 1;
        case "search" -> 2;
        default -> -1;
      };
      for (int i = 1; i < parts.length && index >= 0; i++) {
        if (parts[i].strip().startsWith("dur=")) {
          ms[index] = Double.parseDouble(parts[i].strip().substring(4));
        }
      }
    }
    return ms;
  }

  private JsonNode control(String path, String method) throws IOException, InterruptedException {
    HttpRequest request = HttpRequest.newBuilder(control.resolve(path)).timeout(Duration.ofSeconds(30))
        .method(method, HttpRequest.BodyPublishers.noBody()).build();
    return JSON.readTree(client.send(request, HttpResponse.BodyHandlers.ofString()).body());
  }

  /**
   * Milliseconds until the server's searcher finds the image with {@code id} (the writer's newest commit), -1 when it
   * does not within 10 s, -2 when nothing was written.
   */
  private long visibleAfter(String id) throws InterruptedException {
    if (id == null || id.equals("null")) {
      return -2;
    }
    long start = System.nanoTime();
    while (System.nanoTime() - start < 10_000_000_000L) {
      try {
        HttpResponse<Void> r = client.send(HttpRequest.newBuilder(base.resolve("api/images/" + id))
            .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.discarding());
        if (r.statusCode() == 200) {
          return (System.nanoTime() - start) / 1_000_000;
        }
      } catch (IOException e) {
        // try again
      }
      Thread.sleep(50);
    }
    return -1;
  }

  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  /** One concurrency level's figures. */
  record Level(int concurrency, double wall, List<Sample> samples, JsonNode before, JsonNode after,
      double clientCpuSeconds, long visibleMs) {

    long ok() {
      return samples.stream().filter(s -> s.error() == null).count();
    }

    Map<String, Integer> errors() {
      Map<String, Integer> errors = new TreeMap<>();
      samples.stream().filter(s -> s.error() != null).forEach(s -> errors.merge(s.error(), 1, Integer::sum));
      return errors;
    }

    double qps() {
      return ok() / wall;
    }

    /** Latency percentile of the successful answers, in ms (nearest rank). */
    double percentile(double p) {
      long[] sorted = samples.stream().filter(s -> s.error() == null).mapToLong(Sample::nanos).sorted().toArray();
      if (sorted.length == 0) {
        return Double.NaN;
      }
      int rank = (int) Math.ceil(p * sorted.length) - 1;
      return sorted[Math.max(0, Math.min(sorted.length - 1, rank))] / 1e6;
    }

    private double sum(java.util.function.ToDoubleFunction<Sample> f) {
      return samples.stream().filter(s -> s.error() == null).mapToDouble(f).filter(Double::isFinite).sum();
    }

    /** Share of the summed client latency of successful answers: queue, encode, search, rest. */
    double[] shares() {
      double total = sum(s -> s.nanos() / 1e6);
      double queue = sum(Sample::queueMs);
      double encode = sum(Sample::encodeMs);
      double search = sum(Sample::searchMs);
      return new double[] {queue / total, encode / total, search / total, 1 - (queue + encode + search) / total};
    }

    double mean(java.util.function.ToDoubleFunction<Sample> f) {
      long n = ok();
      return n == 0 ? Double.NaN : sum(f) / n;
    }

    double liveHitShare() {
      long n = ok();
      return n == 0 ? Double.NaN : samples.stream().filter(Sample::liveHit).count() / (double) n;
    }

    long written() {
      return after.path("written").asLong() - before.path("written").asLong();
    }

    double serverCpu() {
      return (after.path("cpu_s").asDouble() - before.path("cpu_s").asDouble()) / wall;
    }

    String json() {
      double[] shares = shares();
      StringBuilder errors = new StringBuilder("{");
      errors().forEach((kind, n) -> errors.append(errors.length() > 1 ? "," : "").append('"').append(kind)
          .append("\":").append(n));
      errors.append('}');
      return String.format(Locale.ROOT,
          "{\"concurrency\":%d,\"seconds\":%.2f,\"requests\":%d,\"ok\":%d,\"qps\":%.2f,\"p50_ms\":%.2f,"
              + "\"p99_ms\":%.2f,\"mean_ms\":%.2f,\"errors\":%s,\"queue_share\":%.4f,\"encode_share\":%.4f,"
              + "\"search_share\":%.4f,\"rest_share\":%.4f,\"queue_ms_mean\":%.3f,\"encode_ms_mean\":%.3f,"
              + "\"search_ms_mean\":%.3f,\"live_hit_share\":%.4f,\"written\":%d,\"write_rate\":%.1f,"
              + "\"commits\":%d,\"commit_ms_mean\":%.1f,\"commit_ms_max\":%.1f,\"write_errors\":%d,"
              + "\"newest_commit_visible_ms\":%d,\"server\":%s,\"server_cpu_cores\":%.2f,"
              + "\"client_cpu_cores\":%.2f}",
          concurrency, wall, samples.size(), ok(), qps(), percentile(0.5), percentile(0.99),
          mean(s -> s.nanos() / 1e6), errors, shares[0], shares[1], shares[2], shares[3], mean(Sample::queueMs),
          mean(Sample::encodeMs), mean(Sample::searchMs), liveHitShare(), written(), written() / wall,
          after.path("commits").asLong() - before.path("commits").asLong(), after.path("commit_ms_mean").asDouble(),
          after.path("commit_ms_max").asDouble(),
          after.path("write_errors").asLong() - before.path("write_errors").asLong(), visibleMs, after,
          serverCpu(), clientCpuSeconds / wall);
    }
  }

  static String markdown(List<Level> levels) {
    StringBuilder b = new StringBuilder();
    b.append("| concurrency | queries/s | p50 ms | p99 ms | errors | encode | search | queue | rest | images "
        + "written | peak RSS MB | peak heap MB | CPU server / client |\n");
    b.append("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    for (Level l : levels) {
      double[] s = l.shares();
      Map<String, Integer> errors = l.errors();
      String errorText = errors.isEmpty() ? "0" : String.join(", ", errors.entrySet().stream()
          .map(e -> e.getValue() + " " + e.getKey()).toList());
      b.append(String.format(Locale.ROOT,
          "| %d | %.1f | %.1f | %.1f | %s | %.0f%% (%.1f ms) | %.0f%% (%.1f ms) | %.0f%% | %.0f%% | %d | %d | %d | "
              + "%.2f / %.2f |\n",
          l.concurrency(), l.qps(), l.percentile(0.5), l.percentile(0.99), errorText, 100 * s[1],
          l.mean(Sample::encodeMs), 100 * s[2], l.mean(Sample::searchMs), 100 * s[0], 100 * s[3], l.written(),
          l.after().path("vm_hwm_mb").asLong(), l.after().path("heap_peak_mb").asLong(), l.serverCpu(),
          l.clientCpuSeconds() / l.wall()));
    }
    b.append('\n');
    for (Level l : levels) {
      b.append(String.format(Locale.ROOT,
          "- concurrency %d: %d requests in %.1f s; writer: %d images in %d commits (%.1f/s; commit mean %.0f ms, "
              + "max %.0f ms, %d write errors); %s; %.0f%% of answers held an image written during this run.%n",
          l.concurrency(), l.samples().size(), l.wall(), l.written(),
          l.after().path("commits").asLong() - l.before().path("commits").asLong(), l.written() / l.wall(),
          l.after().path("commit_ms_mean").asDouble(), l.after().path("commit_ms_max").asDouble(),
          l.after().path("write_errors").asLong() - l.before().path("write_errors").asLong(),
          l.visibleMs() >= 0 ? "its newest commit was found through /api/images after " + l.visibleMs() + " ms"
              : l.visibleMs() == -2 ? "nothing written" : "its newest commit was NOT found within 10 s",
          100 * l.liveHitShare()));
    }
    return b.toString();
  }
}
