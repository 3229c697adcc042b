package org.clipsearch.api;

import java.util.List;
import java.util.Objects;

/**
 * An indexed image with its label tags, read together from one stored document, so that an image's details never
 * pair the record of one indexing run with the tags of another.
 *
 * @param image the stored image, thumbnail and vector included
 * @param tags its label tags, best first; empty when it has none
 */
public record TaggedImage(ImageRecord image, List<LabelScore> tags) {
  public TaggedImage {
    Objects.requireNonNull(image, "image");
    tags = List.copyOf(tags);
  }
}
