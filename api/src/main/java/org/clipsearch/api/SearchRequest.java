package org.clipsearch.api;

import java.util.List;

/**
 * A search: weighted query terms, a page, filters, and how exact and how strict to be.
 *
 * @param terms what to look for; at least one, with a positive total weight
 * @param k hits per page
 * @param offset hits to skip (pagination)
 * @param filters restrictions inside the vector search
 * @param numCandidates how many nearest neighbours HNSW returns for exact re-ranking; 0 for the default
 * @param keywords also rank by BM25 over folder and file names and fuse both rankings (reciprocal rank fusion)
 * @param cutoff drop hits that do not stand out from the index's typical images for this query
 */
public record SearchRequest(
    List<QueryTerm> terms,
    int k,
    int offset,
    SearchFilters filters,
    int numCandidates,
    boolean keywords,
    boolean cutoff) {

  public static final int MAX_K = 1000;
  /** Deep enough for any page a person turns to; beyond it the candidate pool (offset + k) would overflow. */
  public static final int MAX_OFFSET = 100_000;
  public static final int MAX_CANDIDATES = 100_000;

  public SearchRequest {
    terms = List.copyOf(terms);
    if (terms.isEmpty()) {
      throw new IllegalArgumentException("a query needs at least one term");
    }
    if (k < 1 || k > MAX_K) {
      throw new IllegalArgumentException("k must be between 1 and " + MAX_K + ", got " + k);
    }
    if (offset < 0 || offset > MAX_OFFSET) {
      throw new IllegalArgumentException("offset must be between 0 and " + MAX_OFFSET + ", got " + offset);
    }
    if (numCandidates < 0 || numCandidates > MAX_CANDIDATES) {
      throw new IllegalArgumentException(
          "candidates must be between 0 (the default) and " + MAX_CANDIDATES + ", got " + numCandidates);
    }
    filters = filters == null ? SearchFilters.NONE : filters;
  }

  /** A plain text search: the first page of {@code k}, no filters, exact re-ranking, no cutoff. */
  public static SearchRequest text(String query, int k) {
    return new SearchRequest(List.of(new QueryTerm.Text(query, 1f)), k, 0, SearchFilters.NONE, 0, false, false);
  }

  public SearchRequest withPage(int newK, int newOffset) {
    return new SearchRequest(terms, newK, newOffset, filters, numCandidates, keywords, cutoff);
  }

  public SearchRequest withFilters(SearchFilters newFilters) {
    return new SearchRequest(terms, k, offset, newFilters, numCandidates, keywords, cutoff);
  }

  public SearchRequest withCutoff(boolean newCutoff) {
    return new SearchRequest(terms, k, offset, filters, numCandidates, keywords, newCutoff);
  }

  public SearchRequest withKeywords(boolean newKeywords) {
    return new SearchRequest(terms, k, offset, filters, numCandidates, newKeywords, cutoff);
  }

  public SearchRequest withNumCandidates(int candidates) {
    return new SearchRequest(terms, k, offset, filters, candidates, keywords, cutoff);
  }
}
