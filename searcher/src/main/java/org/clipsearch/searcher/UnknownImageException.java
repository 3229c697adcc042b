package org.clipsearch.searcher;

/** An id or path that names no indexed image. */
public class UnknownImageException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  public UnknownImageException(String message) {
    super(message);
  }
}
