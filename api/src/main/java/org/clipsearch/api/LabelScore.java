package org.clipsearch.api;

/**
 * A label's fit to an image in zero-shot classification.
 *
 * @param probability softmax over all labels of the scaled cosine similarities
 * @param score cosine similarity between the label's (template-averaged) embedding and the image
 */
public record LabelScore(String label, float probability, float score) {}
