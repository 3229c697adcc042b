package org.clipsearch.searcher;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.clipsearch.api.QueryTerm;
import org.clipsearch.api.SearchRequest;
import org.clipsearch.encoders.ClipModel;
import org.clipsearch.encoders.Images;
import org.clipsearch.encoders.Vectors;

/**
 * The search arithmetic both backends share, so that the embedded index and SolrCloud answer alike: how terms
 * combine into one query vector, how large the candidate pool is, how keyword and vector rankings fuse, and where
 * the relevance cutoff lies. Uses no Lucene class, so the SolrCloud backend loads it without Lucene 10.
 */
public final class SearchMath {
  /** Candidates asked of HNSW before exact re-ranking, at the least. */
  public static final int DEFAULT_CANDIDATES = 100;
  /** Standard deviations above the query's mean similarity to typical images that a hit must reach. */
  public static final float CUTOFF_SIGMAS = 2.0f;
  /** Reciprocal rank fusion's constant (Cormack et al.). */
  public static final int RRF_K = 60;
  /** How many indexed images calibrate the cutoff. */
  public static final int CALIBRATION_SAMPLE = 512;

  /** Looks up the stored vector of an indexed image. */
  @FunctionalInterface
  public interface IndexedVectors {
    float[] vector(String idOrPath) throws IOException;
  }

  private SearchMath() {}

  /**
   * The pool grows in steps of {@code numCandidates} (default max(100, 10k)), so that consecutive pages inside one
   * step are cut from the same exactly-ranked list: they never overlap and never skip.
   */
  public static int candidatePool(SearchRequest request) {
    int step = request.numCandidates() > 0 ? request.numCandidates() : Math.max(DEFAULT_CANDIDATES, 10 * request.k());
    int needed = request.offset() + request.k();
    return (int) Math.min(100_000L, ((long) (needed + step - 1) / step) * step);
  }

  /**
   * A query's vector and the time its texts and images spent in the encoders.
   *
   * @param vector the normalised weighted sum of the terms' embeddings
   * @param encodeNanos nanoseconds spent embedding texts and images (not looking up indexed images)
   */
  public record QueryVector(float[] vector, long encodeNanos) {}

  /**
   * The normalised weighted sum of the terms' embeddings. Each text is embedded alone, not in one batch with the
   * query's other texts: a quantised text tower (the default model's) scales each batch as a whole, so a batch
   * would make "beach" in {@code beach -people} a slightly different vector from the query "beach".
   */
  public static QueryVector queryVector(List<QueryTerm> terms, ClipModel model, IndexedVectors indexed)
      throws IOException {
    float[] sum = new float[model.dimension()];
    long encodeNanos = 0;
    List<String> texts = new ArrayList<>();
    List<Float> textWeights = new ArrayList<>();
    float positive = 0;
    for (QueryTerm term : terms) {
      if (!Float.isFinite(term.weight()) || term.weight() == 0f) {
        throw new IllegalArgumentException("term weights must be finite and non-zero, got " + term.weight());
      }
      positive += Math.max(0, term.weight());
      switch (term) {
        case QueryTerm.Text t -> {
          if (t.text().isBlank()) {
            throw new IllegalArgumentException("a text term is empty");
          }
          texts.add(t.text());
          textWeights.add(t.weight());
        }
        case QueryTerm.IndexedImage i -> add(sum, indexed.vector(i.idOrPath()), i.weight());
        case QueryTerm.ImageBytes b -> {
          long start = System.nanoTime();
          add(sum, model.encodeImage(Images.read(b.content())), b.weight());
          encodeNanos += System.nanoTime() - start;
        }
        case QueryTerm.Vector v -> {
          if (v.vector().length != model.dimension()) {
            throw new IllegalArgumentException(
                "a vector term has " + v.vector().length + " dimensions; the model has " + model.dimension());
          }
          add(sum, Vectors.normalizeInPlace(v.vector().clone()), v.weight());
        }
      }
    }
    if (positive <= 0) {
      throw new IllegalArgumentException("a query needs at least one term with a positive weight");
    }
    for (int i = 0; i < texts.size(); i++) {
      long start = System.nanoTime();
      float[] embedded = model.encodeText(texts.get(i));
      encodeNanos += System.nanoTime() - start;
      add(sum, embedded, textWeights.get(i));
    }
    if (Vectors.dot(sum, sum) < 1e-12f) {
      // The user's terms, not the model: "dog" with weight 1 and "dog" with weight -1 leave no direction to search.
      throw new IllegalArgumentException("the query's terms cancel each other out: nothing is left to search for");
    }
    return new QueryVector(Vectors.normalizeInPlace(sum), encodeNanos);
  }

  static void add(float[] sum, float[] v, float weight) {
    for (int i = 0; i < sum.length; i++) {
      sum[i] += weight * v[i];
    }
  }

  /** The words of the positive text terms, as the indexer splits folder and file names. */
  public static List<String> keywordTokens(SearchRequest request) {
    String words = request.terms().stream()
        .filter(t -> t instanceof QueryTerm.Text && t.weight() > 0)
        .map(t -> ((QueryTerm.Text) t).text())
        .reduce("", (a, b) -> a + " " + b);
    return nameTokens(words);
  }

  /** Lower-cased runs of letters and digits. */
  public static List<String> nameTokens(String text) {
    return Arrays.stream(text.toLowerCase(Locale.ROOT).split("[^\\p{L}\\p{N}]+"))
        .filter(t -> !t.isEmpty())
        .distinct()
        .toList();
  }

  public static String normalizeFormat(String format) {
    String f = format.toLowerCase(Locale.ROOT).strip();
    return switch (f) {
      case "jpg", "jpe" -> "jpeg";
      case "tif" -> "tiff";
      default -> f;
    };
  }

  /**
   * The order of paths that breaks ties on both backends: by code point, which is the order of their UTF-8 bytes, in
   * which Lucene keeps terms and Solr sorts a string field. {@link String#compareTo} differs from it only where a
   * character beyond U+FFFF (a surrogate pair in UTF-16) meets one from U+E000 to U+FFFF.
   */
  public static final Comparator<String> PATH_ORDER = (a, b) -> {
    int n = Math.min(a.length(), b.length());
    for (int i = 0; i < n; i++) {
      char x = a.charAt(i);
      char y = b.charAt(i);
      if (x != y) {
        boolean xBeyond = Character.isSurrogate(x);
        if (xBeyond != Character.isSurrogate(y)) {
          return xBeyond ? 1 : -1;
        }
        return Character.compare(x, y);
      }
    }
    return Integer.compare(a.length(), b.length());
  };

  /**
   * Reciprocal rank fusion of two rankings of paths: each scores the sum of 1/(RRF_K + rank) over the rankings it
   * is in; ties go in {@link #PATH_ORDER}, so the order is deterministic.
   */
  public static List<String> fuse(List<String> first, List<String> second) {
    return fuse(first, second, PATH_ORDER);
  }

  /**
   * {@link #fuse(List, List)} with ties in {@code ties} order. Ties are common in RRF (rank 3 in one list alone
   * scores as rank 3 in the other alone); backends whose keys differ order them by one thing, the path.
   */
  public static <K> List<K> fuse(List<K> first, List<K> second, Comparator<? super K> ties) {
    Map<K, Float> fused = new LinkedHashMap<>();
    for (int rank = 0; rank < first.size(); rank++) {
      fused.merge(first.get(rank), 1f / (RRF_K + rank + 1), Float::sum);
    }
    for (int rank = 0; rank < second.size(); rank++) {
      fused.merge(second.get(rank), 1f / (RRF_K + rank + 1), Float::sum);
    }
    List<K> order = new ArrayList<>(fused.keySet());
    order.sort(Comparator.comparing((K k) -> -fused.get(k)).thenComparing(ties));
    return order;
  }

  /**
   * The adaptive relevance cutoff: a hit must be more similar to the query than the query is to the collection's
   * typical image by {@link #CUTOFF_SIGMAS} standard deviations, measured on {@code sample}. A query for something
   * the collection lacks scores every image about alike, so few or no hits stand out.
   */
  public static float cutoffThreshold(float[] query, float[][] sample) {
    if (sample.length < 2) {
      return -1f;
    }
    double sum = 0;
    double sumSquares = 0;
    for (float[] v : sample) {
      double s = Vectors.dot(query, v);
      sum += s;
      sumSquares += s * s;
    }
    double mean = sum / sample.length;
    double std = Math.sqrt(Math.max(0, sumSquares / sample.length - mean * mean));
    return (float) (mean + CUTOFF_SIGMAS * std);
  }
}
