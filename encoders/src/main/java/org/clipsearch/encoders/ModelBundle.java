package org.clipsearch.encoders;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A CLIP-style model on disk: an image tower, a text tower and how to feed them. Read from either of two layouts
 * (see {@code docs/model-bundles.md}), detected from the files present:
 *
 * <ul>
 *   <li>the clipsearch layout, described by a {@code clipsearch-model.json} manifest;
 *   <li>the Immich / OpenCLIP ONNX layout ({@code config.json}, {@code visual/}, {@code textual/}), so that the
 *       model folders published for Immich's smart search work as they are.
 * </ul>
 *
 * <p>A clipsearch manifest may leave out the image tower: such a text-only bundle embeds texts (captions for
 * training, say) but cannot make a {@link ClipModel}.
 */
public record ModelBundle(
    Path directory,
    Layout layout,
    String name,
    int embeddingDim,
    float logitScale,
    ImageTower image,
    TextTower text) {

  public static final String MANIFEST = "clipsearch-model.json";

  /** CLIP's learned temperature saturates at 100; Immich's configs do not record it. */
  public static final float DEFAULT_LOGIT_SCALE = 100f;

  private static final ObjectMapper JSON = new ObjectMapper();

  public enum Layout {
    CLIPSEARCH,
    IMMICH
  }

  public enum Engine {
    PYTORCH("PyTorch"),
    ONNX_RUNTIME("OnnxRuntime");

    private final String djlName;

    Engine(String djlName) {
      this.djlName = djlName;
    }

    /** The engine name DJL knows it by. */
    public String djlName() {
      return djlName;
    }

    static Engine parse(String value, String field) {
      for (Engine engine : values()) {
        if (engine.djlName.equalsIgnoreCase(value)) {
          return engine;
        }
      }
      throw new EncoderException(
          "unsupported engine '" + value + "' in " + field + ": expected 'PyTorch' (TorchScript) or"
              + " 'OnnxRuntime' (ONNX)");
    }
  }

  /** How a text model's hidden states become one vector. */
  public enum Pooling {
    /** The model returns the embedding itself ({@code N×D}). */
    NONE,
    /** The model returns token states ({@code N×L×D}), averaged over the attention mask. */
    MEAN
  }

  public enum Padding {
    /** Every sequence padded to the maximum length, as CLIP's position-dependent text tower requires. */
    MAX_LENGTH,
    /** Sequences padded to the longest in the batch. */
    LONGEST
  }

  public enum TokenType {
    INT32,
    INT64
  }

  public record ImageTower(Path file, Engine engine, List<String> inputNames, ImagePreprocessing preprocessing) {}

  /**
   * @param inputNames the model's inputs in order; empty means "ask the model" (Immich layout)
   * @param padToken the token to pad with, or null for the tokenizer's own pad token (else id 0)
   */
  public record TextTower(
      Path file,
      Engine engine,
      List<String> inputNames,
      TokenType inputType,
      Path tokenizer,
      int maxLength,
      Padding padding,
      boolean truncation,
      String padToken,
      Pooling pooling) {}

  /** The prefix of a {@link #resolve} argument that names a classpath location instead of a directory. */
  public static final String CLASSPATH_PREFIX = "classpath:";

  /** Reads a bundle named as users name it: a directory, or {@code classpath:LOCATION}. */
  public static ModelBundle resolve(String spec) {
    if (spec.startsWith(CLASSPATH_PREFIX)) {
      ClassLoader loader = Thread.currentThread().getContextClassLoader();
      return fromClasspath(
          spec.substring(CLASSPATH_PREFIX.length()), loader != null ? loader : ModelBundle.class.getClassLoader());
    }
    return load(Path.of(spec));
  }

  /** Reads a bundle from a directory, detecting its layout. */
  public static ModelBundle load(Path directory) {
    if (directory == null) {
      throw new EncoderException("no model directory given");
    }
    Path dir = directory.toAbsolutePath().normalize();
    if (!Files.isDirectory(dir)) {
      throw new EncoderException("model directory " + dir + " does not exist or is not a directory");
    }
    if (!Files.isReadable(dir)) {
      throw new EncoderException("model directory " + dir + " is not readable");
    }
    if (Files.exists(dir.resolve(MANIFEST))) {
      return readClipsearchLayout(dir);
    }
    if (Files.exists(dir.resolve("config.json")) && Files.isDirectory(dir.resolve("visual"))) {
      return readImmichLayout(dir);
    }
    throw new EncoderException(
        "model directory " + dir + " holds neither a " + MANIFEST + " manifest (clipsearch layout) nor"
            + " config.json with visual/ and textual/ folders (Immich / OpenCLIP layout)");
  }

  /**
   * Reads a bundle packaged on the classpath under {@code location} (for example {@code
   * org/clipsearch/models/default}). Its files are unpacked once into the clipsearch cache, keyed by the manifest's
   * content, because the engines load models from files.
   */
  public static ModelBundle fromClasspath(String location, ClassLoader loader) {
    String base = location.replaceAll("^/+|/+$", "");
    byte[] manifest = readResource(loader, base + "/" + MANIFEST);
    if (manifest == null) {
      throw new EncoderException("no model bundle on the classpath at " + base + " (" + MANIFEST + " not found)");
    }
    ObjectNode root = (ObjectNode) parseJson(manifest, base + "/" + MANIFEST);
    String name = requiredText(root, "name", "manifest");
    // Each file is a resource beside the manifest, or, with a leading '/', at the classpath root (a text tower
    // shipped in another artifact). Unpacked, every file lies beside the manifest under its own name.
    Map<String, String> resources = new LinkedHashMap<>();
    for (String tower : List.of("image", "text")) {
      if (!root.hasNonNull(tower)) {
        continue;
      }
      ObjectNode node = (ObjectNode) root.get(tower);
      for (String field : tower.equals("image") ? List.of("file") : List.of("file", "tokenizer")) {
        String file = requiredText(node, field, tower);
        String local = file.startsWith("/") ? file.substring(file.lastIndexOf('/') + 1) : file;
        resources.put(local, file.startsWith("/") ? file.substring(1) : base + "/" + file);
        node.put(field, local);
      }
    }
    Path target =
        DjlEnvironment.cacheRoot()
            .resolve("models")
            .resolve(name.replaceAll("[^A-Za-z0-9._-]", "_") + "-" + sha256(manifest).substring(0, 16));
    if (!Files.exists(target.resolve(MANIFEST))) {
      byte[] localManifest;
      try {
        localManifest = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      unpack(loader, base, resources, localManifest, target);
    }
    return load(target);
  }

  /** A stable identity of the model's files, so that an index written by one model is never searched with another. */
  public String fingerprint() {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      List<Path> parts = new ArrayList<>(List.of(text.file(), text.tokenizer()));
      if (image != null) {
        parts.add(0, image.file());
      }
      for (Path part : parts) {
        digest.update(part.getFileName().toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        try (InputStream in = Files.newInputStream(part)) {
          byte[] buffer = new byte[1 << 16];
          for (int n; (n = in.read(buffer)) > 0; ) {
            digest.update(buffer, 0, n);
          }
        }
      }
      if (image != null) {
        digest.update(image.preprocessing().toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
      }
      return HexFormat.of().formatHex(digest.digest());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read model files of " + directory, e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static ModelBundle readClipsearchLayout(Path dir) {
    Path manifestPath = dir.resolve(MANIFEST);
    JsonNode root = parseJson(readAll(manifestPath), manifestPath.toString());
    String where = manifestPath.toString();
    int format = root.path("format").asInt(1);
    if (format != 1) {
      throw new EncoderException(where + ": unsupported manifest format " + format + " (this version reads 1)");
    }
    String name = requiredText(root, "name", where);
    int dim = requiredPositiveInt(root, "embedding_dim", where);
    float logitScale = (float) root.path("logit_scale").asDouble(DEFAULT_LOGIT_SCALE);

    ImageTower image = root.hasNonNull("image") ? readImageTower(dir, root, where) : null;

    JsonNode txt = requiredObject(root, "text", where);
    String txtWhere = where + " text";
    Path textFile = existingFile(dir, requiredText(txt, "file", txtWhere), txtWhere + ".file");
    Engine textEngine = Engine.parse(requiredText(txt, "engine", txtWhere), txtWhere + ".engine");
    List<String> inputNames = strings(txt.path("input_names"));
    if (inputNames.isEmpty()) {
      throw new EncoderException(txtWhere + ": missing field 'input_names' (the token id input comes first)");
    }
    TextTower text =
        new TextTower(
            textFile,
            textEngine,
            inputNames,
            parseTokenType(txt.path("input_type").asText("int64"), txtWhere + ".input_type"),
            existingFile(dir, requiredText(txt, "tokenizer", txtWhere), txtWhere + ".tokenizer"),
            requiredPositiveInt(txt, "max_length", txtWhere),
            parsePadding(txt.path("padding").asText("max_length"), txtWhere + ".padding"),
            txt.path("truncation").asBoolean(true),
            txt.hasNonNull("pad_token") ? txt.get("pad_token").asText() : null,
            parsePooling(requiredText(txt, "pooling", txtWhere), txtWhere + ".pooling"));
    return new ModelBundle(dir, Layout.CLIPSEARCH, name, dim, logitScale, image, text);
  }

  private static ImageTower readImageTower(Path dir, JsonNode root, String where) {
    JsonNode img = requiredObject(root, "image", where);
    String imgWhere = where + " image";
    Path imageFile = existingFile(dir, requiredText(img, "file", imgWhere), imgWhere + ".file");
    Engine imageEngine = Engine.parse(requiredText(img, "engine", imgWhere), imgWhere + ".engine");
    int[] size = parseSize(required(img, "size", imgWhere), imgWhere + ".size");
    ImagePreprocessing preprocessing =
        new ImagePreprocessing(
            size[0],
            size[1],
            ImagePreprocessing.ResizeMode.parse(requiredText(img, "resize_mode", imgWhere)),
            ImagePreprocessing.Interpolation.parse(requiredText(img, "interpolation", imgWhere)),
            floats(required(img, "mean", imgWhere), imgWhere + ".mean"),
            floats(required(img, "std", imgWhere), imgWhere + ".std"),
            padMaxAspect(img, imgWhere));
    return new ImageTower(imageFile, imageEngine, strings(img.path("input_names")), preprocessing);
  }

  /** The optional {@code image.pad_max_aspect}: a number, or 0 when absent. */
  private static double padMaxAspect(JsonNode img, String where) {
    JsonNode node = img.path("pad_max_aspect");
    if (node.isMissingNode() || node.isNull()) {
      return 0;
    }
    if (!node.isNumber()) {
      throw new EncoderException(where + ".pad_max_aspect must be a number, got " + node);
    }
    return node.asDouble();
  }

  private static ModelBundle readImmichLayout(Path dir) {
    Path configPath = dir.resolve("config.json");
    String where = configPath.toString();
    JsonNode config = parseJson(readAll(configPath), where);
    int dim = requiredPositiveInt(config, "embed_dim", where);
    JsonNode textCfg = requiredObject(config, "text_cfg", where);
    int contextLength = requiredPositiveInt(textCfg, "context_length", where + " text_cfg");
    float logitScale = (float) config.path("logit_scale").asDouble(DEFAULT_LOGIT_SCALE);

    Path preprocessPath = dir.resolve("visual/preprocess_cfg.json");
    String pWhere = preprocessPath.toString();
    if (!Files.exists(preprocessPath)) {
      throw new EncoderException("Immich model " + dir + ": missing visual/preprocess_cfg.json");
    }
    JsonNode pre = parseJson(readAll(preprocessPath), pWhere);
    int[] size = parseSize(required(pre, "size", pWhere), pWhere + " size");
    ImagePreprocessing preprocessing =
        new ImagePreprocessing(
            size[0],
            size[1],
            ImagePreprocessing.ResizeMode.parse(pre.path("resize_mode").asText("shortest")),
            ImagePreprocessing.Interpolation.parse(pre.path("interpolation").asText("bicubic")),
            floats(required(pre, "mean", pWhere), pWhere + " mean"),
            floats(required(pre, "std", pWhere), pWhere + " std"));
    ImageTower image =
        new ImageTower(
            existingFile(dir, "visual/model.onnx", "Immich visual model"),
            Engine.ONNX_RUNTIME,
            List.of("image"),
            preprocessing);

    Path tokenizerConfigPath = dir.resolve("textual/tokenizer_config.json");
    String padToken = null;
    if (Files.exists(tokenizerConfigPath)) {
      JsonNode tokenizerConfig = parseJson(readAll(tokenizerConfigPath), tokenizerConfigPath.toString());
      JsonNode pad = tokenizerConfig.path("pad_token");
      // pad_token is either a string or an AddedToken object with a "content" field.
      padToken = pad.isTextual() ? pad.asText() : pad.path("content").isTextual() ? pad.path("content").asText() : null;
    }
    TextTower text =
        new TextTower(
            existingFile(dir, "textual/model.onnx", "Immich textual model"),
            Engine.ONNX_RUNTIME,
            List.of(),
            null,
            existingFile(dir, "textual/tokenizer.json", "Immich tokenizer"),
            contextLength,
            Padding.MAX_LENGTH,
            true,
            padToken,
            Pooling.NONE);
    String name = "immich/" + dir.getFileName();
    return new ModelBundle(dir, Layout.IMMICH, name, dim, logitScale, image, text);
  }

  private static int[] parseSize(JsonNode node, String where) {
    if (node.isInt()) {
      return new int[] {node.asInt(), node.asInt()};
    }
    if (node.isArray() && node.size() == 2 && node.get(0).isInt() && node.get(1).isInt()) {
      return new int[] {node.get(0).asInt(), node.get(1).asInt()};
    }
    throw new EncoderException(where + " must be a number or [height, width], got " + node);
  }

  private static float[] floats(JsonNode node, String where) {
    if (!node.isArray()) {
      throw new EncoderException(where + " must be an array of numbers, got " + node);
    }
    float[] values = new float[node.size()];
    for (int i = 0; i < values.length; i++) {
      if (!node.get(i).isNumber()) {
        throw new EncoderException(where + " must be an array of numbers, got " + node);
      }
      values[i] = (float) node.get(i).asDouble();
    }
    return values;
  }

  private static List<String> strings(JsonNode node) {
    List<String> values = new ArrayList<>();
    node.forEach(value -> values.add(value.asText()));
    return List.copyOf(values);
  }

  private static TokenType parseTokenType(String value, String where) {
    return switch (value.toLowerCase(Locale.ROOT)) {
      case "int64", "long" -> TokenType.INT64;
      case "int32", "int" -> TokenType.INT32;
      default -> throw new EncoderException(where + ": expected 'int64' or 'int32', got '" + value + "'");
    };
  }

  private static Padding parsePadding(String value, String where) {
    return switch (value.toLowerCase(Locale.ROOT)) {
      case "max_length" -> Padding.MAX_LENGTH;
      case "longest" -> Padding.LONGEST;
      default -> throw new EncoderException(where + ": expected 'max_length' or 'longest', got '" + value + "'");
    };
  }

  private static Pooling parsePooling(String value, String where) {
    return switch (value.toLowerCase(Locale.ROOT)) {
      case "none" -> Pooling.NONE;
      case "mean" -> Pooling.MEAN;
      default -> throw new EncoderException(where + ": expected 'none' or 'mean', got '" + value + "'");
    };
  }

  private static JsonNode required(JsonNode parent, String field, String where) {
    JsonNode node = parent.get(field);
    if (node == null || node.isNull()) {
      throw new EncoderException(where + ": missing field '" + field + "'");
    }
    return node;
  }

  private static JsonNode requiredObject(JsonNode parent, String field, String where) {
    JsonNode node = required(parent, field, where);
    if (!node.isObject()) {
      throw new EncoderException(where + ": field '" + field + "' must be an object");
    }
    return node;
  }

  private static String requiredText(JsonNode parent, String field, String where) {
    JsonNode node = required(parent, field, where);
    if (!node.isTextual() || node.asText().isBlank()) {
      throw new EncoderException(where + ": field '" + field + "' must be a non-empty string");
    }
    return node.asText();
  }

  private static int requiredPositiveInt(JsonNode parent, String field, String where) {
    JsonNode node = required(parent, field, where);
    if (!node.isInt() || node.asInt() <= 0) {
      throw new EncoderException(where + ": field '" + field + "' must be a positive integer, got " + node);
    }
    return node.asInt();
  }

  private static Path existingFile(Path dir, String relative, String what) {
    if (relative.startsWith("/")) {
      return classpathFile(relative.substring(1), what);
    }
    Path file = dir.resolve(relative).normalize();
    if (!file.startsWith(dir)) {
      throw new EncoderException(what + " '" + relative + "' points outside the model directory " + dir);
    }
    if (!Files.isRegularFile(file)) {
      throw new EncoderException(what + ": file " + file + " does not exist");
    }
    if (!Files.isReadable(file)) {
      throw new EncoderException(what + ": file " + file + " is not readable");
    }
    return file;
  }

  /**
   * A file named with a leading '/' is a resource at the classpath root (the default text tower ships in another
   * artifact); it is unpacked once into the cache, keyed by where it came from, since the engines read files.
   */
  private static Path classpathFile(String resource, String what) {
    ClassLoader loader = Thread.currentThread().getContextClassLoader();
    if (loader == null) {
      loader = ModelBundle.class.getClassLoader();
    }
    java.net.URL url = loader.getResource(resource);
    if (url == null) {
      throw new EncoderException(what + ": resource /" + resource + " is not on the classpath");
    }
    String key = sha256(url.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8)).substring(0, 16);
    Path target = DjlEnvironment.cacheRoot().resolve("resources").resolve(key).resolve(
        resource.substring(resource.lastIndexOf('/') + 1));
    if (Files.isRegularFile(target)) {
      return target;
    }
    try {
      Files.createDirectories(target.getParent());
      Path staging = Files.createTempFile(target.getParent(), ".unpack-", ".tmp");
      try (InputStream in = url.openStream()) {
        Files.copy(in, staging, StandardCopyOption.REPLACE_EXISTING);
      }
      try {
        Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
      } catch (FileAlreadyExistsException e) {
        Files.deleteIfExists(staging);
      }
      return target;
    } catch (IOException e) {
      throw new EncoderException("cannot unpack /" + resource + " into " + target + ": " + e.getMessage(), e);
    }
  }

  private static JsonNode parseJson(byte[] content, String where) {
    try {
      JsonNode node = JSON.readTree(content);
      if (node == null || !node.isObject()) {
        throw new EncoderException(where + " is not a JSON object");
      }
      return node;
    } catch (IOException e) {
      String reason = e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
      throw new EncoderException(where + " is not valid JSON: " + reason, e);
    }
  }

  private static byte[] readAll(Path file) {
    try {
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new EncoderException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  private static byte[] readResource(ClassLoader loader, String name) {
    try (InputStream in = loader.getResourceAsStream(name)) {
      return in == null ? null : in.readAllBytes();
    } catch (IOException e) {
      throw new EncoderException("cannot read classpath resource " + name + ": " + e.getMessage(), e);
    }
  }

  private static void unpack(
      ClassLoader loader, String base, Map<String, String> resources, byte[] manifest, Path target) {
    try {
      Files.createDirectories(target.getParent());
      // Unpack into a private folder and move it into place, so that a concurrent process never sees half a model.
      Path staging = Files.createTempDirectory(target.getParent(), ".unpack-");
      Files.write(staging.resolve(MANIFEST), manifest);
      for (Map.Entry<String, String> file : resources.entrySet()) {
        Path out = staging.resolve(file.getKey()).normalize();
        if (!out.startsWith(staging)) {
          throw new EncoderException("model file '" + file.getKey() + "' points outside the bundle");
        }
        Files.createDirectories(out.getParent());
        try (InputStream in = loader.getResourceAsStream(file.getValue())) {
          if (in == null) {
            throw new EncoderException(
                "model bundle on the classpath at " + base + " lacks the resource " + file.getValue());
          }
          Files.copy(in, out);
        }
      }
      try {
        Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
      } catch (FileAlreadyExistsException | java.nio.file.DirectoryNotEmptyException e) {
        deleteRecursively(staging); // another process won the race with identical content
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(staging, target);
      }
    } catch (IOException e) {
      throw new EncoderException("cannot unpack the model bundle " + base + " into " + target + ": " + e, e);
    }
  }

  private static void deleteRecursively(Path dir) throws IOException {
    try (var paths = Files.walk(dir)) {
      for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  static String sha256(byte[] content) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
