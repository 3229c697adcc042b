package org.clipsearch.searcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.apache.lucene.document.Document;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexableField;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.StoredFields;
import org.apache.lucene.store.FSDirectory;
import org.clipsearch.api.ImageFields;
import org.clipsearch.api.ImageRecord;
import org.clipsearch.api.LabeledHit;
import org.clipsearch.api.IndexStats;
import org.clipsearch.api.LabelScore;
import org.clipsearch.api.QueryTerm;
import org.clipsearch.api.SearchFilters;
import org.clipsearch.api.SearchHit;
import org.clipsearch.api.SearchRequest;
import org.clipsearch.api.TagReport;
import org.clipsearch.api.TagSettings;
import org.clipsearch.api.TaggedImage;
import org.clipsearch.encoders.ClipModel;
import org.clipsearch.indexer.ImageIndexer;
import org.clipsearch.indexer.IndexReport;
import org.clipsearch.indexer.lucene.HnswSettings;
import org.clipsearch.indexer.lucene.LuceneImageStore;
import org.clipsearch.indexer.lucene.VectorFormat;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Label tags ({@code labels --tag}) on real indexes of their own: every expected tag is computed here, independently
 * of the searcher (label vectors as the normalised mean of the template embeddings, probabilities as the softmax of
 * 100 times the cosines, as {@link ZeroShotTest} checks them), and the index is read back through searches, counts
 * and Lucene itself.
 */
class LabelTagTest {
  /** Labels the fixture model spreads these drawings over (each the best of 8 to 10, with runners-up above 5%). */
  static final List<String> LABELS = List.of("beach", "a forest at night", "a mountain", "the sea");
  static final List<String> OTHER = List.of("a sunset", "a boat", "a person");
  static final int IMAGES = 36;
  static ClipModel model;

  @TempDir Path dir;

  @BeforeAll
  static void load() {
    model = TestFiles.model();
    assertEquals(100f, model.logitScale(), "the fixture's logit scale, which expectedTags assumes");
  }

  /** An indexed folder of 36 drawings: even ones in a/, odd ones in b/, every third a PNG, the rest JPEGs. */
  record Fixture(Path photos, Path index, List<String> paths) {
    String folderA() {
      return photos.resolve("a").toString();
    }

    boolean inA(String path) {
      return Path.of(path).getParent().equals(photos.resolve("a"));
    }
  }

  Fixture build(HnswSettings hnsw) throws IOException {
    Path photos = dir.resolve("photos");
    List<String> paths = new ArrayList<>();
    for (int i = 0; i < IMAGES; i++) {
      String folder = i % 2 == 0 ? "a" : "b";
      String format = i % 3 == 0 ? "png" : "jpeg";
      Path file = photos.resolve(folder).resolve("img" + i + (format.equals("png") ? ".png" : ".jpg"));
      TestFiles.write(file, format, TestFiles.draw(64 + 8 * (i % 5), 72, 500 + i),
          Instant.parse("2020-01-01T00:00:00Z").plusSeconds(86_400L * i));
      paths.add(file.toString());
    }
    Path index = dir.resolve("index");
    index(photos, index, hnsw);
    return new Fixture(photos, index, paths);
  }

  static IndexReport index(Path photos, Path index, HnswSettings hnsw) throws IOException {
    try (ImageIndexer indexer = ImageIndexer.builder().index(index).model(model).hnsw(hnsw).build()) {
      IndexReport report = indexer.index(List.of(photos));
      assertFalse(report.hasFailures(), report.toString());
      return report;
    }
  }

  // ------------------------------------------------------------------------------------------ expectations

  /** The tags a run must write for {@code image}: the best label, then the next while >= the minimum, at most top. */
  static List<LabelScore> expectedTags(float[] image, List<String> labels, TagSettings settings) {
    float[][] vectors = labels.stream().map(l -> ZeroShotTest.labelVector(model, l, PromptTemplates.DEFAULT))
        .toArray(float[][]::new);
    double[] p = ZeroShotTest.probabilities(image, vectors, 100);
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < labels.size(); i++) {
      order.add(i);
    }
    order.sort((x, y) -> Double.compare(p[y], p[x]));
    List<LabelScore> tags = new ArrayList<>();
    for (int i : order) {
      if (tags.size() == settings.top() || (!tags.isEmpty() && p[i] < settings.minProbability())) {
        break;
      }
      tags.add(new LabelScore(labels.get(i), (float) p[i], (float) BruteForce.dot(image, vectors[i])));
    }
    return tags;
  }

  static Map<String, List<LabelScore>> expectedTags(Fixture fx, List<String> labels, TagSettings settings,
      Predicate<String> classified) throws IOException {
    Map<String, List<LabelScore>> tags = new LinkedHashMap<>();
    BruteForce brute = BruteForce.read(fx.index);
    for (String path : fx.paths) {
      tags.put(path, classified.test(path) ? expectedTags(brute.vectors.get(path), labels, settings) : List.of());
    }
    return tags;
  }

  static void assertTags(List<LabelScore> expected, List<LabelScore> actual, String what) {
    assertEquals(expected.stream().map(LabelScore::label).toList(), actual.stream().map(LabelScore::label).toList(),
        what + ": labels, best first");
    for (int i = 0; i < expected.size(); i++) {
      assertEquals(expected.get(i).probability(), actual.get(i).probability(), 1e-5, what + ": probability");
      assertEquals(expected.get(i).score(), actual.get(i).score(), 1e-5, what + ": cosine");
    }
  }

  static void assertAllTags(Map<String, List<LabelScore>> expected, ImageSearcher searcher) throws IOException {
    for (var e : expected.entrySet()) {
      assertTags(e.getValue(), searcher.tags(e.getKey()), e.getKey());
      // The details an image page shows, found by id: the same image and the same tags, read at once.
      TaggedImage details = searcher.taggedImage(ImageRecord.idOf(e.getKey())).orElseThrow();
      assertEquals(e.getKey(), details.image().path());
      assertTags(e.getValue(), details.tags(), e.getKey() + " (details)");
    }
  }

  /** Per label, the images carrying it. */
  static Map<String, Set<String>> imagesByLabel(Map<String, List<LabelScore>> tags) {
    Map<String, Set<String>> by = new TreeMap<>();
    tags.forEach((path, list) -> list.forEach(t -> by.computeIfAbsent(t.label(), x -> new HashSet<>()).add(path)));
    return by;
  }

  /** Counts as the index must report them: most frequent first, ties by label. */
  static List<Map.Entry<String, Long>> counts(Map<String, List<LabelScore>> tags) {
    return imagesByLabel(tags).entrySet().stream()
        .map(e -> Map.entry(e.getKey(), (long) e.getValue().size()))
        .sorted(Map.Entry.<String, Long>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()))
        .toList();
  }

  static Set<String> paths(List<SearchHit> hits) {
    return hits.stream().map(SearchHit::path).collect(Collectors.toSet());
  }

  /** Every image the filters allow (k above the index size): a text query, so nothing is left out as an example. */
  static Set<String> all(ImageSearcher searcher, SearchFilters filters) throws IOException {
    return paths(searcher.search(SearchRequest.text("a picture", 100).withFilters(filters)).hits());
  }

  static SearchFilters label(String label) {
    return SearchFilters.NONE.withLabel(label);
  }

  // ------------------------------------------------------------------------------------------ tests

  @Test
  void tagsEveryImageWithItsMostProbableLabelsBestFirst() throws IOException {
    Fixture fx = build(HnswSettings.DEFAULT);
    Map<String, List<LabelScore>> expected = expectedTags(fx, LABELS, TagSettings.DEFAULT, p -> true);
    Set<String> best = expected.values().stream().map(t -> t.get(0).label()).collect(Collectors.toSet());
    assertEquals(Set.copyOf(LABELS), best, "test set-up: every label is some image's best");
    assertTrue(expected.values().stream().anyMatch(t -> t.size() == 1)
        && expected.values().stream().anyMatch(t -> t.size() == 3), "test set-up: 1 to 3 tags per image");
    try (ImageSearcher searcher = ImageSearcher.open(fx.index, model)) {
      for (String path : fx.paths) {
        assertEquals(List.of(), searcher.tags(path), "nothing is tagged before a run");
      }
      TagReport report = searcher.tag(LABELS, null, TagSettings.DEFAULT, null);
      assertEquals(IMAGES, report.classified());
      assertEquals(IMAGES, report.rewritten(), "every image gained tags");
      assertEquals(LABELS, report.labels());
      assertAllTags(expected, searcher);
      Map<String, Long> reported = new LinkedHashMap<>();
      LABELS.forEach(l -> reported.put(l, (long) imagesByLabel(expected).getOrDefault(l, Set.of()).size()));
      assertEquals(reported, report.counts(), "the run's counts, in the order of its labels");

      // Every image's first tag is the label label search files it under.
      for (var entry : searcher.labelSearch(LABELS, null, 1000, null).entrySet()) {
        for (LabeledHit h : entry.getValue()) {
          assertEquals(entry.getKey(), searcher.tags(h.hit().path()).get(0).label(), h.hit().path());
        }
      }

      // The same run again: the same tags, and no document is rewritten for nothing.
      TagReport again = searcher.tag(LABELS, null, TagSettings.DEFAULT, null);
      assertEquals(IMAGES, again.classified());
      assertEquals(0, again.rewritten());
      assertAllTags(expected, searcher);

      // The settings decide how many labels: exactly two with no floor, only the best with a floor of 1.
      searcher.tag(LABELS, null, new TagSettings(2, 0f), null);
      assertAllTags(expectedTags(fx, LABELS, new TagSettings(2, 0f), p -> true), searcher);
      fx.paths.forEach(p -> assertEquals(2, uncheckedTags(searcher, p).size()));
      searcher.tag(LABELS, null, new TagSettings(3, 1f), null);
      for (String path : fx.paths) {
        assertEquals(List.of(expected.get(path).get(0).label()),
            uncheckedTags(searcher, path).stream().map(LabelScore::label).toList(), path);
      }
    }
  }

  static List<LabelScore> uncheckedTags(ImageSearcher searcher, String path) {
    try {
      return searcher.tags(path);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  void aLabelFilterReturnsExactlyTheTaggedImagesInsideTheVectorSearch() throws IOException {
    Fixture fx = build(HnswSettings.DEFAULT);
    Map<String, List<LabelScore>> expected = expectedTags(fx, LABELS, TagSettings.DEFAULT, p -> true);
    Map<String, Set<String>> byLabel = imagesByLabel(expected);
    try (ImageSearcher searcher = ImageSearcher.open(fx.index, model)) {
      assertEquals(Set.of(), all(searcher, label(LABELS.get(0))), "untagged: no image has a label");
      searcher.tag(LABELS, null, TagSettings.DEFAULT, null);
      SearchFilters pngInA = new SearchFilters(fx.folderA(), null, null, null, List.of("png"), null, null, null);
      for (String l : LABELS) {
        Set<String> tagged = byLabel.getOrDefault(l, Set.of());
        assertEquals(tagged, all(searcher, label(l)), l);
        assertEquals(tagged.stream().filter(fx::inA).collect(Collectors.toSet()),
            all(searcher, new SearchFilters(fx.folderA(), null, null, null, null, null, null, null, l)),
            l + " under a/");
        assertEquals(tagged.stream().filter(p -> fx.inA(p) && p.endsWith(".png")).collect(Collectors.toSet()),
            all(searcher, pngInA.withLabel(" " + l + " ")), l + ", PNG under a/ (the label stripped)");
      }
      assertEquals(Set.of(), all(searcher, label("no such label")));
      assertEquals(Set.of(), all(searcher, label("Beach")), "labels match exactly");

      // Inside the HNSW search, not after it: k hits when at least k images carry the label, the k most similar.
      String common = byLabel.entrySet().stream().max(Map.Entry.comparingByValue(
          java.util.Comparator.comparingInt(Set::size))).orElseThrow().getKey();
      assertTrue(byLabel.get(common).size() >= 4, "test set-up: a label on at least 4 images");
      BruteForce brute = BruteForce.read(fx.index);
      float[] query = model.encodeText("a red house");
      List<String> exact = byLabel.get(common).stream()
          .sorted(java.util.Comparator.comparingDouble((String p) -> -BruteForce.dot(query, brute.vectors.get(p))))
          .limit(3).toList();
      List<SearchHit> hits = searcher.search(new SearchRequest(List.of(new QueryTerm.Vector(query, 1f)), 3, 0,
          label(common), 0, false, false)).hits();
      assertEquals(exact, hits.stream().map(SearchHit::path).toList(), "the 3 most similar images tagged " + common);

      // similar() and label search take the filter too.
      String example = byLabel.get(common).iterator().next();
      Set<String> others = new HashSet<>(byLabel.get(common));
      others.remove(example);
      assertEquals(others, paths(searcher.similar(example, 100, label(common)).hits()));
      for (var entry : searcher.labelSearch(LABELS, null, 1000, label(common)).entrySet()) {
        entry.getValue().forEach(h -> assertTrue(byLabel.get(common).contains(h.hit().path()), h.hit().path()));
      }
    }
  }

  @Test
  void countsAreTheNumbersOfTaggedImages() throws IOException {
    Fixture fx = build(HnswSettings.DEFAULT);
    Map<String, List<LabelScore>> expected = expectedTags(fx, LABELS, TagSettings.DEFAULT, p -> true);
    try (ImageSearcher searcher = ImageSearcher.open(fx.index, model)) {
      IndexStats before = searcher.stats();
      assertEquals(0, before.tagged());
      assertEquals(Map.of(), before.labels());
      assertEquals(Map.of(), searcher.labelCounts(null));

      searcher.tag(LABELS, null, TagSettings.DEFAULT, null);
      List<Map.Entry<String, Long>> counts = counts(expected);
      assertEquals(LABELS.size(), counts.size(), "test set-up: every label in use");
      assertEquals(counts, List.copyOf(searcher.labelCounts(null).entrySet()), "most frequent first, ties by label");
      IndexStats stats = searcher.stats();
      assertEquals(IMAGES, stats.tagged());
      assertEquals(counts, List.copyOf(stats.labels().entrySet()));
      assertEquals(stats, LuceneImageStore.readStats(fx.index));
      long tags = expected.values().stream().mapToLong(List::size).sum();
      assertEquals(tags, stats.labels().values().stream().mapToLong(Long::longValue).sum(), "one count per tag");

      // Counts among the images a filter allows.
      Map<String, List<LabelScore>> inA = new LinkedHashMap<>(expected);
      inA.keySet().removeIf(p -> !fx.inA(p));
      assertEquals(counts(inA), List.copyOf(searcher.labelCounts(
          new SearchFilters(fx.folderA(), null, null, null, null, null, null, null)).entrySet()));
      String first = counts.get(0).getKey();
      assertEquals(counts.get(0).getValue(), searcher.labelCounts(label(first)).get(first));
    }
  }

  @Test
  void retaggingReplacesTheTagsOfTheImagesItClassifies() throws IOException {
    Fixture fx = build(HnswSettings.DEFAULT);
    try (ImageSearcher searcher = ImageSearcher.open(fx.index, model)) {
      searcher.tag(LABELS, null, TagSettings.DEFAULT, null);
      TagReport other = searcher.tag(OTHER, null, TagSettings.DEFAULT, null);
      assertEquals(IMAGES, other.classified());
      assertAllTags(expectedTags(fx, OTHER, TagSettings.DEFAULT, p -> true), searcher);
      for (String l : LABELS) {
        assertEquals(Set.of(), all(searcher, label(l)), "no image keeps the old label " + l);
      }
      assertTrue(OTHER.containsAll(searcher.stats().labels().keySet()), searcher.stats().labels().toString());

      // A run restricted by filters replaces the tags of the images it classifies, and only theirs.
      SearchFilters a = new SearchFilters(fx.folderA(), null, null, null, null, null, null, null);
      TagReport onlyA = searcher.tag(LABELS, null, TagSettings.DEFAULT, a);
      assertEquals(IMAGES / 2, onlyA.classified());
      Map<String, List<LabelScore>> expected = expectedTags(fx, LABELS, TagSettings.DEFAULT, fx::inA);
      Map<String, List<LabelScore>> otherInB = expectedTags(fx, OTHER, TagSettings.DEFAULT, p -> !fx.inA(p));
      otherInB.forEach((p, tags) -> {
        if (!fx.inA(p)) {
          expected.put(p, tags);
        }
      });
      assertAllTags(expected, searcher);
      assertEquals(counts(expected), List.copyOf(searcher.stats().labels().entrySet()));
    }
  }

  /** Every stored field but the tags, and the vector, of every live document, read from Lucene itself. */
  static Map<String, String> documents(Path index) throws IOException {
    Set<String> tagFields = Set.of(ImageFields.LABEL, ImageFields.LABEL_PROBABILITY, ImageFields.LABEL_SCORE);
    Map<String, String> docs = new TreeMap<>();
    try (var directory = FSDirectory.open(index); DirectoryReader reader = DirectoryReader.open(directory)) {
      for (LeafReaderContext leaf : reader.leaves()) {
        StoredFields stored = leaf.reader().storedFields();
        var live = leaf.reader().getLiveDocs();
        for (int doc = 0; doc < leaf.reader().maxDoc(); doc++) {
          if (live != null && !live.get(doc)) {
            continue;
          }
          Document d = stored.document(doc);
          StringBuilder text = new StringBuilder();
          for (IndexableField f : d.getFields()) {
            if (tagFields.contains(f.name())) {
              continue;
            }
            var bytes = f.binaryValue();
            text.append(f.name()).append('=').append(bytes != null
                ? HexFormat.of().formatHex(bytes.bytes, bytes.offset, bytes.offset + bytes.length)
                : f.numericValue() != null ? f.numericValue().toString() : f.stringValue()).append('\n');
          }
          float[] vector = LuceneImageStore.vector(reader, leaf.docBase + doc);
          text.append("vector=").append(Arrays.toString(vector));
          docs.put(d.get(ImageFields.PATH), text.toString());
        }
      }
    }
    return docs;
  }

  /** Searches that use every indexed field: text, filters of each kind, keywords, cutoff, an example image. */
  static List<String> searches(ImageSearcher searcher, Fixture fx) throws IOException {
    List<SearchRequest> requests = new ArrayList<>();
    SearchRequest text = SearchRequest.text("a red house", 10);
    requests.add(text);
    requests.add(text.withFilters(new SearchFilters(fx.folderA(), null, null, null, null, null, null, null)));
    requests.add(text.withFilters(new SearchFilters(null, List.of("img1"), null, null, null, null, null, null)));
    requests.add(text.withFilters(new SearchFilters(null, null, Instant.parse("2020-01-05T00:00:00Z"),
        Instant.parse("2020-01-20T00:00:00Z"), null, null, null, null)));
    requests.add(text.withFilters(new SearchFilters(null, null, null, null, List.of("png"), 80, 72, null)));
    requests.add(SearchRequest.text("img2", 10).withKeywords(true));
    requests.add(text.withCutoff(true).withPage(5, 0));
    requests.add(new SearchRequest(List.of(new QueryTerm.IndexedImage(fx.paths.get(3), 1f)), 10, 0, null, 0,
        false, false));
    List<String> results = new ArrayList<>();
    for (SearchRequest r : requests) {
      results.add(searcher.search(r).hits().stream()
          .map(h -> h.path() + " " + h.score() + " " + h.width() + "x" + h.height() + " " + h.format() + " "
              + h.size() + " " + h.date())
          .toList().toString());
    }
    return results;
  }

  @Test
  void taggingKeepsVectorsAndEveryOtherFieldAndTheVectorFormat() throws IOException {
    Fixture fx = build(new HnswSettings(16, 100, VectorFormat.INT8));
    Map<String, String> before = documents(fx.index);
    assertEquals(IMAGES, before.size());
    IndexStats statsBefore = LuceneImageStore.readStats(fx.index);
    assertEquals("int8", statsBefore.vectorFormat());
    try (ImageSearcher searcher = ImageSearcher.open(fx.index, model)) {
      List<String> searchesBefore = searches(searcher, fx);
      var recordBefore = searcher.image(fx.paths.get(0)).orElseThrow();
      assertEquals(IMAGES, searcher.tag(LABELS, null, TagSettings.DEFAULT, null).rewritten());
      assertEquals(before, documents(fx.index), "every stored field and every vector as before");
      assertEquals(searchesBefore, searches(searcher, fx), "the same hits, scores and facts");
      var recordAfter = searcher.image(fx.paths.get(0)).orElseThrow();
      assertEquals(recordBefore.exif(), recordAfter.exif());
      assertTrue(Arrays.equals(recordBefore.thumbnail(), recordAfter.thumbnail()));
      assertTrue(Arrays.equals(recordBefore.vector(), recordAfter.vector()));
      IndexStats stats = searcher.stats();
      assertEquals(IMAGES, stats.images(), "updated in place: no image more, none less");
      assertEquals("int8", stats.vectorFormat(), "the index keeps its vector format");
      assertEquals(statsBefore.model(), stats.model());
    }
  }

  @Test
  void anInterruptedRunLeavesTheIndexAsItWas() throws IOException {
    Fixture fx = build(HnswSettings.DEFAULT);
    try (ImageSearcher searcher = ImageSearcher.open(fx.index, model)) {
      searcher.tag(LABELS, null, TagSettings.DEFAULT, null);
    }
    Map<String, String> documents = documents(fx.index);
    IndexStats stats = LuceneImageStore.readStats(fx.index);
    List<LabelScore> x = List.of(new LabelScore("x", 1f, 1f));
    // Fails half-way: the writer is closed without a commit, as after a crash.
    try (LuceneImageStore store = LuceneImageStore.open(fx.index, HnswSettings.DEFAULT)) {
      int[] n = {0};
      assertThrows(IllegalStateException.class, () -> store.replaceLabels(null, v -> {
        if (++n[0] > IMAGES / 2) {
          throw new IllegalStateException("interrupted");
        }
        return x;
      }));
    }
    // Every image rewritten, but never committed.
    try (LuceneImageStore store = LuceneImageStore.open(fx.index, HnswSettings.DEFAULT)) {
      assertEquals(IMAGES, store.replaceLabels(null, v -> x));
    }
    assertEquals(documents, documents(fx.index));
    IndexStats after = LuceneImageStore.readStats(fx.index);
    assertEquals(stats.labels(), after.labels());
    assertEquals(stats.tagged(), after.tagged());
    assertEquals(stats.lastCommit(), after.lastCommit());

    // A run needs the write lock: while an indexer holds it, tagging is refused and changes nothing.
    try (ImageIndexer indexer = ImageIndexer.builder().index(fx.index).model(model).build();
        ImageSearcher searcher = ImageSearcher.open(fx.index, model)) {
      IOException e = assertThrows(IOException.class, () -> searcher.tag(OTHER, null, TagSettings.DEFAULT, null));
      assertTrue(e.getMessage().contains("locked by another writer"), e.getMessage());
    }
    assertEquals(stats.labels(), LuceneImageStore.readStats(fx.index).labels());
  }

  @Test
  void reindexingAChangedFileDropsItsTagsAndAnUnchangedOneKeepsThem() throws IOException {
    Fixture fx = build(HnswSettings.DEFAULT);
    Map<String, List<LabelScore>> expected = expectedTags(fx, LABELS, TagSettings.DEFAULT, p -> true);
    Path changed = Path.of(fx.paths.get(4));
    Path touched = Path.of(fx.paths.get(5));
    String changedLabel = expected.get(changed.toString()).get(0).label();
    try (ImageSearcher searcher = ImageSearcher.open(fx.index, model)) {
      searcher.tag(LABELS, null, TagSettings.DEFAULT, null);
      assertTrue(all(searcher, label(changedLabel)).contains(changed.toString()));

      // New content under the old name; the same bytes with a new time; a new file.
      TestFiles.write(changed, "jpeg", TestFiles.draw(90, 70, 987_654), Instant.parse("2024-01-01T00:00:00Z"));
      Files.setLastModifiedTime(touched, FileTime.from(Instant.parse("2024-01-02T00:00:00Z")));
      Path added = TestFiles.write(fx.photos.resolve("b/new.png"), "png", TestFiles.draw(80, 80, 31_337),
          Instant.parse("2024-01-03T00:00:00Z"));
      IndexReport report = index(fx.photos, fx.index, HnswSettings.DEFAULT);
      assertEquals(2, report.updated());
      assertEquals(1, report.added());
      searcher.refresh();

      assertEquals(List.of(), searcher.tags(changed.toString()), "tags of the old content are dropped");
      assertFalse(all(searcher, label(changedLabel)).contains(changed.toString()));
      assertEquals(List.of(), searcher.tags(added.toString()), "a new image is untagged until the next run");
      expected.put(changed.toString(), List.of());
      assertAllTags(expected, searcher); // the touched file, same bytes, keeps its tags; the others are untouched
      assertEquals(IMAGES - 1, searcher.stats().tagged());
      assertEquals(counts(expected), List.copyOf(searcher.stats().labels().entrySet()));

      // The next run tags them again.
      TagReport again = searcher.tag(LABELS, null, TagSettings.DEFAULT, null);
      assertEquals(IMAGES + 1, again.classified());
      assertEquals(2, again.rewritten(), "only the changed and the new image");
      assertEquals(IMAGES + 1, searcher.stats().tagged());

      // Re-embedded with the same model: the same vectors, so the tags stay.
      try (ImageIndexer indexer = ImageIndexer.builder().index(fx.index).model(model).reindex(true).build()) {
        assertEquals(IMAGES + 1, indexer.index(List.of(fx.photos)).updated());
      }
      assertEquals(IMAGES + 1, LuceneImageStore.readStats(fx.index).tagged());
    }
    // Re-indexed with another model: every file's content is the same, but no tag of the old model's is kept.
    try (ClipModel other = ClipModel.load(TestFiles.TINY_ONNX);
        ImageIndexer indexer = ImageIndexer.builder().index(fx.index).model(other).reindex(true).build()) {
      IndexReport report = indexer.index(List.of(fx.photos));
      assertEquals(IMAGES + 1, report.added() + report.updated(), report.toString());
    }
    assertEquals(0, LuceneImageStore.readStats(fx.index).tagged());
    assertEquals(Map.of(), LuceneImageStore.readStats(fx.index).labels());
  }

  @Test
  void badRunsAreRefusedWithAReason() throws IOException {
    Fixture fx = build(HnswSettings.DEFAULT);
    try (ImageSearcher searcher = ImageSearcher.open(fx.index, model)) {
      ZeroShotTest.assertMessage(() -> searcher.tag(List.of("cat"), null, null, null), "at least two");
      ZeroShotTest.assertMessage(() -> searcher.tag(List.of("cat", " cat "), null, null, null), "at least two");
      ZeroShotTest.assertMessage(() -> searcher.tag(List.of("cat", " "), null, null, null), "label 2 is empty");
      ZeroShotTest.assertMessage(() -> searcher.tag(LABELS, List.of("no slot"), null, null), "has no {}");
      ZeroShotTest.assertMessage(() -> new TagSettings(0, 0.1f), "between 1 and 100");
      ZeroShotTest.assertMessage(() -> new TagSettings(3, 1.5f), "between 0 and 1");
      assertEquals(0, searcher.stats().tagged(), "nothing was written");
    }
  }
}
