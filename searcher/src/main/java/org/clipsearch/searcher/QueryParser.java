package org.clipsearch.searcher;

import java.util.ArrayList;
import java.util.List;
import org.clipsearch.api.QueryTerm;

/**
 * Reads the query language of the search box: words are what to look for, and a word or quoted phrase after a
 * minus sign is what to look away from. {@code beach -people} is "beach" minus half of "people";
 * {@code dog -"red ball"} subtracts the phrase.
 */
public final class QueryParser {
  /** How strongly a negative term pushes away, relative to the positive text. */
  public static final float NEGATIVE_WEIGHT = 0.5f;

  private QueryParser() {}

  public static List<QueryTerm> parse(String query) {
    if (query == null || query.isBlank()) {
      throw new IllegalArgumentException("the query is empty");
    }
    List<String> positive = new ArrayList<>();
    List<QueryTerm> negatives = new ArrayList<>();
    int i = 0;
    String q = query.strip();
    while (i < q.length()) {
      while (i < q.length() && Character.isWhitespace(q.charAt(i))) {
        i++;
      }
      if (i >= q.length()) {
        break;
      }
      boolean negative = q.charAt(i) == '-' && i + 1 < q.length() && !Character.isWhitespace(q.charAt(i + 1));
      int start = negative ? i + 1 : i;
      String token;
      if (start < q.length() && q.charAt(start) == '"') {
        int end = q.indexOf('"', start + 1);
        end = end < 0 ? q.length() : end;
        token = q.substring(start + 1, end);
        i = Math.min(q.length(), end + 1);
      } else {
        int end = start;
        while (end < q.length() && !Character.isWhitespace(q.charAt(end))) {
          end++;
        }
        token = q.substring(start, end);
        i = end;
      }
      if (token.isBlank()) {
        continue;
      }
      if (negative) {
        negatives.add(new QueryTerm.Text(token.strip(), -NEGATIVE_WEIGHT));
      } else {
        positive.add(token.strip());
      }
    }
    if (positive.isEmpty()) {
      throw new IllegalArgumentException("the query '" + query + "' has nothing to look for, only exclusions");
    }
    List<QueryTerm> terms = new ArrayList<>();
    terms.add(new QueryTerm.Text(String.join(" ", positive), 1f));
    terms.addAll(negatives);
    return terms;
  }
}
