package org.clipsearch.web;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.clipsearch.encoders.ClipModel;
import org.clipsearch.encoders.DecodedImage;
import org.clipsearch.encoders.ImagePreprocessing;
import org.clipsearch.encoders.Images;

/**
 * Uploaded images: their type is judged by their content (magic bytes, then the decoder's own detection), never by
 * their name or declared type; they are decoded guarded against decompression bombs, embedded, and dropped. Nothing
 * is written anywhere.
 */
final class Uploads {
  private Uploads() {}

  /** The format the leading bytes announce, or null when they are not of an image format the decoders read. */
  static String sniff(byte[] b) {
    if (b.length >= 3 && (b[0] & 0xff) == 0xFF && (b[1] & 0xff) == 0xD8 && (b[2] & 0xff) == 0xFF) {
      return "jpeg";
    }
    if (b.length >= 8 && (b[0] & 0xff) == 0x89 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G'
        && b[4] == 0x0D && b[5] == 0x0A && b[6] == 0x1A && b[7] == 0x0A) {
      return "png";
    }
    if (startsWith(b, 0, "GIF87a") || startsWith(b, 0, "GIF89a")) {
      return "gif";
    }
    if (startsWith(b, 0, "RIFF") && startsWith(b, 8, "WEBP")) {
      return "webp";
    }
    if (b.length >= 4 && ((b[0] == 'I' && b[1] == 'I' && b[2] == 42 && b[3] == 0)
        || (b[0] == 'M' && b[1] == 'M' && b[2] == 0 && b[3] == 42))) {
      return "tiff";
    }
    if (b.length >= 14 && b[0] == 'B' && b[1] == 'M') {
      return "bmp";
    }
    return null;
  }

  private static boolean startsWith(byte[] b, int at, String ascii) {
    byte[] s = ascii.getBytes(StandardCharsets.US_ASCII);
    if (b.length < at + s.length) {
      return false;
    }
    for (int i = 0; i < s.length; i++) {
      if (b[at + i] != s[i]) {
        return false;
      }
    }
    return true;
  }

  /** Checks, decodes and embeds an upload; a file that is no readable image is a 400. */
  static float[] embed(byte[] content, ClipModel model, long maxPixels) {
    if (content.length == 0) {
      throw ApiError.badRequest("the uploaded image is empty");
    }
    if (sniff(content) == null) {
      throw ApiError.badRequest(
          "the upload is not an image (JPEG, PNG, GIF, WebP, BMP or TIFF), judged by its content");
    }
    ImagePreprocessing pre = model.imageEncoder().preprocessing();
    int targetShortSide = 2 * Math.max(pre.height(), pre.width());
    DecodedImage decoded;
    try {
      decoded = Images.decode(content, maxPixels, targetShortSide);
    } catch (IOException e) {
      throw ApiError.badRequest("the upload is not a readable image: " + e.getMessage());
    } catch (RuntimeException e) {
      throw ApiError.badRequest("the upload is not a readable image");
    }
    return model.encodeImage(decoded.image());
  }
}
