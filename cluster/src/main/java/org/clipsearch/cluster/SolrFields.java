package org.clipsearch.cluster;

import static org.clipsearch.api.ImageFields.*;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import org.apache.solr.common.SolrDocument;
import org.apache.solr.common.SolrInputDocument;
import org.clipsearch.api.ImageRecord;
import org.clipsearch.api.LabelScore;

/**
 * The fields of the collection (configset {@code clipsearch}, {@code managed-schema.xml}): the same fields, with the
 * same names and meaning, as the embedded index's {@code IndexSchema}, so that both backends filter alike. Both take
 * their names from {@link org.clipsearch.api.ImageFields}.
 */
public final class SolrFields {
  static final String LABEL_FIELDS = String.join(",", LABEL, LABEL_PROBABILITY, LABEL_SCORE);
  /** A dynamic field of type RandomSortField: {@code random_SEED asc} is a fixed pseudo-random order. */
  public static final String RANDOM_PREFIX = "random_";

  /** The fields a search hit needs. */
  static final String HIT_FIELDS = String.join(",", PATH, ID, WIDTH, HEIGHT, FORMAT, SIZE, MODIFIED, CAPTURED);

  private SolrFields() {}

  static SolrInputDocument toDocument(ImageRecord image) {
    SolrInputDocument doc = new SolrInputDocument();
    doc.setField(PATH, image.path());
    doc.setField(ID, image.id());
    Path path = Path.of(image.path());
    List<String> folders = new ArrayList<>();
    for (Path folder = path.getParent(); folder != null; folder = folder.getParent()) {
      folders.add(folder.toString());
    }
    doc.setField(FOLDERS, folders);
    doc.setField(NAMES, nameWords(path));
    doc.setField(SHA256, image.sha256());
    doc.setField(SIZE, image.size());
    doc.setField(MODIFIED, image.modified().toEpochMilli());
    doc.setField(DATE, image.date().toEpochMilli());
    doc.setField(WIDTH, image.width());
    doc.setField(HEIGHT, image.height());
    if (image.format() != null) {
      doc.setField(FORMAT, image.format());
    }
    ImageRecord.Exif exif = image.exif();
    if (exif.captured() != null) {
      doc.setField(CAPTURED, exif.captured().toEpochMilli());
    }
    if (exif.cameraMake() != null) {
      doc.setField(CAMERA_MAKE, exif.cameraMake());
    }
    if (exif.cameraModel() != null) {
      doc.setField(CAMERA_MODEL, exif.cameraModel());
    }
    String camera = camera(exif.cameraMake(), exif.cameraModel());
    if (camera != null) {
      doc.setField(CAMERA, camera);
    }
    if (exif.latitude() != null && exif.longitude() != null) {
      doc.setField(LATITUDE, exif.latitude());
      doc.setField(LONGITUDE, exif.longitude());
      doc.setField(LOCATION, exif.latitude() + "," + exif.longitude());
    }
    doc.setField(ORIENTATION, exif.orientation());
    if (image.thumbnail() != null) {
      doc.setField(THUMBNAIL, image.thumbnail());
    }
    List<Float> vector = new ArrayList<>(image.vector().length);
    for (float x : image.vector()) {
      vector.add(x);
    }
    doc.setField(VECTOR, vector);
    return doc;
  }

  /** Rebuilds the record of a stored document (all fields requested). */
  static ImageRecord fromDocument(SolrDocument doc) {
    Long captured = longValue(doc, CAPTURED);
    ImageRecord.Exif exif = new ImageRecord.Exif(
        captured == null ? null : Instant.ofEpochMilli(captured),
        (String) doc.getFirstValue(CAMERA_MAKE),
        (String) doc.getFirstValue(CAMERA_MODEL),
        doubleValue(doc, LATITUDE),
        doubleValue(doc, LONGITUDE),
        doc.getFirstValue(ORIENTATION) == null ? 1 : ((Number) doc.getFirstValue(ORIENTATION)).intValue());
    return new ImageRecord(
        (String) doc.getFirstValue(PATH),
        (String) doc.getFirstValue(SHA256),
        longValue(doc, SIZE),
        Instant.ofEpochMilli(longValue(doc, MODIFIED)),
        ((Number) doc.getFirstValue(WIDTH)).intValue(),
        ((Number) doc.getFirstValue(HEIGHT)).intValue(),
        (String) doc.getFirstValue(FORMAT),
        exif,
        bytes(doc.getFirstValue(THUMBNAIL)),
        vector(doc));
  }

  /** The label tags of a document fetched with its label fields, best first (empty when it has none). */
  static List<LabelScore> labels(SolrDocument doc) {
    java.util.Collection<Object> names = doc.getFieldValues(LABEL);
    if (names == null || names.isEmpty()) {
      return List.of();
    }
    List<Object> probabilities = new ArrayList<>(doc.getFieldValues(LABEL_PROBABILITY));
    List<Object> scores = new ArrayList<>(doc.getFieldValues(LABEL_SCORE));
    List<LabelScore> labels = new ArrayList<>(names.size());
    int i = 0;
    for (Object name : names) {
      labels.add(new LabelScore((String) name, ((Number) probabilities.get(i)).floatValue(),
          ((Number) scores.get(i)).floatValue()));
      i++;
    }
    return labels;
  }

  /** Writes {@code tags} (best first) into a document, replacing any it had. */
  static void setLabels(SolrInputDocument doc, List<LabelScore> tags) {
    doc.setField(LABEL, tags.stream().map(LabelScore::label).toList());
    doc.setField(LABEL_PROBABILITY, tags.stream().map(LabelScore::probability).toList());
    doc.setField(LABEL_SCORE, tags.stream().map(LabelScore::score).toList());
  }

  /** The stored vector of a document fetched with {@code fl=vector}, or null. */
  static float[] vector(SolrDocument doc) {
    Collection<Object> values = doc.getFieldValues(VECTOR);
    if (values == null || values.isEmpty()) {
      return null;
    }
    float[] v = new float[values.size()];
    int i = 0;
    for (Object value : values) {
      v[i++] = ((Number) value).floatValue();
    }
    return v;
  }

  static Long longValue(SolrDocument doc, String field) {
    Object value = doc.getFirstValue(field);
    return value == null ? null : ((Number) value).longValue();
  }

  private static Double doubleValue(SolrDocument doc, String field) {
    Object value = doc.getFirstValue(field);
    return value == null ? null : ((Number) value).doubleValue();
  }

  private static byte[] bytes(Object value) {
    if (value == null) {
      return null;
    }
    if (value instanceof byte[] b) {
      return b;
    }
    if (value instanceof java.nio.ByteBuffer buffer) {
      byte[] b = new byte[buffer.remaining()];
      buffer.duplicate().get(b);
      return b;
    }
    if (value instanceof String base64) {
      return java.util.Base64.getDecoder().decode(base64);
    }
    throw new IllegalStateException("unexpected thumbnail value " + value.getClass());
  }

  /** The words of the folders and the file name, split where people separate words in names (as the embedded index). */
  static String nameWords(Path path) {
    List<String> parts = new ArrayList<>();
    for (Path part : path) {
      parts.add(part.toString());
    }
    String name = String.join(" ", parts);
    int dot = name.lastIndexOf('.');
    return name.substring(0, dot > name.lastIndexOf(' ') ? dot : name.length())
        .replaceAll("[_\\-.]+", " ")
        .toLowerCase(Locale.ROOT);
  }

  static String camera(String make, String model) {
    String text = ((make == null ? "" : make) + " " + (model == null ? "" : model)).strip();
    return text.isEmpty() ? null : text.toLowerCase(Locale.ROOT);
  }
}
