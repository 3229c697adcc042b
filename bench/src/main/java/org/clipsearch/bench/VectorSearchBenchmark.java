package org.clipsearch.bench;

import java.io.DataOutputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.stream.IntStream;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.FloatVectorValues;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.KnnFloatVectorQuery;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.util.VectorUtil;
import org.clipsearch.indexer.lucene.HnswSettings;
import org.clipsearch.indexer.lucene.LuceneImageStore;
import org.clipsearch.indexer.lucene.VectorFormat;

/**
 * Lucene HNSW (float and scalar-quantized) against exact brute force on the same clustered vectors: recall@10,
 * queries/s and p50/p99 latency at several candidate counts. Also writes the vectors, queries and exact neighbours
 * as .fvecs/.ivecs so that bench/ann_peers.py measures hnswlib and FAISS on exactly the same data.
 *
 * <p>Usage: VectorSearchBenchmark N DIM OUT_DIR [formats, e.g. float,int7,int4]
 */
public final class VectorSearchBenchmark {
  static final int K = 10;
  static final int QUERIES = 1000;
  static final int[] CANDIDATES = {10, 20, 40, 80, 160, 320};

  private VectorSearchBenchmark() {}

  public static void main(String[] args) throws IOException {
    int n = Integer.parseInt(args[0]);
    int dim = Integer.parseInt(args[1]);
    Path out = Path.of(args[2]);
    List<VectorFormat> formats = Arrays.stream((args.length > 3 ? args[3] : "float,int7,int4").split(","))
        .map(VectorFormat::parse).toList();
    Files.createDirectories(out);
    Random random = new Random(42);
    // Clustered like real embeddings: many topics, images scattered around each, all on the unit sphere.
    int clusters = Math.max(10, n / 100);
    float[][] centres = new float[clusters][];
    for (int c = 0; c < clusters; c++) {
      centres[c] = gaussian(random, dim, 1f);
    }
    float[][] data = new float[n][];
    for (int i = 0; i < n; i++) {
      data[i] = around(centres[random.nextInt(clusters)], random, 0.6f);
    }
    float[][] queries = new float[QUERIES][];
    for (int i = 0; i < QUERIES; i++) {
      queries[i] = around(centres[random.nextInt(clusters)], random, 0.6f);
    }
    long t0 = System.nanoTime();
    int[][] truth = new int[QUERIES][];
    IntStream.range(0, QUERIES).parallel().forEach(q -> truth[q] = exactTopK(data, queries[q], K));
    double bruteSeconds = (System.nanoTime() - t0) / 1e9;
    writeFvecs(out.resolve("base.fvecs"), data);
    writeFvecs(out.resolve("query.fvecs"), queries);
    writeIvecs(out.resolve("groundtruth.ivecs"), truth);

    // Brute force, single-threaded, timed per query like the others.
    long[] bruteLatency = new long[200];
    for (int q = 0; q < bruteLatency.length; q++) {
      long s = System.nanoTime();
      exactTopK(data, queries[q], K);
      bruteLatency[q] = System.nanoTime() - s;
    }
    System.out.printf(Locale.ROOT, "{\"engine\":\"brute-force-java\",\"n\":%d,\"dim\":%d,\"recall\":1.0,%s}%n", n, dim,
        latencyJson(bruteLatency));
    System.err.printf(Locale.ROOT, "ground truth for %d queries in %.1f s (all cores)%n", QUERIES, bruteSeconds);

    for (VectorFormat format : formats) {
      Path indexDir = out.resolve("lucene-" + format);
      long build = buildIndex(indexDir, data, format);
      try (FSDirectory dir = FSDirectory.open(indexDir); DirectoryReader reader = DirectoryReader.open(dir)) {
        IndexSearcher searcher = new IndexSearcher(reader);
        // Quantized graphs order candidates by approximate scores; clipsearch's searcher re-ranks every candidate
        // by the exact dot product with the float vectors kept beside the quantized ones, so both are measured.
        List<Boolean> reranks = format == VectorFormat.FLOAT ? List.of(false) : List.of(false, true);
        for (boolean rerank : reranks) {
          for (int candidates : CANDIDATES) {
            // Warm up, then measure one query at a time.
            for (int q = 0; q < 200; q++) {
              search(searcher, queries[q], candidates, rerank);
            }
            long[] latency = new long[QUERIES];
            double recall = 0;
            for (int q = 0; q < QUERIES; q++) {
              long s = System.nanoTime();
              int[] found = search(searcher, queries[q], candidates, rerank);
              latency[q] = System.nanoTime() - s;
              recall += overlap(found, truth[q]) / (double) K;
            }
            System.out.printf(Locale.ROOT,
                "{\"engine\":\"lucene-hnsw-%s%s\",\"n\":%d,\"dim\":%d,\"candidates\":%d,\"recall\":%.4f,"
                    + "\"build_s\":%.1f,%s}%n",
                format, rerank ? "+rerank" : "", n, dim, candidates, recall / QUERIES, build / 1e9,
                latencyJson(latency));
          }
        }
      }
    }
  }

  /**
   * The k best of {@code candidates} found by HNSW: in HNSW's order, or re-ranked by the exact dot product of the
   * stored float vectors (one segment: doc ids are vector ordinals).
   */
  static int[] search(IndexSearcher searcher, float[] query, int candidates, boolean rerank) throws IOException {
    int n = Math.max(K, candidates);
    TopDocs top = searcher.search(new KnnFloatVectorQuery("vector", query, n), n);
    ScoreDoc[] docs = top.scoreDocs;
    if (rerank) {
      FloatVectorValues values = searcher.getIndexReader().leaves().get(0).reader().getFloatVectorValues("vector");
      ScoreDoc[] exact = new ScoreDoc[docs.length];
      for (int i = 0; i < docs.length; i++) {
        exact[i] = new ScoreDoc(docs[i].doc, VectorUtil.dotProduct(query, values.vectorValue(docs[i].doc)));
      }
      Arrays.sort(exact, (a, b) -> Float.compare(b.score, a.score));
      docs = exact;
    }
    int[] ids = new int[Math.min(K, docs.length)];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = docs[i].doc;
    }
    return ids;
  }

  static long buildIndex(Path dir, float[][] data, VectorFormat format) throws IOException {
    long start = System.nanoTime();
    try (FSDirectory directory = FSDirectory.open(dir)) {
      IndexWriterConfig config = new IndexWriterConfig();
      config.setCodec(LuceneImageStore.codec(new HnswSettings(16, 100, format)));
      config.setRAMBufferSizeMB(1024);
      config.setOpenMode(IndexWriterConfig.OpenMode.CREATE);
      try (IndexWriter writer = new IndexWriter(directory, config)) {
        for (float[] v : data) {
          Document doc = new Document();
          doc.add(new KnnFloatVectorField("vector", v, VectorSimilarityFunction.DOT_PRODUCT));
          writer.addDocument(doc);
        }
        // One segment, as a long-lived index converges to, so that doc ids are the insertion order.
        writer.forceMerge(1);
      }
    }
    return System.nanoTime() - start;
  }

  static int[] exactTopK(float[][] data, float[] query, int k) {
    int[] best = new int[k];
    float[] scores = new float[k];
    Arrays.fill(scores, Float.NEGATIVE_INFINITY);
    for (int i = 0; i < data.length; i++) {
      float s = dot(data[i], query);
      if (s > scores[k - 1]) {
        int j = k - 1;
        while (j > 0 && scores[j - 1] < s) {
          scores[j] = scores[j - 1];
          best[j] = best[j - 1];
          j--;
        }
        scores[j] = s;
        best[j] = i;
      }
    }
    return best;
  }

  /** Lucene's SIMD dot product (Panama vector API): the brute-force reference is as fast as Java gets. */
  static float dot(float[] a, float[] b) {
    return VectorUtil.dotProduct(a, b);
  }

  static int overlap(int[] a, int[] b) {
    int n = 0;
    for (int x : a) {
      for (int y : b) {
        if (x == y) {
          n++;
          break;
        }
      }
    }
    return n;
  }

  static String latencyJson(long[] nanos) {
    long[] sorted = nanos.clone();
    Arrays.sort(sorted);
    double total = Arrays.stream(nanos).sum() / 1e9;
    return String.format(Locale.ROOT, "\"qps\":%.1f,\"p50_ms\":%.3f,\"p99_ms\":%.3f", nanos.length / total,
        sorted[sorted.length / 2] / 1e6, sorted[(int) (sorted.length * 0.99)] / 1e6);
  }

  static float[] gaussian(Random random, int dim, float scale) {
    float[] v = new float[dim];
    for (int i = 0; i < dim; i++) {
      v[i] = (float) random.nextGaussian() * scale;
    }
    return normalize(v);
  }

  static float[] around(float[] centre, Random random, float spread) {
    float[] v = new float[centre.length];
    float noise = spread / (float) Math.sqrt(centre.length);
    for (int i = 0; i < v.length; i++) {
      v[i] = centre[i] + (float) random.nextGaussian() * noise;
    }
    return normalize(v);
  }

  static float[] normalize(float[] v) {
    double s = 0;
    for (float x : v) {
      s += x * x;
    }
    float inv = (float) (1 / Math.sqrt(s));
    for (int i = 0; i < v.length; i++) {
      v[i] *= inv;
    }
    return v;
  }

  static void writeFvecs(Path file, float[][] vectors) throws IOException {
    try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(file), 1 << 20))) {
      ByteBuffer row = ByteBuffer.allocate(4 + 4 * vectors[0].length).order(ByteOrder.LITTLE_ENDIAN);
      for (float[] v : vectors) {
        row.clear();
        row.putInt(v.length);
        for (float x : v) {
          row.putFloat(x);
        }
        out.write(row.array());
      }
    }
  }

  static void writeIvecs(Path file, int[][] rows) throws IOException {
    try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(file)))) {
      ByteBuffer row = ByteBuffer.allocate(4 + 4 * rows[0].length).order(ByteOrder.LITTLE_ENDIAN);
      for (int[] r : rows) {
        row.clear();
        row.putInt(r.length);
        for (int x : r) {
          row.putInt(x);
        }
        out.write(row.array());
      }
    }
  }
}
