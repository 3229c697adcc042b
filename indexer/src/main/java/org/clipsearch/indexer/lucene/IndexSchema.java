package org.clipsearch.indexer.lucene;

import static org.clipsearch.api.ImageFields.*;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.IntField;
import org.apache.lucene.document.KeywordField;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.document.LatLonPoint;
import org.apache.lucene.document.LongField;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.StoredFields;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.clipsearch.api.ImageRecord;
import org.clipsearch.api.LabelScore;

/**
 * The one schema of the embedded index: one document per image file, keyed by its absolute path (as Lucene's demo
 * keys files), with the embedding in an HNSW vector field and the facts that filters need beside it. The field
 * names and their meaning come from {@link org.clipsearch.api.ImageFields}, shared with the SolrCloud configset; how
 * each is indexed here (points, exact terms, doc values, stored) is {@link #toDocument}'s choice.
 */
public final class IndexSchema {
  /** Bumped when the schema changes incompatibly; recorded in the commit user data. */
  public static final String VERSION = "1";

  private IndexSchema() {}

  static Document toDocument(ImageRecord image) {
    Document doc = new Document();
    doc.add(new StringField(PATH, image.path(), Field.Store.YES));
    doc.add(new StringField(ID, image.id(), Field.Store.YES));
    Path path = Path.of(image.path());
    for (Path folder = path.getParent(); folder != null; folder = folder.getParent()) {
      doc.add(new StringField(FOLDERS, folder.toString(), Field.Store.NO));
    }
    doc.add(new TextField(NAMES, nameWords(path), Field.Store.NO));
    doc.add(new StringField(SHA256, image.sha256(), Field.Store.YES));
    doc.add(new LongField(SIZE, image.size(), Field.Store.YES));
    doc.add(new LongField(MODIFIED, image.modified().toEpochMilli(), Field.Store.YES));
    doc.add(new LongField(DATE, image.date().toEpochMilli(), Field.Store.NO));
    doc.add(new IntField(WIDTH, image.width(), Field.Store.YES));
    doc.add(new IntField(HEIGHT, image.height(), Field.Store.YES));
    if (image.format() != null) {
      doc.add(new StringField(FORMAT, image.format(), Field.Store.YES));
    }
    ImageRecord.Exif exif = image.exif();
    if (exif.captured() != null) {
      doc.add(new LongField(CAPTURED, exif.captured().toEpochMilli(), Field.Store.YES));
    }
    if (exif.cameraMake() != null) {
      doc.add(new StoredField(CAMERA_MAKE, exif.cameraMake()));
    }
    if (exif.cameraModel() != null) {
      doc.add(new StoredField(CAMERA_MODEL, exif.cameraModel()));
    }
    String camera = camera(exif.cameraMake(), exif.cameraModel());
    if (camera != null) {
      doc.add(new TextField(CAMERA, camera, Field.Store.NO));
    }
    if (exif.latitude() != null && exif.longitude() != null) {
      doc.add(new StoredField(LATITUDE, exif.latitude()));
      doc.add(new StoredField(LONGITUDE, exif.longitude()));
      doc.add(new LatLonPoint(LOCATION, exif.latitude(), exif.longitude()));
    }
    doc.add(new StoredField(ORIENTATION, exif.orientation()));
    if (image.thumbnail() != null) {
      doc.add(new StoredField(THUMBNAIL, image.thumbnail()));
    }
    doc.add(new KnnFloatVectorField(VECTOR, image.vector(), VectorSimilarityFunction.DOT_PRODUCT));
    return doc;
  }

  /** Rebuilds the record of a stored document (the vector is read separately from the vector field). */
  public static ImageRecord fromDocument(Document doc, float[] vector) {
    Long captured = longValue(doc, CAPTURED);
    Double lat = doc.getField(LATITUDE) == null ? null : doc.getField(LATITUDE).numericValue().doubleValue();
    Double lon = doc.getField(LONGITUDE) == null ? null : doc.getField(LONGITUDE).numericValue().doubleValue();
    ImageRecord.Exif exif =
        new ImageRecord.Exif(
            captured == null ? null : Instant.ofEpochMilli(captured),
            doc.get(CAMERA_MAKE),
            doc.get(CAMERA_MODEL),
            lat,
            lon,
            doc.getField(ORIENTATION) == null ? 1 : doc.getField(ORIENTATION).numericValue().intValue());
    var thumbnail = doc.getBinaryValue(THUMBNAIL);
    return new ImageRecord(
        doc.get(PATH),
        doc.get(SHA256),
        longValue(doc, SIZE),
        Instant.ofEpochMilli(longValue(doc, MODIFIED)),
        doc.getField(WIDTH).numericValue().intValue(),
        doc.getField(HEIGHT).numericValue().intValue(),
        doc.get(FORMAT),
        exif,
        thumbnail == null ? null
            : java.util.Arrays.copyOfRange(thumbnail.bytes, thumbnail.offset, thumbnail.offset + thumbnail.length),
        vector);
  }

  static Document storedDocument(StoredFields fields, int doc) throws java.io.IOException {
    return fields.document(doc);
  }

  /** Adds label tags to a document built by {@link #toDocument}, in the order given (best first). */
  static void addLabels(Document doc, List<LabelScore> labels) {
    for (LabelScore l : labels) {
      doc.add(new KeywordField(LABEL, l.label(), Field.Store.YES));
      doc.add(new StoredField(LABEL_PROBABILITY, l.probability()));
      doc.add(new StoredField(LABEL_SCORE, l.score()));
    }
  }

  /** The label tags of a stored document, best first; empty when it was never tagged. */
  public static List<LabelScore> labelsOf(Document doc) {
    String[] labels = doc.getValues(LABEL);
    var probabilities = doc.getFields(LABEL_PROBABILITY);
    var scores = doc.getFields(LABEL_SCORE);
    List<LabelScore> result = new ArrayList<>(labels.length);
    for (int i = 0; i < labels.length; i++) {
      result.add(new LabelScore(labels[i],
          i < probabilities.length ? probabilities[i].numericValue().floatValue() : Float.NaN,
          i < scores.length ? scores[i].numericValue().floatValue() : Float.NaN));
    }
    return result;
  }

  private static Long longValue(Document doc, String field) {
    var f = doc.getField(field);
    return f == null ? null : f.numericValue().longValue();
  }

  /** The words of the folders and the file name, split where people separate words in names. */
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
