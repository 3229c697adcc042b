package org.clipsearch.encoders;

/** Preprocessed images stacked as one {@code N×3×H×W} float tensor, channels first. */
record PixelBatch(float[] data, int count, int height, int width) {}
