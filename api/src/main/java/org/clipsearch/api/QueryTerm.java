package org.clipsearch.api;

import java.util.Objects;

/**
 * One weighted part of a query. A query embeds each term and searches with the normalised weighted sum, so that
 * "beach" + image of a dog - "people" is one vector; a negative weight pushes results away from the term.
 */
public sealed interface QueryTerm {
  float weight();

  /** A sentence, embedded by the text encoder. */
  record Text(String text, float weight) implements QueryTerm {
    public Text {
      Objects.requireNonNull(text, "text");
    }
  }

  /** An image in the index, by id or by path; its stored vector is used. */
  record IndexedImage(String idOrPath, float weight) implements QueryTerm {
    public IndexedImage {
      Objects.requireNonNull(idOrPath, "idOrPath");
    }
  }

  /** An image that need not be in the index (an upload, a file), embedded by the image encoder. */
  record ImageBytes(byte[] content, float weight) implements QueryTerm {
    public ImageBytes {
      Objects.requireNonNull(content, "content");
    }
  }

  /** A ready embedding, for callers that embed themselves. */
  record Vector(float[] vector, float weight) implements QueryTerm {
    public Vector {
      Objects.requireNonNull(vector, "vector");
    }
  }
}
