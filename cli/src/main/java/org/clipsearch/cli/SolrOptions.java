package org.clipsearch.cli;

import picocli.CommandLine.Option;

/** A SolrCloud collection instead of the embedded index: shared by index, search, stats and solr-create. */
final class SolrOptions {
  @Option(
      names = "--solr",
      paramLabel = "ZKHOST[/CHROOT]",
      description = "Use a SolrCloud collection instead of the embedded index: the cluster's ZooKeeper"
          + " (host:port[,host:port...][/chroot], as Solr's -z).")
  String solr;

  @Option(
      names = "--collection",
      paramLabel = "NAME",
      defaultValue = "clipsearch",
      description = "The SolrCloud collection (with --solr; default: ${DEFAULT-VALUE}).")
  String collection;

  boolean enabled() {
    return solr != null && !solr.isBlank();
  }
}
