package org.clipsearch.indexer;

import com.drew.imaging.ImageMetadataReader;
import com.drew.lang.GeoLocation;
import com.drew.metadata.Metadata;
import com.drew.metadata.exif.ExifIFD0Directory;
import com.drew.metadata.exif.ExifSubIFDDirectory;
import com.drew.metadata.exif.GpsDirectory;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Instant;
import java.util.Date;
import java.util.TimeZone;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import org.clipsearch.api.ImageRecord;

/** What the indexer records of an image besides its embedding: EXIF facts and a thumbnail. */
final class ImageFacts {
  private ImageFacts() {}

  /** EXIF facts, {@link ImageRecord.Exif#NONE} where the file has none or they cannot be parsed. */
  static ImageRecord.Exif exif(byte[] content, int orientation) {
    Metadata metadata;
    try {
      metadata = ImageMetadataReader.readMetadata(new ByteArrayInputStream(content));
    } catch (Exception e) {
      return orientation == 1 ? ImageRecord.Exif.NONE : new ImageRecord.Exif(null, null, null, null, null, orientation);
    }
    Instant captured = null;
    ExifSubIFDDirectory sub = metadata.getFirstDirectoryOfType(ExifSubIFDDirectory.class);
    if (sub != null) {
      // Cameras record local time without a zone; reading it as UTC keeps the wall-clock date people expect.
      Date date = sub.getDateOriginal(TimeZone.getTimeZone("UTC"));
      captured = date == null ? null : date.toInstant();
    }
    String make = null;
    String model = null;
    ExifIFD0Directory ifd0 = metadata.getFirstDirectoryOfType(ExifIFD0Directory.class);
    if (ifd0 != null) {
      make = clean(ifd0.getString(ExifIFD0Directory.TAG_MAKE));
      model = clean(ifd0.getString(ExifIFD0Directory.TAG_MODEL));
    }
    Double latitude = null;
    Double longitude = null;
    GpsDirectory gps = metadata.getFirstDirectoryOfType(GpsDirectory.class);
    if (gps != null) {
      GeoLocation location = gps.getGeoLocation();
      if (location != null && !location.isZero()
          && Math.abs(location.getLatitude()) <= 90 && Math.abs(location.getLongitude()) <= 180) {
        latitude = location.getLatitude();
        longitude = location.getLongitude();
      }
    }
    return new ImageRecord.Exif(captured, make, model, latitude, longitude, orientation);
  }

  private static String clean(String value) {
    if (value == null) {
      return null;
    }
    String trimmed = value.replace("\0", "").strip();
    return trimmed.isEmpty() ? null : trimmed;
  }

  /** A JPEG whose longest side is at most {@code maxSide}, scaled in halving steps for a smooth result. */
  static byte[] thumbnail(BufferedImage rgb, int maxSide) throws IOException {
    if (maxSide <= 0) {
      return null;
    }
    BufferedImage current = rgb;
    double scale = Math.min(1.0, (double) maxSide / Math.max(rgb.getWidth(), rgb.getHeight()));
    int targetW = Math.max(1, (int) Math.round(rgb.getWidth() * scale));
    int targetH = Math.max(1, (int) Math.round(rgb.getHeight() * scale));
    while (current.getWidth() != targetW || current.getHeight() != targetH) {
      int w = Math.max(targetW, current.getWidth() / 2);
      int h = Math.max(targetH, current.getHeight() / 2);
      BufferedImage next = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
      Graphics2D g = next.createGraphics();
      g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
      g.drawImage(current, 0, 0, w, h, null);
      g.dispose();
      current = next;
    }
    ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (MemoryCacheImageOutputStream stream = new MemoryCacheImageOutputStream(out)) {
      writer.setOutput(stream);
      ImageWriteParam param = writer.getDefaultWriteParam();
      param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
      param.setCompressionQuality(0.8f);
      writer.write(null, new IIOImage(current, null, null), param);
    } finally {
      writer.dispose();
    }
    return out.toByteArray();
  }
}
