package org.clipsearch.api;

/** An index written by one model was opened with another. */
public class ModelMismatchException extends IllegalStateException {
  private static final long serialVersionUID = 1L;

  public ModelMismatchException(String message) {
    super(message);
  }
}
