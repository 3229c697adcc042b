package org.clipsearch.api;

import java.util.List;

/**
 * A page of results.
 *
 * @param hits the page, best first
 * @param candidates how many candidates were ranked exactly
 * @param threshold the adaptive cutoff applied, or NaN when none was
 * @param tookMillis time spent, embedding the query included
 */
public record SearchResult(List<SearchHit> hits, int candidates, float threshold, long tookMillis) {}
