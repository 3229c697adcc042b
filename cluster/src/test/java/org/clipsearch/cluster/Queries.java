package org.clipsearch.cluster;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.clipsearch.api.ImageRecord;
import org.clipsearch.api.QueryTerm;
import org.clipsearch.api.SearchFilters;
import org.clipsearch.api.SearchHit;
import org.clipsearch.api.SearchRequest;
import org.clipsearch.api.SearchResult;
import org.clipsearch.api.TagReport;
import org.clipsearch.api.TagSettings;
import org.clipsearch.api.TaggedImage;
import org.clipsearch.encoders.ClipModel;
import org.clipsearch.encoders.Images;
import org.clipsearch.searcher.ImageSearch;

/**
 * The searches both backends run in the comparison: text and image queries, filters of every kind, pages, keyword
 * fusion and the cutoff. Results are written as JSON: {name: {candidates, hits: [[path, score], ...]}}.
 */
final class Queries {
  static final ObjectMapper JSON = new ObjectMapper();

  private Queries() {}

  /**
   * A query that one image matches far better than the collection at large: its vector less the collection's mean
   * (the fixture model's vectors share one dominant direction, so nothing else stands out from the rest).
   */
  static float[] standingOut(Path photos, ClipModel model) throws IOException {
    float[] mean = new float[model.dimension()];
    List<Path> files;
    try (var walk = Files.walk(photos)) {
      files = walk.filter(Files::isRegularFile).sorted().toList();
    }
    for (Path file : files) {
      float[] v = model.encodeImage(Images.read(Files.readAllBytes(file)));
      for (int i = 0; i < mean.length; i++) {
        mean[i] += v[i] / files.size();
      }
    }
    float[] q = model.encodeImage(Images.read(Files.readAllBytes(photos.resolve("city/night_walk/img_004.jpg"))));
    for (int i = 0; i < q.length; i++) {
      q[i] -= mean[i];
    }
    return q;
  }

  static Map<String, SearchRequest> all(Path photos, ClipModel model) throws IOException {
    Path beach = photos.resolve("beach-2019");
    Path example = TestPhotos.write(photos.getParent().resolve("outside"), 1000);
    String indexed = photos.resolve("city/night_walk/img_001.jpg").toString();
    Map<String, SearchRequest> q = new LinkedHashMap<>();
    q.put("text", SearchRequest.text("a red circle on a blue sky", 8));
    q.put("text-page-2", SearchRequest.text("a red circle on a blue sky", 8).withPage(8, 8));
    q.put("text-folder", SearchRequest.text("green trees", 5)
        .withFilters(new SearchFilters(beach.toString(), null, null, null, null, null, null, null)));
    q.put("text-format-png", SearchRequest.text("yellow lines", 5)
        .withFilters(new SearchFilters(null, null, null, null, List.of("png"), null, null, null)));
    q.put("text-min-size", SearchRequest.text("a dark night", 6)
        .withFilters(new SearchFilters(null, null, null, null, null, 90, 70, null)));
    q.put("text-dates", SearchRequest.text("a sunny day", 6).withFilters(new SearchFilters(null, null,
        Instant.parse("2017-01-01T00:00:00Z"), Instant.parse("2019-06-01T00:00:00Z"), null, null, null, null)));
    q.put("text-name", SearchRequest.text("orange", 4)
        .withFilters(new SearchFilters(null, List.of("sunset"), null, null, null, null, null, null)));
    q.put("text-no-match", SearchRequest.text("orange", 4)
        .withFilters(new SearchFilters(null, List.of("nowhere"), null, null, null, null, null, null)));
    q.put("image-bytes", new SearchRequest(List.of(new QueryTerm.ImageBytes(Files.readAllBytes(example), 1f)), 6, 0,
        null, 0, false, false));
    q.put("image-indexed-filtered", new SearchRequest(List.of(new QueryTerm.IndexedImage(indexed, 1f)), 6, 0,
        new SearchFilters(null, null, null, null, List.of("jpg"), null, null, null), 0, false, false));
    q.put("combined", new SearchRequest(List.of(new QueryTerm.Text("a beach", 1f),
        new QueryTerm.ImageBytes(Files.readAllBytes(example), 0.5f), new QueryTerm.Text("people", -0.3f)), 5, 0,
        null, 0, false, false));
    // One image's name has "001".
    q.put("keywords", SearchRequest.text("photo 001", 6).withKeywords(true));
    // Twelve names hold "sunset", most in folders named alike: equal BM25 scores, which both backends put in path
    // order, so that each tied image takes the same keyword rank, and the fused order shows it. No query here cuts
    // the ties at a small candidate pool: every query compares the backends hit for hit, which holds only while the
    // pool covers the collection (the default pool of 100 covers these 60 images, so HNSW visits them all). With a
    // pool of 8 the vector half is approximate on both sides, over one graph of 60 images against two shard graphs
    // of about 30 built with other settings, and rightly differs now and then (one run in five measured, with the
    // shard of each image set by a hash of its temporary path). The cut itself is tested on the embedded side
    // (TieOrderTest); Solr's is its sort (score, then path) cut at the pool.
    q.put("keywords-ties", SearchRequest.text("sunset", 6).withKeywords(true));
    q.put("cutoff", new SearchRequest(List.of(new QueryTerm.Vector(standingOut(photos, model), 1f)), 10, 0, null, 0,
        false, true));
    return q;
  }

  /** Labels for the label search both sides run: the fixture model's text tower reads colour words. */
  static final List<String> LABELS = List.of("red", "green", "blue", "yellow", "dark");
  static final float DUPLICATE_THRESHOLD = 0.995f;

  /**
   * Runs every query, then label search (as {@code labels:LABEL}, candidates = how many images have that label as
   * best) and near-duplicates (as {@code duplicates:N}, each group's paths sorted, scores left out since each
   * backend measures them from its own first image).
   */
  static void runAll(Path photos, ClipModel model, ImageSearch searcher, Path out) throws IOException {
    ObjectNode root = JSON.createObjectNode();
    for (var e : all(photos, model).entrySet()) {
      SearchResult result = searcher.search(e.getValue());
      ObjectNode node = root.putObject(e.getKey());
      node.put("candidates", result.candidates());
      node.put("threshold", Float.isNaN(result.threshold()) ? "none" : Float.toString(result.threshold()));
      ArrayNode hits = node.putArray("hits");
      result.hits().forEach(h -> hits.addArray().add(h.path()).add(h.score()));
    }
    for (var e : searcher.labelSearch(LABELS, List.of("{}", "a {} picture"), 1000, null).entrySet()) {
      ObjectNode node = root.putObject("labels:" + e.getKey());
      node.put("candidates", e.getValue().isEmpty() ? 0 : e.getValue().get(0).labelCount());
      node.put("threshold", "none");
      ArrayNode hits = node.putArray("hits");
      e.getValue().forEach(h -> hits.addArray().add(h.hit().path()).add(h.hit().score()));
    }
    // Tags (two per image at most), then each label's tagged images by a label-filtered search: candidates are the
    // label's count, which the tagging run's report must agree with.
    TagReport report = searcher.tag(LABELS, List.of("{}", "a {} picture"), new TagSettings(2, 0.05f), null);
    Map<String, Long> counts = searcher.labelCounts(null);
    TreeSet<String> taggedPaths = new TreeSet<>(); // sorted: one order on both sides
    for (String label : LABELS) {
      if (report.counts().get(label) != counts.getOrDefault(label, 0L).longValue()) {
        throw new IllegalStateException("tagging counted " + report.counts() + " but the index counts " + counts);
      }
      SearchResult tagged = searcher.search(SearchRequest.text("a picture", 1000)
          .withFilters(SearchFilters.NONE.withLabel(label)));
      ObjectNode node = root.putObject("tagged:" + label);
      node.put("candidates", counts.getOrDefault(label, 0L));
      node.put("threshold", "none");
      ArrayNode hits = node.putArray("hits");
      for (SearchHit h : tagged.hits()) {
        hits.addArray().add(h.path()).add(h.score());
        taggedPaths.add(h.path());
      }
    }
    // Each tagged image's details, by id: its record and its tags read at once must agree with its tags read alone.
    for (String path : taggedPaths) {
      TaggedImage details = searcher.taggedImage(ImageRecord.idOf(path)).orElseThrow();
      if (!details.image().path().equals(path) || !details.tags().equals(searcher.tags(path))) {
        throw new IllegalStateException("the details of " + path + " say " + details.image().path() + " tagged "
            + details.tags() + ", its tags alone " + searcher.tags(path));
      }
      ObjectNode node = root.putObject("tags:" + path);
      node.put("candidates", details.tags().size());
      node.put("threshold", "none");
      ArrayNode hits = node.putArray("hits");
      details.tags().forEach(t -> hits.addArray().add(t.label()).add(t.probability()));
    }
    if (searcher.tag(LABELS, List.of("{}", "a {} picture"), new TagSettings(2, 0.05f), null).rewritten() != 0) {
      throw new IllegalStateException("a repeated tagging run rewrote images");
    }
    List<List<String>> groups = new ArrayList<>();
    for (List<SearchHit> group : searcher.nearDuplicates(DUPLICATE_THRESHOLD, 5)) {
      groups.add(group.stream().map(SearchHit::path).sorted().toList());
    }
    groups.sort(Comparator.comparing(g -> g.get(0)));
    for (int i = 0; i < groups.size(); i++) {
      ObjectNode node = root.putObject("duplicates:" + i);
      node.put("candidates", groups.get(i).size());
      node.put("threshold", "none");
      ArrayNode hits = node.putArray("hits");
      groups.get(i).forEach(p -> hits.addArray().add(p).add(0f));
    }
    JSON.writerWithDefaultPrettyPrinter().writeValue(out.toFile(), root);
  }
}
