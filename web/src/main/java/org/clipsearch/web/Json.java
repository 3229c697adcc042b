package org.clipsearch.web;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.List;
import org.clipsearch.api.ImageRecord;
import org.clipsearch.api.IndexStats;
import org.clipsearch.api.LabelScore;
import org.clipsearch.api.SearchHit;
import org.clipsearch.api.SearchResult;

/** The JSON the API reads and writes; field names are snake_case, as in the CLI's --json output. */
final class Json {
  static final ObjectMapper MAPPER = JsonMapper.builder()
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .build();

  static {
    MAPPER.getFactory().setStreamReadConstraints(
        StreamReadConstraints.builder().maxNestingDepth(32).maxStringLength(100_000).maxNumberLength(100).build());
  }

  private Json() {}

  static ObjectNode object() {
    return MAPPER.createObjectNode();
  }

  static String write(JsonNode node) {
    try {
      return MAPPER.writeValueAsString(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Parses a request body; anything but one well-formed JSON object is a 400. */
  static ObjectNode parseObject(byte[] body) {
    if (body.length == 0) {
      throw ApiError.badRequest("the request body is empty; send a JSON object");
    }
    JsonNode node;
    try {
      node = MAPPER.readTree(body);
    } catch (java.io.IOException e) {
      String reason = e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
      throw ApiError.badRequest("malformed JSON: " + firstLine(reason));
    }
    if (!(node instanceof ObjectNode object)) {
      throw ApiError.badRequest("the request body must be a JSON object");
    }
    return object;
  }

  private static String firstLine(String message) {
    if (message == null || message.isBlank()) {
      return "unreadable";
    }
    int nl = message.indexOf('\n');
    String line = nl < 0 ? message : message.substring(0, nl);
    // Some of Jackson's messages carry its own location note ("(Source: REDACTED (`StreamReadFeature...")
    line = line.replaceAll("\\s*(\\(start marker )?(at )?[\\[(]Source: .*$", "");
    return line.length() > 200 ? line.substring(0, 200) + "..." : line;
  }

  static ObjectNode error(String message) {
    return object().put("error", message);
  }

  static String fileName(String path) {
    Path p = Path.of(path).getFileName();
    return p == null ? path : p.toString();
  }

  static String folder(String path) {
    Path p = Path.of(path).getParent();
    return p == null ? "" : p.toString();
  }

  static ObjectNode hit(SearchHit hit) {
    ObjectNode node = object();
    node.put("id", hit.id());
    node.put("name", fileName(hit.path()));
    node.put("folder", folder(hit.path()));
    node.put("path", hit.path());
    node.put("score", hit.score());
    node.put("width", hit.width());
    node.put("height", hit.height());
    node.put("format", hit.format());
    node.put("size", hit.size());
    node.put("date", hit.date().toString());
    node.put("thumbnail", "/api/images/" + hit.id() + "/thumbnail");
    return node;
  }

  static ArrayNode hits(List<SearchHit> hits) {
    ArrayNode array = MAPPER.createArrayNode();
    hits.forEach(h -> array.add(hit(h)));
    return array;
  }

  static ObjectNode result(SearchResult result, int k, int offset) {
    ObjectNode node = object();
    node.put("k", k);
    node.put("offset", offset);
    node.put("took_ms", result.tookMillis());
    node.put("candidates", result.candidates());
    if (Float.isNaN(result.threshold())) {
      node.putNull("threshold");
    } else {
      node.put("threshold", result.threshold());
    }
    node.put("has_more", result.hits().size() == k);
    node.set("hits", hits(result.hits()));
    return node;
  }

  static ObjectNode image(ImageRecord r) {
    ObjectNode node = object();
    String id = r.id();
    node.put("id", id);
    node.put("name", fileName(r.path()));
    node.put("folder", folder(r.path()));
    node.put("path", r.path());
    node.put("width", r.width());
    node.put("height", r.height());
    node.put("format", r.format());
    node.put("size", r.size());
    node.put("modified", r.modified().toString());
    node.put("date", r.date().toString());
    node.put("sha256", r.sha256());
    ImageRecord.Exif exif = r.exif();
    ObjectNode e = node.putObject("exif");
    e.put("captured", exif.captured() == null ? null : exif.captured().toString());
    e.put("camera_make", exif.cameraMake());
    e.put("camera_model", exif.cameraModel());
    if (exif.latitude() != null && exif.longitude() != null) {
      e.put("latitude", exif.latitude());
      e.put("longitude", exif.longitude());
    } else {
      e.putNull("latitude");
      e.putNull("longitude");
    }
    e.put("orientation", exif.orientation());
    boolean hasThumbnail = r.thumbnail() != null && r.thumbnail().length > 0;
    node.put("thumbnail", hasThumbnail ? "/api/images/" + id + "/thumbnail" : null);
    node.put("file", "/api/images/" + id + "/file");
    return node;
  }

  static ArrayNode labels(List<LabelScore> scores) {
    ArrayNode array = MAPPER.createArrayNode();
    for (LabelScore s : scores) {
      array.addObject().put("label", s.label()).put("probability", s.probability()).put("score", s.score());
    }
    return array;
  }

  static ObjectNode stats(IndexStats stats) {
    ObjectNode node = object();
    node.put("images", stats.images());
    if (stats.model() != null) {
      ObjectNode model = node.putObject("model");
      model.put("name", stats.model().name());
      model.put("dimension", stats.model().dimension());
      model.put("fingerprint", stats.model().fingerprint());
    } else {
      node.putNull("model");
    }
    node.put("size_bytes", stats.sizeBytes());
    node.put("vector_format", stats.vectorFormat());
    node.put("last_commit", stats.lastCommit() == null ? null : stats.lastCommit().toString());
    node.put("tagged", stats.tagged());
    ObjectNode labels = node.putObject("labels");
    stats.labels().forEach(labels::put);
    return node;
  }
}
