package org.clipsearch.cli;

import java.util.concurrent.Callable;
import org.clipsearch.api.ModelIdentity;
import org.clipsearch.cluster.SolrCluster;
import org.clipsearch.cluster.SolrCollections;
import org.clipsearch.encoders.ModelBundle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Creates a SolrCloud collection for clipsearch: configset upload, collection, model identity. */
@Command(
    name = "solr-create",
    mixinStandardHelpOptions = true,
    description = {
      "Create a SolrCloud collection for clipsearch: uploads the clipsearch configset to ZooKeeper (with the model's"
          + " vector dimension), creates the collection with the shards and replicas given, and records the model.",
      "Then: clipsearch index --solr ZKHOST --collection NAME PHOTOS..."
    })
final class SolrCreateCommand implements Callable<Integer> {
  @Mixin SolrOptions solrOptions = new SolrOptions();
  @Mixin ModelOptions modelOptions = new ModelOptions();

  @Option(names = "--shards", paramLabel = "N", defaultValue = "1", description = "Shards (default: ${DEFAULT-VALUE}).")
  int shards;

  @Option(names = "--replicas", paramLabel = "N", defaultValue = "2",
      description = "Copies of each shard, on different nodes where there are enough (default: ${DEFAULT-VALUE}).")
  int replicas;

  @Option(names = "--hnsw-m", paramLabel = "M", defaultValue = "16",
      description = "HNSW neighbours per node (default: ${DEFAULT-VALUE}).")
  int hnswM;

  @Option(names = "--hnsw-beam", paramLabel = "N", defaultValue = "100",
      description = "HNSW beam width while building (default: ${DEFAULT-VALUE}).")
  int hnswBeam;

  @Option(names = "--configset", paramLabel = "NAME",
      description = "Name of the configset in ZooKeeper (default: clipsearch_COLLECTION).")
  String configset;

  @Override
  public Integer call() throws Exception {
    if (!solrOptions.enabled()) {
      throw new IllegalArgumentException("solr-create needs --solr ZKHOST[/CHROOT]");
    }
    ModelBundle bundle = modelOptions.bundle(); // identity and dimension only: the towers are not loaded
    ModelIdentity model = new ModelIdentity(bundle.name(), bundle.embeddingDim(), bundle.fingerprint());
    SolrCollections.Spec spec = new SolrCollections.Spec(solrOptions.collection, shards, replicas, model, hnswM,
        hnswBeam, configset);
    try (SolrCluster cluster = SolrCluster.connect(solrOptions.solr)) {
      SolrCollections.create(cluster, spec);
    }
    System.out.printf("created collection %s (%d shards x %d replicas, configset %s) for model %s%n",
        spec.name(), shards, replicas, spec.configName(), model);
    return 0;
  }
}
