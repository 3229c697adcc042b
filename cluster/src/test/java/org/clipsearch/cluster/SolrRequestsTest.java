package org.clipsearch.cluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import org.clipsearch.api.SearchFilters;
import org.clipsearch.api.SearchRequest;
import org.junit.jupiter.api.Test;

/** What is sent to Solr, without a cluster: filters, the query vector, the candidate pool, addresses. */
class SolrRequestsTest {
  @Test
  void filtersBecomeOneFilterQueryEach() {
    SearchFilters f = new SearchFilters("/photos/trips/../trips", List.of("Paris-2019"),
        Instant.ofEpochMilli(1000), Instant.ofEpochMilli(5000), List.of("JPG", "png"), 100, 50, "Canon EOS");
    assertEquals(List.of(
        "{!term f=folders}/photos/trips",
        "{!term f=names}paris",
        "{!term f=names}2019",
        "date:[1000 TO 4999]",
        "{!terms f=format separator=\",\"}jpeg,png",
        "width:[100 TO *]",
        "height:[50 TO *]",
        "{!term f=camera}canon",
        "{!term f=camera}eos"), SolrImageSearch.filterQueries(f));
    assertEquals(List.of("date:[* TO 4999]"), SolrImageSearch.filterQueries(
        new SearchFilters(null, null, null, Instant.ofEpochMilli(5000), null, null, null, null)));
    assertTrue(SolrImageSearch.filterQueries(SearchFilters.NONE).isEmpty());
  }

  @Test
  void aLabelFilterIsOneExactTermOnTheLabelField() {
    assertEquals(List.of("{!term f=label}sandy beach"),
        SolrImageSearch.filterQueries(SearchFilters.NONE.withLabel(" sandy beach ")));
  }

  @Test
  void theQueryVectorIsSentExactly() {
    float[] v = {0.1f, -1e-7f, 0.33333334f, 1f};
    String text = SolrImageSearch.vectorText(v);
    assertEquals("[0.1,-1.0E-7,0.33333334,1.0]", text);
    float[] back = new float[v.length];
    String[] parts = text.substring(1, text.length() - 1).split(",");
    for (int i = 0; i < parts.length; i++) {
      back[i] = Float.parseFloat(parts[i]);
    }
    assertArrayEquals(v, back);
  }

  @Test
  void theCandidatePoolGrowsInStepsAsTheEmbeddedSearchers() {
    assertEquals(100, SolrImageSearch.candidatePool(SearchRequest.text("x", 10)));
    assertEquals(100, SolrImageSearch.candidatePool(SearchRequest.text("x", 10).withPage(10, 90)));
    assertEquals(200, SolrImageSearch.candidatePool(SearchRequest.text("x", 10).withPage(10, 91)));
    assertEquals(500, SolrImageSearch.candidatePool(SearchRequest.text("x", 50)));
    assertEquals(40, SolrImageSearch.candidatePool(SearchRequest.text("x", 10).withNumCandidates(20).withPage(10, 25)));
  }

  @Test
  void namesAreSplitAsTheEmbeddedIndexSplitsThem() {
    assertEquals("photos trips paris 2019 img 0042",
        SolrFields.nameWords(java.nio.file.Path.of("/photos/trips/Paris-2019/IMG_0042.JPG")));
    assertEquals(Arrays.asList("walk", "at", "night"), SolrImageSearch.nameTokens("Walk at night, walk"));
  }

  @Test
  void theAddressIsZooKeepers() {
    IllegalArgumentException url = assertThrows(IllegalArgumentException.class,
        () -> SolrCluster.connect("http://localhost:8983/solr"));
    assertTrue(url.getMessage().contains("ZooKeeper"), url.getMessage());
    assertThrows(IllegalArgumentException.class, () -> SolrCluster.connect(" "));
    assertThrows(IllegalArgumentException.class,
        () -> new SolrCollections.Spec("bad name", 1, 1, new org.clipsearch.api.ModelIdentity("m", 4, "f")));
  }
}
