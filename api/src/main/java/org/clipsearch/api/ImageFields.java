package org.clipsearch.api;

/**
 * The names of an indexed image's fields, one list for both backends (the embedded index's {@code IndexSchema} and
 * the SolrCloud configset), so that filters mean the same everywhere and the names cannot drift apart.
 */
public final class ImageFields {
  /** Absolute normalised path: the unique key. */
  public static final String PATH = "path";
  /** {@link ImageRecord#idOf}: the path's stable id, for lookups from URLs. */
  public static final String ID = "id";
  /** Every ancestor folder of the file, so that a folder filter is one exact term, not a prefix guess. */
  public static final String FOLDERS = "folders";
  /** Folder and file name words, for keyword search ("paris-2019"). */
  public static final String NAMES = "names";
  public static final String SHA256 = "sha256";
  public static final String SIZE = "size";
  public static final String MODIFIED = "modified";
  /** Capture date if the camera recorded one, else modification time (epoch milliseconds). */
  public static final String DATE = "date";
  public static final String CAPTURED = "captured";
  public static final String WIDTH = "width";
  public static final String HEIGHT = "height";
  public static final String FORMAT = "format";
  public static final String CAMERA_MAKE = "camera_make";
  public static final String CAMERA_MODEL = "camera_model";
  /** Lower-cased "make model" words, for camera filters. */
  public static final String CAMERA = "camera";
  public static final String LATITUDE = "latitude";
  public static final String LONGITUDE = "longitude";
  public static final String LOCATION = "location";
  public static final String ORIENTATION = "orientation";
  public static final String THUMBNAIL = "thumbnail";
  public static final String VECTOR = "vector";
  /**
   * Label tags written by {@code clipsearch labels --tag}: the image's most probable labels, best first, each an exact
   * term (filters) and a doc value (counts), in the embedded index and in the SolrCloud configset alike.
   */
  public static final String LABEL = "label";
  /** Each tag's probability (softmax over the labels of the tagging run), in {@link #LABEL}'s stored order. */
  public static final String LABEL_PROBABILITY = "label_probability";
  /** Each tag's cosine similarity to the image, in {@link #LABEL}'s stored order. */
  public static final String LABEL_SCORE = "label_score";

  private ImageFields() {}
}
