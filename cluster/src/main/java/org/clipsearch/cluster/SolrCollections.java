package org.clipsearch.cluster;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.solr.client.solrj.request.CollectionAdminRequest;
import org.apache.solr.common.cloud.SolrZkClient;
import org.apache.zookeeper.KeeperException;
import org.clipsearch.api.ModelIdentity;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates clipsearch collections: uploads the configset shipped in this module (resources
 * {@code configsets/clipsearch/conf}) to ZooKeeper with the model's dimension and the HNSW parameters written in,
 * creates the collection with the shards and replicas asked for, and records the model identity as collection
 * properties, so that indexing or searching it with another model is refused.
 */
public final class SolrCollections {
  private static final Logger LOG = LoggerFactory.getLogger(SolrCollections.class);

  /** Where the configset lies on the classpath, and its files. */
  public static final String CONFIGSET_RESOURCE = "configsets/clipsearch/conf/";
  public static final List<String> CONFIGSET_FILES = List.of("solrconfig.xml", "managed-schema.xml");

  /** Collection properties (COLLECTIONPROP) clipsearch keeps. */
  public static final String MODEL_NAME = "clipsearch.model.name";
  public static final String MODEL_DIMENSION = "clipsearch.model.dimension";
  public static final String MODEL_FINGERPRINT = "clipsearch.model.fingerprint";
  /** The vector field's dimension, fixed when the collection was created. */
  public static final String DIMENSION = "clipsearch.dimension";
  public static final String HNSW_M = "clipsearch.hnsw.m";
  public static final String HNSW_BEAM = "clipsearch.hnsw.beam";
  public static final String VECTOR_FORMAT = "clipsearch.vector_format";
  public static final String SCHEMA_VERSION = "clipsearch.schema";
  public static final String SCHEMA = "1";

  private SolrCollections() {}

  /**
   * What a new collection is made of.
   *
   * @param name collection name
   * @param shards number of shards (the index is split into this many parts, each searched in parallel)
   * @param replicas copies of each shard (NRT replicas); 2 survive the loss of one node
   * @param model the model whose vectors it holds (its dimension fixes the vector field's)
   * @param hnswM HNSW neighbours per node (Lucene's M)
   * @param hnswBeam HNSW beam width while building
   * @param configName the configset's name in ZooKeeper; null for one named after the collection
   */
  public record Spec(String name, int shards, int replicas, ModelIdentity model, int hnswM, int hnswBeam,
      String configName) {
    public Spec {
      if (name == null || !name.matches("[A-Za-z0-9_][A-Za-z0-9_.\\-]*")) {
        throw new IllegalArgumentException("a collection name has letters, digits, '_', '-' and '.', got " + name);
      }
      if (shards < 1 || replicas < 1) {
        throw new IllegalArgumentException("shards and replicas must be at least 1");
      }
      if (hnswM < 2 || hnswM > 512) {
        throw new IllegalArgumentException("HNSW M must be between 2 and 512, got " + hnswM);
      }
      if (hnswBeam < 1 || hnswBeam > 3200) {
        throw new IllegalArgumentException("HNSW beam width must be between 1 and 3200, got " + hnswBeam);
      }
      if (model == null) {
        throw new IllegalArgumentException("a collection is made for a model");
      }
      configName = configName == null ? "clipsearch_" + name : configName;
    }

    public Spec(String name, int shards, int replicas, ModelIdentity model) {
      this(name, shards, replicas, model, 16, 100, null);
    }
  }

  /** Uploads the configset, creates the collection, waits until every replica is active, records the model. */
  public static void create(SolrCluster cluster, Spec spec) throws IOException {
    if (cluster.collection(spec.name()) != null) {
      throw new IOException("collection '" + spec.name() + "' already exists in " + cluster.zkHost());
    }
    int nodes = cluster.liveNodes().size();
    if (nodes == 0) {
      throw new IOException("no live Solr node is registered in ZooKeeper at " + cluster.zkHost());
    }
    Map<String, String> values = new LinkedHashMap<>();
    values.put(DIMENSION, Integer.toString(spec.model().dimension()));
    values.put(HNSW_M, Integer.toString(spec.hnswM()));
    values.put(HNSW_BEAM, Integer.toString(spec.hnswBeam()));
    uploadConfigset(cluster.zkClient(), spec.configName(), values);
    LOG.info("creating collection {}: {} shards x {} replicas on {} live nodes, configset {}, {}-d vectors",
        spec.name(), spec.shards(), spec.replicas(), nodes, spec.configName(), spec.model().dimension());
    CollectionAdminRequest.Create create =
        CollectionAdminRequest.createCollection(spec.name(), spec.configName(), spec.shards(), spec.replicas());
    values.forEach((k, v) -> create.withProperty(k, v)); // core properties too: ${...} in a hand-made configset
    cluster.request(create, null);
    cluster.waitForAllActive(spec.name(), 120, TimeUnit.SECONDS);
    Map<String, String> props = new LinkedHashMap<>(values);
    props.put(VECTOR_FORMAT, "float");
    props.put(SCHEMA_VERSION, SCHEMA);
    for (var e : props.entrySet()) {
      cluster.setCollectionProperty(spec.name(), e.getKey(), e.getValue());
    }
    recordModel(cluster, spec.name(), spec.model());
  }

  /**
   * Writes the configset's files to {@code /configs/NAME} in ZooKeeper, with the {@code ${key:default}}
   * placeholders of {@code values} replaced by the values.
   */
  public static void uploadConfigset(SolrZkClient zk, String configName, Map<String, String> values)
      throws IOException {
    for (String file : CONFIGSET_FILES) {
      String text = configsetFile(file);
      for (var e : values.entrySet()) {
        text = text.replaceAll("\\$\\{" + java.util.regex.Pattern.quote(e.getKey()) + "(:[^}]*)?}",
            java.util.regex.Matcher.quoteReplacement(e.getValue()));
      }
      try {
        zk.makePath("/configs/" + configName + "/" + file, text.getBytes(StandardCharsets.UTF_8), false, true);
      } catch (KeeperException e) {
        throw new IOException("cannot upload configset " + configName + " to ZooKeeper: " + e.getMessage(), e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted", e);
      }
    }
  }

  /** A file of the shipped configset, as text. */
  public static String configsetFile(String file) throws IOException {
    try (InputStream in = SolrCollections.class.getClassLoader().getResourceAsStream(CONFIGSET_RESOURCE + file)) {
      if (in == null) {
        throw new IOException("the configset file " + CONFIGSET_RESOURCE + file + " is missing from the classpath");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  /** Records {@code model} in the collection's properties. */
  public static void recordModel(SolrCluster cluster, String collection, ModelIdentity model) throws IOException {
    cluster.setCollectionProperty(collection, MODEL_NAME, model.name());
    cluster.setCollectionProperty(collection, MODEL_DIMENSION, Integer.toString(model.dimension()));
    cluster.setCollectionProperty(collection, MODEL_FINGERPRINT, model.fingerprint());
  }

  /** The model recorded in the collection, or null. */
  public static ModelIdentity recordedModel(SolrCluster cluster, String collection) {
    Map<String, String> props = cluster.collectionProperties(collection);
    if (!props.containsKey(MODEL_FINGERPRINT) || !props.containsKey(MODEL_DIMENSION)) {
      return null;
    }
    return new ModelIdentity(props.getOrDefault(MODEL_NAME, "unknown"), Integer.parseInt(props.get(MODEL_DIMENSION)),
        props.get(MODEL_FINGERPRINT));
  }

  /** The vector field's dimension recorded at creation, or null for a collection made by hand. */
  public static Integer dimension(SolrCluster cluster, String collection) {
    String value = cluster.collectionProperties(collection).get(DIMENSION);
    return value == null ? null : Integer.valueOf(value);
  }

  /** Deletes the collection (not its configset). */
  public static void delete(SolrCluster cluster, String collection) throws IOException {
    cluster.request(CollectionAdminRequest.deleteCollection(collection), null);
  }
}
