package org.clipsearch.cluster;

import java.nio.file.Path;
import org.apache.solr.cloud.MiniSolrCloudCluster;

/**
 * A real SolrCloud for other modules' tests, in a JVM of its own: Solr's server brings Lucene 9 and Jetty 10, which
 * cannot share a class path with the embedded index (Lucene 10) or the web server (Jetty 12). Started by the cli
 * module's {@code SolrBackendTest} on the class path in {@code solr-test-classpath.txt} (this module's tests' class
 * path, written at build time and shipped in the test jar).
 *
 * <p>Arguments: DIR NODES. Prints {@code ZKHOST host:port/solr} once the nodes are up, then runs until its standard
 * input ends (its parent closes it, or dies), and shuts the cluster down.
 */
public final class MiniSolrCloudMain {
  private MiniSolrCloudMain() {}

  public static void main(String[] args) throws Exception {
    MiniSolrCloudCluster mini = new MiniSolrCloudCluster.Builder(Integer.parseInt(args[1]), Path.of(args[0]))
        .withTraceIdGenerationDisabled()
        .build();
    try {
      System.out.println("ZKHOST " + mini.getZkServer().getZkAddress());
      System.out.flush();
      while (System.in.read() != -1) {
        // waits for the parent
      }
    } finally {
      mini.shutdown();
    }
  }
}
