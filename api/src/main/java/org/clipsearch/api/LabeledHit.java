package org.clipsearch.api;

/**
 * An image found by label search: the label that fits it best among those asked for, and how many images in all
 * have that label as their best.
 *
 * @param label the image's best label, with its probability among the labels and its cosine similarity
 * @param hit the image; its score is the cosine similarity to the label
 * @param labelCount how many images (passing the filters) have this label as their best, listed or not
 */
public record LabeledHit(LabelScore label, SearchHit hit, int labelCount) {}
