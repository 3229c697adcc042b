package org.clipsearch.encoders;

import com.drew.imaging.ImageMetadataReader;
import com.drew.imaging.ImageProcessingException;
import com.drew.metadata.Metadata;
import com.drew.metadata.MetadataException;
import com.drew.metadata.exif.ExifIFD0Directory;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.geom.AffineTransform;
import java.awt.image.AffineTransformOp;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.DataBufferByte;
import java.awt.image.DataBufferInt;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.awt.color.ColorSpace;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/**
 * Reads image files the way models expect to see them: upright (EXIF orientation applied), in 8-bit RGB, with
 * transparency composited onto white. Formats beyond the JDK's (CMYK JPEG, WebP, TIFF, ...) come from TwelveMonkeys
 * ImageIO plugins, found through ImageIO's service registry.
 */
public final class Images {
  static {
    // Plugins on the classpath register themselves, but a context class loader set by a host application may hide
    // them; scanning once makes them visible either way.
    ImageIO.scanForPlugins();
  }

  private Images() {}

  /**
   * Reads an image file, upright and in RGB.
   *
   * @throws IOException whose message is the reason alone; callers report it beside the path
   */
  public static BufferedImage read(Path file) throws IOException {
    // A named pipe or a device would block or never end (classify and --like hung on a FIFO): only regular files.
    if (!Files.isRegularFile(file)) {
      if (!Files.exists(file)) {
        throw new java.nio.file.NoSuchFileException(file.toString());
      }
      throw new java.nio.file.FileSystemException(file.toString(), null,
          Files.isDirectory(file) ? "a folder, not an image file" : "not a regular file");
    }
    return read(Files.readAllBytes(file));
  }

  /** The largest image {@link #read} decodes, as the indexer's default: larger headers are refused unread. */
  public static final long MAX_PIXELS = 100_000_000L;

  /**
   * Reads an image from bytes (an upload, say), upright and in RGB, at full size, as strictly as the indexer does:
   * a truncated file is an error rather than an image padded with grey, and a header claiming more than
   * {@link #MAX_PIXELS} pixels is refused before decoding (classify and --like took both before).
   */
  public static BufferedImage read(byte[] content) throws IOException {
    return decode(content, MAX_PIXELS, 0).image();
  }

  /**
   * Decodes an image guarded against decompression bombs and subsampled for speed: the header's dimensions are
   * checked against {@code maxPixels} before any pixel is decoded, and a large image is decoded at every n-th pixel
   * so that its short side stays at or above {@code targetShortSide} (the decoder never builds the full bitmap).
   *
   * @param targetShortSide the smallest short side wanted, or 0 for full size
   * @throws IOException whose message is the reason alone ("not an image ...", "image of 30000x20000 pixels ...")
   */
  public static DecodedImage decode(byte[] content, long maxPixels, int targetShortSide) throws IOException {
    if (content.length == 0) {
      throw new IOException("empty file");
    }
    try (javax.imageio.stream.ImageInputStream in =
        ImageIO.createImageInputStream(new ByteArrayInputStream(content))) {
      java.util.Iterator<javax.imageio.ImageReader> readers = ImageIO.getImageReaders(in);
      if (in == null || !readers.hasNext()) {
        throw new IOException("not an image in a supported format");
      }
      javax.imageio.ImageReader reader = readers.next();
      try {
        reader.setInput(in, true, true);
        int width;
        int height;
        try {
          width = reader.getWidth(0);
          height = reader.getHeight(0);
        } catch (IOException | RuntimeException e) {
          throw new IOException("unreadable image header: " + reason(e), e);
        }
        if (width <= 0 || height <= 0) {
          throw new IOException("image header claims " + width + "x" + height + " pixels");
        }
        if ((long) width * height > maxPixels) {
          throw new IOException(
              "image of " + width + "x" + height + " pixels exceeds the limit of " + maxPixels
                  + " pixels (possible decompression bomb)");
        }
        javax.imageio.ImageReadParam param = reader.getDefaultReadParam();
        int step = targetShortSide > 0 ? Math.max(1, Math.min(width, height) / targetShortSide) : 1;
        if (step > 1) {
          param.setSourceSubsampling(step, step, 0, 0);
        }
        BufferedImage image;
        // Decoders report a truncated stream as a warning and fill the rest with grey: that is a broken file too.
        java.util.List<String> warnings = new java.util.ArrayList<>();
        reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
        try {
          image = reader.read(0, param);
        } catch (IOException | RuntimeException e) {
          throw new IOException("corrupt or truncated " + formatName(reader) + ": " + reason(e), e);
        }
        for (String warning : warnings) {
          String lower = warning.toLowerCase(java.util.Locale.ROOT);
          // Other warnings (a CMYK file without an ICC profile, say) leave a usable image.
          if (lower.contains("premature") || lower.contains("corrupt") || lower.contains("truncat")) {
            throw new IOException("corrupt or truncated " + formatName(reader) + ": " + warning);
          }
        }
        int orientation = exifOrientation(content);
        boolean swap = orientation >= 5;
        return new DecodedImage(
            applyOrientation(toRgb(image), orientation),
            swap ? height : width,
            swap ? width : height,
            formatName(reader),
            orientation);
      } finally {
        reader.dispose();
      }
    }
  }

  private static String formatName(javax.imageio.ImageReader reader) {
    try {
      String name = reader.getFormatName().toLowerCase(java.util.Locale.ROOT);
      return switch (name) {
        case "jpg" -> "jpeg";
        case "tif" -> "tiff";
        default -> name;
      };
    } catch (IOException e) {
      return "image";
    }
  }

  private static String reason(Throwable e) {
    String message = e.getMessage();
    return message != null && !message.isBlank() ? message : e.getClass().getSimpleName();
  }

  /** The EXIF orientation (1 to 8), 1 when there is none or it cannot be read. */
  public static int exifOrientation(byte[] content) {
    try {
      Metadata metadata = ImageMetadataReader.readMetadata(new ByteArrayInputStream(content));
      for (ExifIFD0Directory dir : metadata.getDirectoriesOfType(ExifIFD0Directory.class)) {
        if (dir.containsTag(ExifIFD0Directory.TAG_ORIENTATION)) {
          int value = dir.getInt(ExifIFD0Directory.TAG_ORIENTATION);
          return value >= 1 && value <= 8 ? value : 1;
        }
      }
    } catch (ImageProcessingException | IOException | MetadataException | RuntimeException e) {
      // Metadata is optional: a file whose EXIF cannot be parsed is still shown as stored.
    }
    return 1;
  }

  /** Rotates and mirrors an image so that it stands as EXIF orientation {@code orientation} says it should. */
  public static BufferedImage applyOrientation(BufferedImage image, int orientation) {
    if (orientation <= 1 || orientation > 8) {
      return image;
    }
    int w = image.getWidth();
    int h = image.getHeight();
    AffineTransform t = new AffineTransform();
    boolean swap = orientation >= 5;
    switch (orientation) {
      case 2 -> { // mirror horizontally
        t.translate(w, 0);
        t.scale(-1, 1);
      }
      case 3 -> { // rotate 180
        t.translate(w, h);
        t.rotate(Math.PI);
      }
      case 4 -> { // mirror vertically
        t.translate(0, h);
        t.scale(1, -1);
      }
      case 5 -> { // transpose
        t.rotate(-Math.PI / 2);
        t.scale(-1, 1);
      }
      case 6 -> { // rotate 90 clockwise
        t.translate(h, 0);
        t.rotate(Math.PI / 2);
      }
      case 7 -> { // transverse
        t.scale(-1, 1);
        t.translate(-h, 0);
        t.translate(0, w);
        t.rotate(3 * Math.PI / 2);
      }
      case 8 -> { // rotate 90 counter-clockwise
        t.translate(0, w);
        t.rotate(-Math.PI / 2);
      }
      default -> {}
    }
    BufferedImage out = new BufferedImage(swap ? h : w, swap ? w : h, BufferedImage.TYPE_INT_RGB);
    new AffineTransformOp(t, AffineTransformOp.TYPE_NEAREST_NEIGHBOR).filter(image, out);
    return out;
  }

  /**
   * Converts any image to 8-bit {@code TYPE_INT_RGB}: alpha composited onto white, grey replicated into the three
   * channels (never through Java's linear-grey colour space, which would brighten it), 16-bit samples reduced to 8.
   */
  public static BufferedImage toRgb(BufferedImage image) {
    if (image.getType() == BufferedImage.TYPE_INT_RGB) {
      return image;
    }
    ColorModel cm = image.getColorModel();
    if (!(cm instanceof IndexColorModel) && cm.getColorSpace().getType() == ColorSpace.TYPE_GRAY) {
      return greyToRgb(image);
    }
    BufferedImage out = new BufferedImage(image.getWidth(), image.getHeight(), BufferedImage.TYPE_INT_RGB);
    Graphics2D g = out.createGraphics();
    try {
      g.setColor(Color.WHITE);
      g.fillRect(0, 0, out.getWidth(), out.getHeight());
      g.drawImage(image, 0, 0, null);
    } finally {
      g.dispose();
    }
    return out;
  }

  private static BufferedImage greyToRgb(BufferedImage image) {
    Raster raster = image.getRaster();
    int w = image.getWidth();
    int h = image.getHeight();
    int bands = raster.getNumBands();
    int greyMax = (1 << image.getColorModel().getComponentSize(0)) - 1;
    boolean alpha = bands > 1 && image.getColorModel().hasAlpha();
    int alphaMax = alpha ? (1 << image.getColorModel().getComponentSize(1)) - 1 : 1;
    BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    int[] rgb = ((DataBufferInt) out.getRaster().getDataBuffer()).getData();
    int[] grey = new int[w];
    int[] a = alpha ? new int[w] : null;
    for (int y = 0; y < h; y++) {
      raster.getSamples(0, y, w, 1, 0, grey);
      if (alpha) {
        raster.getSamples(0, y, w, 1, 1, a);
      }
      for (int x = 0; x < w; x++) {
        int v = greyMax == 255 ? grey[x] : (int) Math.round(grey[x] * 255.0 / greyMax);
        if (alpha) {
          double opacity = (double) a[x] / alphaMax;
          v = (int) Math.round(v * opacity + 255 * (1 - opacity));
        }
        rgb[y * w + x] = (v << 16) | (v << 8) | v;
      }
    }
    return out;
  }

  /** The pixels of an RGB image as interleaved R, G, B bytes, row by row. */
  static byte[] rgbBytes(BufferedImage rgb) {
    int w = rgb.getWidth();
    int h = rgb.getHeight();
    byte[] out = new byte[w * h * 3];
    if (rgb.getType() == BufferedImage.TYPE_INT_RGB
        && rgb.getRaster().getDataBuffer() instanceof DataBufferInt buffer
        && rgb.getRaster().getParent() == null) {
      int[] data = buffer.getData();
      for (int i = 0; i < w * h; i++) {
        int p = data[i];
        out[i * 3] = (byte) (p >> 16);
        out[i * 3 + 1] = (byte) (p >> 8);
        out[i * 3 + 2] = (byte) p;
      }
      return out;
    }
    if (rgb.getType() == BufferedImage.TYPE_3BYTE_BGR && rgb.getRaster().getDataBuffer() instanceof DataBufferByte b
        && rgb.getRaster().getParent() == null) {
      byte[] data = b.getData();
      for (int i = 0; i < w * h; i++) {
        out[i * 3] = data[i * 3 + 2];
        out[i * 3 + 1] = data[i * 3 + 1];
        out[i * 3 + 2] = data[i * 3];
      }
      return out;
    }
    int[] row = new int[w];
    for (int y = 0; y < h; y++) {
      rgb.getRGB(0, y, w, 1, row, 0, w);
      for (int x = 0; x < w; x++) {
        int p = row[x];
        int i = (y * w + x) * 3;
        out[i] = (byte) (p >> 16);
        out[i + 1] = (byte) (p >> 8);
        out[i + 2] = (byte) p;
      }
    }
    return out;
  }
}
