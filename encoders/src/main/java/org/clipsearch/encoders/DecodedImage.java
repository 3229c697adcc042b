package org.clipsearch.encoders;

import java.awt.image.BufferedImage;

/**
 * An image decoded for embedding: upright RGB pixels, possibly subsampled, and what the file itself says.
 *
 * @param image upright RGB pixels, at most about {@code targetShortSide} on the short side when subsampled
 * @param width the full width as displayed (after EXIF orientation)
 * @param height the full height as displayed
 * @param format lower-case format name from the decoder ("jpeg", "png", "gif", "bmp", "webp", "tiff")
 * @param orientation the EXIF orientation that was applied (1 when none)
 */
public record DecodedImage(BufferedImage image, int width, int height, String format, int orientation) {}
