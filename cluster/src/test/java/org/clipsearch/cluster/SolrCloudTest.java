package org.clipsearch.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.apache.solr.client.solrj.SolrQuery;
import org.apache.solr.client.solrj.impl.HttpJdkSolrClient;
import org.apache.solr.client.solrj.request.QueryRequest;
import org.apache.solr.client.solrj.request.schema.SchemaRequest;
import org.apache.solr.client.solrj.response.schema.SchemaResponse;
import org.apache.solr.cloud.MiniSolrCloudCluster;
import org.apache.solr.common.SolrDocument;
import org.apache.solr.common.cloud.DocCollection;
import org.apache.solr.common.cloud.Replica;
import org.apache.solr.embedded.JettySolrRunner;
import org.clipsearch.api.ImageFields;
import org.clipsearch.api.ImageRecord;
import org.clipsearch.api.IndexStats;
import org.clipsearch.api.ModelIdentity;
import org.clipsearch.api.ModelMismatchException;
import org.clipsearch.api.SearchRequest;
import org.clipsearch.api.SearchResult;
import org.clipsearch.encoders.ClipModel;
import org.clipsearch.encoders.Images;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SolrCloud backend against a real cluster: Solr's {@code MiniSolrCloudCluster} (embedded ZooKeeper, two Solr
 * nodes in this JVM) with a collection of 2 shards x 2 replicas made by {@link SolrCollections#create}.
 *
 * <p>Solr's server brings Lucene 9, which cannot share a JVM with the embedded index's Lucene 10. So the two sides
 * that the comparison needs each run in a child JVM: the Solr side ({@link SolrSideMain}) on this module's run-time
 * class path, which has no Lucene and no Jetty at all; the embedded side ({@link EmbeddedSideMain}) with the
 * searcher module and Lucene 10. Both index the same folder with the same model and run the same {@link Queries};
 * the results must be the same images with the same scores, in the same order.
 *
 * <p>The tests run in order and share the cluster: index and compare, incremental runs and prune, a model mismatch,
 * then a node is stopped (searches still answer, nothing committed is lost, writes go on) and restarted (its
 * replicas recover and hold what the survivors hold).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SolrCloudTest {
  static final String COLLECTION = "images";
  static final int IMAGES = 60;

  Path dir;
  Path photos;
  MiniSolrCloudCluster mini;
  SolrCluster solr;
  String zkHost;
  ClipModel model;
  long started = System.nanoTime();

  @BeforeAll
  void startCluster(@TempDir Path tmp) throws Exception {
    dir = tmp;
    photos = dir.resolve("photos");
    TestPhotos.writeAll(photos, IMAGES);
    model = ClipModel.load(TestPhotos.MODEL);
    long t = System.nanoTime();
    mini = new MiniSolrCloudCluster.Builder(2, dir.resolve("solr"))
        .withTraceIdGenerationDisabled()
        .build();
    zkHost = mini.getZkServer().getZkAddress(); // host:port/solr: a chroot, as a real installation may have
    solr = SolrCluster.connect(zkHost);
    log("cluster of 2 nodes started in %d ms (ZooKeeper %s)", millis(t), zkHost);
  }

  @AfterAll
  void stopCluster() throws Exception {
    if (solr != null) {
      solr.close();
    }
    if (mini != null) {
      mini.shutdown();
    }
    if (model != null) {
      model.close();
    }
    log("all done in %d ms", millis(started));
  }

  @Test
  @Order(1)
  void createsTheCollectionWithTheModelsDimensionAndIdentity() throws Exception {
    long t = System.nanoTime();
    ModelIdentity identity = new ModelIdentity(model.name(), model.dimension(), model.bundle().fingerprint());
    SolrCollections.create(solr, new SolrCollections.Spec(COLLECTION, 2, 2, identity, 12, 80, null));
    log("collection created (2 shards x 2 replicas) in %d ms", millis(t));

    DocCollection state = solr.requireCollection(COLLECTION);
    assertEquals(2, state.getSlices().size());
    state.getSlices().forEach(s -> assertEquals(2, s.getReplicas().size(), s.getName()));
    Set<String> nodesOfShard1 = new HashSet<>();
    state.getSlices().iterator().next().getReplicas().forEach(r -> nodesOfShard1.add(r.getNodeName()));
    assertEquals(2, nodesOfShard1.size(), "a shard's two replicas are on different nodes");

    SchemaResponse.FieldTypeResponse type =
        solr.request(new SchemaRequest.FieldType("knn_vector"), COLLECTION);
    Map<String, Object> attributes = type.getFieldType().getAttributes();
    assertEquals("solr.DenseVectorField", attributes.get("class"));
    assertEquals("16", String.valueOf(attributes.get("vectorDimension")), "the model's dimension, written in");
    assertEquals("12", String.valueOf(attributes.get("hnswMaxConnections")));
    assertEquals("80", String.valueOf(attributes.get("hnswBeamWidth")));
    assertEquals("dot_product", String.valueOf(attributes.get("similarityFunction")));

    assertEquals(identity, SolrCollections.recordedModel(solr, COLLECTION));
    assertEquals(16, SolrCollections.dimension(solr, COLLECTION));
    IOException exists = assertThrows(IOException.class,
        () -> SolrCollections.create(solr, new SolrCollections.Spec(COLLECTION, 1, 1, identity)));
    assertTrue(exists.getMessage().contains("already exists"), exists.getMessage());
  }

  @Test
  @Order(2)
  void indexesWithoutLuceneOrJettyAndFindsWhatTheEmbeddedIndexFinds() throws Exception {
    long t = System.nanoTime();
    Path solrResults = dir.resolve("solr-results.json");
    List<String> out = Children.run(Children.solrSide(), List.of(zkHost, COLLECTION, TestPhotos.MODEL.toString(),
        photos.toString(), "--search", solrResults.toString()), dir.resolve("solr-side.log"));
    assertTrue(out.contains("ISOLATED"), out.toString());
    assertEquals(String.format("REPORT %d %d 0 0 0 %d 0 0", IMAGES, IMAGES, IMAGES), report(out));
    log("Solr side (child JVM without Lucene or Jetty): indexed %d images and searched in %d ms", IMAGES, millis(t));

    t = System.nanoTime();
    Path embeddedResults = dir.resolve("embedded-results.json");
    out = Children.run(Children.embeddedSide(), List.of(dir.resolve("embedded-index").toString(),
        TestPhotos.MODEL.toString(), photos.toString(), embeddedResults.toString()), dir.resolve("embedded.log"));
    assertEquals(String.format("REPORT %d %d 0 0 0 %d 0 0", IMAGES, IMAGES, IMAGES), report(out));
    log("embedded side (child JVM with Lucene 10): indexed and searched in %d ms; %s", millis(t),
        out.get(out.size() - 1));

    JsonNode fromSolr = Queries.JSON.readTree(solrResults.toFile());
    JsonNode fromEmbedded = Queries.JSON.readTree(embeddedResults.toFile());
    assertEquals(names(fromEmbedded), names(fromSolr));
    int compared = 0;
    for (String name : names(fromEmbedded)) {
      List<String> expected = hits(fromEmbedded.get(name));
      List<String> actual = hits(fromSolr.get(name));
      assertEquals(expected, actual, name + ": the same images, in the same order");
      JsonNode e = fromEmbedded.get(name).get("hits");
      JsonNode a = fromSolr.get(name).get("hits");
      for (int i = 0; i < e.size(); i++) {
        assertEquals(e.get(i).get(1).floatValue(), a.get(i).get(1).floatValue(), 1e-5f, name + " #" + i);
      }
      assertEquals(fromEmbedded.get(name).get("candidates").asInt(), fromSolr.get(name).get("candidates").asInt(),
          name + ": candidates");
      String te = fromEmbedded.get(name).get("threshold").asText();
      String ta = fromSolr.get(name).get("threshold").asText();
      assertEquals(te.equals("none"), ta.equals("none"), name);
      if (!te.equals("none")) {
        assertEquals(Float.parseFloat(te), Float.parseFloat(ta), 1e-5f, name + ": the cutoff's threshold");
      }
      compared += expected.size();
      if (!name.equals("text-no-match") && !name.startsWith("labels:") && !name.startsWith("tagged:")) {
        assertFalse(expected.isEmpty(), name + " finds something");
      }
    }
    // Label search classified every image once, on both sides alike (compared above, label by label).
    int labelled = 0;
    for (String name : names(fromSolr)) {
      if (name.startsWith("labels:")) {
        labelled += fromSolr.get(name).get("candidates").asInt();
        assertEquals(fromSolr.get(name).get("candidates").asInt(), hits(fromSolr.get(name)).size(), name);
      }
    }
    assertEquals(IMAGES, labelled, "each image under exactly one label");
    int tagged = 0;
    for (String name : names(fromSolr)) {
      if (name.startsWith("tagged:")) {
        tagged += hits(fromSolr.get(name)).size();
        assertEquals(fromSolr.get(name).get("candidates").asInt(), hits(fromSolr.get(name)).size(), name);
      }
    }
    assertTrue(tagged >= IMAGES, "every image carries its best label, some a second one too: " + tagged);
    assertEquals(IMAGES, names(fromSolr).stream().filter(n -> n.startsWith("tags:")).count(),
        "each image's details, with its tags, compared");
    log("label search and near-duplicates (%d groups) alike on both sides",
        names(fromSolr).stream().filter(n -> n.startsWith("duplicates:")).count());
    assertTrue(hits(fromSolr.get("text-no-match")).isEmpty());
    assertEquals(8, hits(fromSolr.get("text-page-2")).size());
    Set<String> page1 = new HashSet<>(hits(fromSolr.get("text")));
    assertTrue(hits(fromSolr.get("text-page-2")).stream().noneMatch(page1::contains), "pages do not overlap");
    assertTrue(hits(fromSolr.get("text-folder")).stream().allMatch(p -> p.contains("/beach-2019/")));
    assertTrue(hits(fromSolr.get("text-format-png")).stream().allMatch(p -> p.endsWith(".png")));
    assertTrue(hits(fromSolr.get("text-name")).stream().allMatch(p -> p.contains("/sunset-")));
    assertTrue(hits(fromSolr.get("image-indexed-filtered")).stream()
        .noneMatch(p -> p.endsWith("night_walk/img_001.jpg") || p.endsWith(".png")), "itself left out, jpeg only");
    log("%d queries, %d hits: the same images, order and scores from SolrCloud and from the embedded index",
        names(fromSolr).size(), compared);

    // In this JVM too (Solr's Lucene 9 is here, but the client does not use it): the same results.
    try (SolrImageSearch searcher = SolrImageSearch.open(solr, COLLECTION, model)) {
      SearchRequest text = Queries.all(photos, model).get("text");
      assertEquals(hits(fromEmbedded.get("text")), paths(searcher.search(text)));
      ImageRecord first = searcher.image(hits(fromSolr.get("text")).get(0)).orElseThrow();
      assertEquals(16, first.vector().length);
      assertTrue(first.thumbnail() != null && first.thumbnail().length > 100, "the thumbnail is stored");
      ImageRecord byId = searcher.image(first.id()).orElseThrow();
      assertEquals(first.path(), byId.path());
      assertTrue(java.util.Arrays.equals(first.vector(), byId.vector()));
      IndexStats stats = searcher.stats();
      assertEquals(IMAGES, stats.images());
      assertTrue(stats.sizeBytes() > 0, "size " + stats.sizeBytes());
      assertEquals(model.bundle().fingerprint(), stats.model().fingerprint());
    }
  }

  @Test
  @Order(3)
  void reRunsAreIncrementalAndPruneRemovesDeletedFiles() throws Exception {
    long t = System.nanoTime();
    List<String> out = Children.run(Children.solrSide(), List.of(zkHost, COLLECTION, TestPhotos.MODEL.toString(),
        photos.toString()), dir.resolve("solr-side-2.log"));
    assertEquals(String.format("REPORT %d 0 0 %d 0 0 0 0", IMAGES, IMAGES), report(out), "nothing changed");

    Path gone = photos.resolve("beach-2019/img_006.jpg");
    Files.delete(gone);
    Path added = TestPhotos.write(photos, IMAGES); // a new image
    Path copy = photos.resolve("forest.trip/copy-of-img_001.jpg"); // same content as an indexed image
    Files.copy(photos.resolve("city/night_walk/img_001.jpg"), copy);
    Path changed = photos.resolve("forest.trip/img_002.jpg");
    Files.write(changed, Files.readAllBytes(photos.resolve("forest.trip/img_008.jpg"))); // new content
    out = Children.run(Children.solrSide(), List.of(zkHost, COLLECTION, TestPhotos.MODEL.toString(),
        photos.toString(), "--prune"), dir.resolve("solr-side-3.log"));
    // found, added (new + copy), updated, unchanged, deleted, embedded (new), reused (copy + changed), failures
    assertEquals(String.format("REPORT %d 2 1 %d 1 1 2 0", IMAGES + 1, IMAGES - 2), report(out));

    try (SolrImageStore store = SolrImageStore.open(solr, COLLECTION)) {
      assertTrue(store.find(gone.toString()).isEmpty(), "pruned");
      assertTrue(store.find(added.toString()).isPresent());
      assertTrue(store.vectorByHash(store.find(copy.toString()).orElseThrow().sha256()).isPresent());
      Set<String> under = new TreeSet<>();
      store.forEachPathUnder(photos.resolve("forest.trip").toString(), under::add);
      assertEquals(IMAGES / 3 + 1, under.size(), under.toString());
      assertEquals(IMAGES + 1, store.stats().images());
    }
    log("incremental re-run, then 1 added, 1 copy, 1 changed, 1 deleted with prune: %d ms", millis(t));
  }

  @Test
  @Order(4)
  void anotherModelIsRefused() throws Exception {
    String real = solr.collectionProperties(COLLECTION).get(SolrCollections.MODEL_FINGERPRINT);
    solr.setCollectionProperty(COLLECTION, SolrCollections.MODEL_FINGERPRINT, "0123456789abcdef");
    try {
      Children.Result result = Children.start(Children.solrSide(), List.of(zkHost, COLLECTION,
          TestPhotos.MODEL.toString(), photos.toString()), dir.resolve("solr-side-mismatch.log"));
      assertNotEquals(0, result.exitCode(), "the indexer refuses a collection written by another model");
      String log = Files.readString(dir.resolve("solr-side-mismatch.log"), StandardCharsets.UTF_8);
      assertTrue(log.contains("ModelMismatchException") && log.contains("0123456789ab"), log);
      assertThrows(ModelMismatchException.class, () -> SolrImageSearch.open(solr, COLLECTION, model));
    } finally {
      solr.setCollectionProperty(COLLECTION, SolrCollections.MODEL_FINGERPRINT, real);
    }
    SolrImageSearch.open(solr, COLLECTION, model).close();
  }

  @Test
  @Order(5)
  void survivesTheLossOfANodeAndTheNodeCatchesUpWhenItReturns() throws Exception {
    long t = System.nanoTime();
    SearchRequest request = SearchRequest.text("a red circle on a blue sky", 10);
    List<String> before;
    Set<String> allBefore;
    try (SolrImageSearch searcher = SolrImageSearch.open(solr, COLLECTION, model)) {
      before = paths(searcher.search(request));
      allBefore = allPaths();
    }
    assertEquals(IMAGES + 1, allBefore.size());

    // The node that leads shard1: writes need a new leader elected among the survivors.
    String stoppedNode = solr.requireCollection(COLLECTION).getSlice("shard1").getLeader().getNodeName();
    int index = mini.getJettySolrRunner(0).getNodeName().equals(stoppedNode) ? 0 : 1;
    long leaders = solr.requireCollection(COLLECTION).getSlices().stream()
        .filter(s -> s.getLeader() != null && stoppedNode.equals(s.getLeader().getNodeName())).count();
    JettySolrRunner stopped = mini.stopJettySolrRunner(index);
    mini.waitForJettyToStop(stopped);
    waitFor(() -> solr.liveNodes().size() == 1, "the node to leave live_nodes");
    log("node %s (leader of %d of 2 shards) stopped after %d ms", stoppedNode, leaders, millis(t));

    Path late = TestPhotos.write(dir.resolve("late"), IMAGES + 1);
    try (SolrImageSearch searcher = SolrImageSearch.open(solr, COLLECTION, model);
        SolrImageStore store = SolrImageStore.open(solr, COLLECTION)) {
      assertEquals(before, paths(searcher.search(request)), "the same answer from the surviving replicas");
      assertEquals(allBefore, allPaths(), "nothing committed is lost");
      // Writes go on (after the stopped node's leaders are replaced by the surviving replicas).
      long w = System.nanoTime();
      store.upsert(List.of(record(late)));
      store.commit();
      log("written and committed with one node down in %d ms", millis(w));
      assertEquals(IMAGES + 2, store.stats().images());
      assertTrue(store.find(late.toString()).isPresent());
    }

    long r = System.nanoTime();
    mini.startJettySolrRunner(stopped);
    mini.waitForNode(stopped, 60);
    solr.waitForAllActive(COLLECTION, 120, TimeUnit.SECONDS);
    log("node restarted and all replicas active again in %d ms", millis(r));
    Map<String, List<Long>> counts = replicaCounts();
    long total = 0;
    for (var e : counts.entrySet()) {
      assertEquals(2, e.getValue().size(), e.getKey());
      assertEquals(e.getValue().get(0), e.getValue().get(1), "both replicas of " + e.getKey() + " hold the same");
      total += e.getValue().get(0);
    }
    assertEquals(IMAGES + 2, total, "the returned node caught up with the write it missed: " + counts);
    try (SolrImageSearch searcher = SolrImageSearch.open(solr, COLLECTION, model)) {
      assertEquals(before, paths(searcher.search(request)));
    }
    log("replica counts per shard after recovery: %s (%d ms in all)", counts, millis(t));
  }

  @Test
  @Order(6)
  void aConfigsetUploadedAsShippedTakesTheDimensionFromCoreProperties() throws Exception {
    // What 'bin/solr zk upconfig' and a CREATE with property.clipsearch.dimension=... do, without clipsearch.
    SolrCollections.uploadConfigset(solr.zkClient(), "clipsearch_as_shipped", Map.of());
    var create = org.apache.solr.client.solrj.request.CollectionAdminRequest
        .createCollection("by_hand", "clipsearch_as_shipped", 1, 1)
        .withProperty(SolrCollections.DIMENSION, "24");
    solr.request(create, null);
    solr.waitForAllActive("by_hand", 60, TimeUnit.SECONDS);
    try {
      Map<String, Object> attributes =
          solr.request(new SchemaRequest.FieldType("knn_vector"), "by_hand").getFieldType().getAttributes();
      assertEquals("24", String.valueOf(attributes.get("vectorDimension")));
      assertEquals("16", String.valueOf(attributes.get("hnswMaxConnections")), "the default");
      // The other collection's schema is its own.
      assertEquals("16", String.valueOf(solr.request(new SchemaRequest.FieldType("knn_vector"), COLLECTION)
          .getFieldType().getAttributes().get("vectorDimension")));
      // No model recorded: the first indexing run records its own (here a 24-d one would be accepted).
      try (SolrImageStore store = SolrImageStore.open(solr, "by_hand")) {
        assertTrue(store.model().isEmpty());
      }
    } finally {
      SolrCollections.delete(solr, "by_hand");
    }
  }

  // ------------------------------------------------------------------------------------------------ helpers

  private ImageRecord record(Path file) throws IOException {
    byte[] content = Files.readAllBytes(file);
    var image = Images.read(content);
    String sha = java.util.HexFormat.of().formatHex(sha256(content));
    return new ImageRecord(file.toString(), sha, content.length, Files.getLastModifiedTime(file).toInstant(),
        image.getWidth(), image.getHeight(), "jpeg", ImageRecord.Exif.NONE, null, model.encodeImage(image));
  }

  private static byte[] sha256(byte[] content) {
    try {
      return java.security.MessageDigest.getInstance("SHA-256").digest(content);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private Set<String> allPaths() throws IOException {
    SolrQuery q = new SolrQuery("*:*");
    q.setFields(ImageFields.PATH);
    q.setRows(10_000);
    Set<String> paths = new TreeSet<>();
    for (SolrDocument doc : solr.request(new QueryRequest(q), COLLECTION).getResults()) {
      paths.add((String) doc.getFirstValue(ImageFields.PATH));
    }
    return paths;
  }

  /** Documents in each replica's own index (distrib=false), by shard. */
  private Map<String, List<Long>> replicaCounts() throws Exception {
    Map<String, List<Long>> counts = new HashMap<>();
    for (var slice : solr.requireCollection(COLLECTION).getSlices()) {
      for (Replica replica : slice.getReplicas()) {
        try (HttpJdkSolrClient client = new HttpJdkSolrClient.Builder(replica.getBaseUrl()).useHttp1_1(true).build()) {
          SolrQuery q = new SolrQuery("*:*");
          q.setRows(0);
          q.set("distrib", "false");
          long n = new QueryRequest(q).process(client, replica.getCoreName()).getResults().getNumFound();
          counts.computeIfAbsent(slice.getName(), k -> new ArrayList<>()).add(n);
        }
      }
    }
    return counts;
  }

  private static List<String> paths(SearchResult result) {
    return result.hits().stream().map(h -> h.path()).toList();
  }

  private static List<String> names(JsonNode results) {
    List<String> names = new ArrayList<>();
    for (Iterator<String> it = results.fieldNames(); it.hasNext(); ) {
      names.add(it.next());
    }
    return names;
  }

  private static List<String> hits(JsonNode result) {
    List<String> paths = new ArrayList<>();
    result.get("hits").forEach(h -> paths.add(h.get(0).asText()));
    return paths;
  }

  private static String report(List<String> out) {
    return out.stream().filter(l -> l.startsWith("REPORT")).findFirst().orElse("no report in " + out);
  }

  interface Condition {
    boolean holds() throws Exception;
  }

  private static void waitFor(Condition condition, String what) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!condition.holds()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(200);
    }
  }

  private static long millis(long since) {
    return (System.nanoTime() - since) / 1_000_000;
  }

  private static void log(String format, Object... args) {
    System.out.printf("[%s] SolrCloudTest: %s%n", Instant.now(), String.format(format, args));
  }
}
