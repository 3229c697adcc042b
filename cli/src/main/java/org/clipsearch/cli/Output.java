package org.clipsearch.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.util.List;
import org.clipsearch.api.Classification;
import org.clipsearch.api.LabelScore;
import org.clipsearch.api.SearchHit;

/** The JSON and table forms of results, documented in the README. */
final class Output {
  static final ObjectMapper JSON = new ObjectMapper();

  private Output() {}

  static ObjectNode hit(SearchHit hit) {
    ObjectNode node = JSON.createObjectNode();
    node.put("id", hit.id());
    node.put("path", hit.path());
    node.put("score", hit.score());
    node.put("width", hit.width());
    node.put("height", hit.height());
    node.put("format", hit.format());
    node.put("size", hit.size());
    node.put("date", hit.date().toString());
    return node;
  }

  static ArrayNode hits(List<SearchHit> hits) {
    ArrayNode array = JSON.createArrayNode();
    hits.forEach(h -> array.add(hit(h)));
    return array;
  }

  static ObjectNode classification(Classification c) {
    ObjectNode node = JSON.createObjectNode();
    node.put("path", c.path());
    ArrayNode labels = node.putArray("labels");
    for (LabelScore s : c.labels()) {
      labels.addObject().put("label", s.label()).put("probability", s.probability()).put("score", s.score());
    }
    return node;
  }

  static void print(PrintStream out, Object json) {
    try {
      out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(json));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  static void table(PrintStream out, List<SearchHit> hits, int offset) {
    if (hits.isEmpty()) {
      out.println("(no results)");
      return;
    }
    out.printf("%4s  %6s  %9s  %s%n", "#", "score", "size", "path");
    int rank = offset;
    for (SearchHit h : hits) {
      out.printf("%4d  %6.3f  %9s  %s%n", ++rank, h.score(), h.width() + "x" + h.height(), h.path());
    }
  }
}
