package org.clipsearch.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.clipsearch.api.SearchFilters;

/**
 * Validation of everything a request says: unknown parameters, bad numbers, dates, formats and ids are refused with
 * a 400 that names the problem, before any work is done.
 */
final class Params {
  /** Image ids are the first 8 bytes of the SHA-256 of the path, in hex; nothing else names an image. */
  static final Pattern ID = Pattern.compile("[0-9a-f]{16}");
  static final Set<String> FILTERS = Set.of("folder", "from", "to", "format", "label");
  static final int MAX_LABELS = 100;
  static final int MAX_LABEL_LENGTH = 200;
  static final int MAX_QUERY_LENGTH = 1000;
  static final int MAX_TERMS = 16;

  private final Map<String, String> values;

  private Params(Map<String, String> values) {
    this.values = values;
  }

  /** Parameters given at most once each, all of them in {@code allowed}. */
  static Params of(Map<String, List<String>> raw, Set<String> allowed) {
    Map<String, String> values = new LinkedHashMap<>();
    for (Map.Entry<String, List<String>> e : raw.entrySet()) {
      String name = e.getKey();
      if (!allowed.contains(name)) {
        throw ApiError.badRequest("unknown parameter '" + clip(name) + "'; " + (allowed.isEmpty()
            ? "this takes none" : "allowed: " + String.join(", ", allowed.stream().sorted().toList())));
      }
      if (e.getValue().size() > 1) {
        throw ApiError.badRequest("parameter '" + name + "' is given more than once");
      }
      values.put(name, e.getValue().isEmpty() ? "" : e.getValue().get(0));
    }
    return new Params(values);
  }

  static Set<String> union(Set<String> a, Set<String> b) {
    Set<String> all = new LinkedHashSet<>(a);
    all.addAll(b);
    return Set.copyOf(all);
  }

  String string(String name) {
    String v = values.get(name);
    return v == null || v.isBlank() ? null : v.strip();
  }

  int integer(String name, int defaultValue, int min, int max) {
    String v = string(name);
    if (v == null) {
      return defaultValue;
    }
    long n;
    try {
      n = Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw ApiError.badRequest(name + " must be an integer, got '" + clip(v) + "'");
    }
    return checkRange(name, n, min, max);
  }

  static int checkRange(String name, long n, int min, int max) {
    if (n < min || n > max) {
      throw ApiError.badRequest(name + " must be between " + min + " and " + max + ", got " + n);
    }
    return (int) n;
  }

  boolean bool(String name) {
    String v = string(name);
    if (v == null) {
      return false;
    }
    return switch (v.toLowerCase(Locale.ROOT)) {
      case "true", "1", "yes", "on" -> true;
      case "false", "0", "no", "off" -> false;
      default -> throw ApiError.badRequest(name + " must be true or false, got '" + clip(v) + "'");
    };
  }

  float weight(String name, float defaultValue) {
    String v = string(name);
    if (v == null) {
      return defaultValue;
    }
    try {
      return checkWeight(name, Float.parseFloat(v));
    } catch (NumberFormatException e) {
      throw ApiError.badRequest(name + " must be a number, got '" + clip(v) + "'");
    }
  }

  static float checkWeight(String name, double w) {
    if (!Double.isFinite(w) || w == 0 || Math.abs(w) > 100) {
      throw ApiError.badRequest(name + " must be a non-zero number between -100 and 100, got " + w);
    }
    return (float) w;
  }

  String query(String name) {
    String q = string(name);
    if (q != null && q.length() > MAX_QUERY_LENGTH) {
      throw ApiError.badRequest(name + " is longer than " + MAX_QUERY_LENGTH + " characters");
    }
    return q;
  }

  SearchFilters filters() {
    return filters(string("folder"), string("from"), string("to"), string("format"), string("label"));
  }

  /** Filters from a JSON request: the same fields, at the top level or in a "filters" object. */
  static SearchFilters filters(ObjectNode body) {
    JsonNode f = body.has("filters") ? body.get("filters") : body;
    if (body.has("filters")) {
      if (!(f instanceof ObjectNode obj)) {
        throw ApiError.badRequest("filters must be an object");
      }
      checkFields(obj, FILTERS, "filters");
    }
    String format = null;
    JsonNode formats = f.get("format");
    if (formats != null && formats.isArray()) {
      List<String> list = new ArrayList<>();
      formats.forEach(x -> list.add(textOf(x, "format")));
      format = String.join(",", list);
    } else if (formats != null && !formats.isNull()) {
      format = textOf(formats, "format");
    }
    return filters(optionalText(f, "folder"), optionalText(f, "from"), optionalText(f, "to"), format,
        optionalText(f, "label"));
  }

  static SearchFilters filters(String folder, String from, String to, String format, String label) {
    String normalizedFolder = folder == null ? null : folder(folder);
    Instant fromInstant = date("from", from, false);
    Instant toInstant = date("to", to, true);
    if (fromInstant != null && toInstant != null && !fromInstant.isBefore(toInstant)) {
      throw ApiError.badRequest("from must be before to");
    }
    List<String> formats = new ArrayList<>();
    if (format != null) {
      for (String f : format.split(",")) {
        String x = f.strip().toLowerCase(Locale.ROOT);
        if (x.isEmpty()) {
          continue;
        }
        formats.add(clip(x)); // SearchFilters reads "jpg" as "jpeg" and refuses unknown names
      }
    }
    return new SearchFilters(normalizedFolder, List.of(), fromInstant, toInstant, formats, null, null, null,
        label == null ? null : label(label));
  }

  /** A label tag to filter by: as a tagging run writes them, one line of at most {@link #MAX_LABEL_LENGTH}. */
  static String label(String label) {
    String l = label.strip();
    if (l.length() > MAX_LABEL_LENGTH) {
      throw ApiError.badRequest("label is longer than " + MAX_LABEL_LENGTH + " characters");
    }
    if (l.codePoints().anyMatch(Character::isISOControl)) {
      throw ApiError.badRequest("label must not contain control characters");
    }
    return l.isEmpty() ? null : l;
  }

  /** An absolute folder, as indexed paths are; relative paths and '..' are refused, not resolved. */
  static String folder(String folder) {
    if (folder.length() > 4096 || folder.indexOf('\0') >= 0) {
      throw ApiError.badRequest("folder is not a valid path");
    }
    if (!folder.startsWith("/")) {
      throw ApiError.badRequest("folder must be an absolute path (as shown in an image's details)");
    }
    for (String part : folder.split("/")) {
      if (part.equals("..") || part.equals(".")) {
        throw ApiError.badRequest("folder must not contain '.' or '..' segments");
      }
    }
    try {
      return java.nio.file.Path.of(folder).normalize().toString();
    } catch (java.nio.file.InvalidPathException e) {
      throw ApiError.badRequest("folder is not a valid path");
    }
  }

  /** A day (YYYY-MM-DD) or an ISO instant; "to" includes the whole day it names. */
  static Instant date(String name, String value, boolean end) {
    if (value == null) {
      return null;
    }
    try {
      try {
        LocalDate day = LocalDate.parse(value);
        return (end ? day.plusDays(1) : day).atStartOfDay().toInstant(ZoneOffset.UTC);
      } catch (DateTimeParseException e) {
        try {
          Instant instant = Instant.parse(value);
          return end ? instant.plusMillis(1) : instant;
        } catch (DateTimeParseException e2) {
          throw ApiError.badRequest(name + " must be a date (YYYY-MM-DD) or an ISO instant, got '" + clip(value)
              + "'");
        }
      }
    } catch (DateTimeException | ArithmeticException e) {
      // parsed, but past what a day or an instant can be (the year 999999999 and its next day)
      throw ApiError.badRequest(name + " must lie between the years 0 and 9999, got '" + clip(value) + "'");
    }
  }

  static String id(String id) {
    if (id == null || !ID.matcher(id).matches()) {
      throw ApiError.badRequest("not an image id: '" + clip(id == null ? "" : id)
          + "' (ids are 16 hex digits, as returned by search)");
    }
    return id;
  }

  /** Labels for classification: a JSON array of strings, or text with one label per line or comma. */
  static List<String> labels(List<String> raw) {
    LinkedHashSet<String> labels = new LinkedHashSet<>();
    for (String entry : raw) {
      for (String label : entry.split("[\\n,]")) {
        String l = label.strip();
        if (l.isEmpty()) {
          continue;
        }
        if (l.length() > MAX_LABEL_LENGTH) {
          throw ApiError.badRequest("a label is longer than " + MAX_LABEL_LENGTH + " characters");
        }
        labels.add(l);
      }
    }
    if (labels.isEmpty()) {
      throw ApiError.badRequest("give at least one label");
    }
    if (labels.size() > MAX_LABELS) {
      throw ApiError.badRequest("at most " + MAX_LABELS + " labels, got " + labels.size());
    }
    return List.copyOf(labels);
  }

  static List<String> templates(JsonNode node) {
    if (node == null || node.isNull()) {
      return null;
    }
    List<String> templates = stringList(node, "templates");
    if (templates.size() > 32) {
      throw ApiError.badRequest("at most 32 templates");
    }
    for (String t : templates) {
      if (!t.contains("{}") || t.length() > MAX_LABEL_LENGTH) {
        throw ApiError.badRequest("each template must contain {} where the label goes, and be short");
      }
    }
    return templates.isEmpty() ? null : templates;
  }

  // ------------------------------------------------------------------------------------------ JSON fields

  static void checkFields(ObjectNode node, Set<String> allowed, String what) {
    Iterator<String> names = node.fieldNames();
    while (names.hasNext()) {
      String name = names.next();
      if (!allowed.contains(name)) {
        throw ApiError.badRequest("unknown field '" + clip(name) + "' in " + what + "; allowed: "
            + String.join(", ", allowed.stream().sorted().toList()));
      }
    }
  }

  static String optionalText(JsonNode node, String name) {
    JsonNode v = node.get(name);
    if (v == null || v.isNull()) {
      return null;
    }
    String s = textOf(v, name);
    return s.isBlank() ? null : s.strip();
  }

  static String textOf(JsonNode v, String name) {
    if (!v.isTextual()) {
      throw ApiError.badRequest(name + " must be a string");
    }
    return v.asText();
  }

  static int intField(JsonNode node, String name, int defaultValue, int min, int max) {
    JsonNode v = node.get(name);
    if (v == null || v.isNull()) {
      return defaultValue;
    }
    if (!v.isIntegralNumber() || !v.canConvertToLong()) {
      throw ApiError.badRequest(name + " must be an integer");
    }
    return checkRange(name, v.asLong(), min, max);
  }

  static boolean boolField(JsonNode node, String name) {
    JsonNode v = node.get(name);
    if (v == null || v.isNull()) {
      return false;
    }
    if (!v.isBoolean()) {
      throw ApiError.badRequest(name + " must be true or false");
    }
    return v.asBoolean();
  }

  static float weightField(JsonNode node, String name) {
    JsonNode v = node.get(name);
    if (v == null || v.isNull()) {
      return 1f;
    }
    if (!v.isNumber()) {
      throw ApiError.badRequest(name + " must be a number");
    }
    return checkWeight(name, v.asDouble());
  }

  static List<String> stringList(JsonNode node, String name) {
    if (node == null || node.isNull()) {
      return List.of();
    }
    if (!node.isArray()) {
      throw ApiError.badRequest(name + " must be an array of strings");
    }
    if (node.size() > 1000) {
      throw ApiError.badRequest(name + " is too long");
    }
    List<String> list = new ArrayList<>();
    for (JsonNode x : node) {
      list.add(textOf(x, name + " entries"));
    }
    return list;
  }

  /** Echoes request text in messages only briefly, and never with control characters. */
  static String clip(String s) {
    String clean = s.replaceAll("\\p{Cntrl}", "?");
    return clean.length() > 60 ? clean.substring(0, 60) + "..." : clean;
  }
}
