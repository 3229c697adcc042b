package org.clipsearch.encoders;

/**
 * A problem with a model bundle or with the input given to an encoder. The message always names the problem (the
 * file, the field, the expected and actual values) because it is shown to users as it is.
 */
public class EncoderException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public EncoderException(String message) {
    super(message);
  }

  public EncoderException(String message, Throwable cause) {
    super(message, cause);
  }
}
