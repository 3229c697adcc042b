package org.clipsearch.web;

/**
 * A request the API refuses, with the status and the message the client sees as {@code {"error": message}}. The
 * message must say what was wrong with the request and never carry internals.
 */
public final class ApiError extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final int status;

  public ApiError(int status, String message) {
    super(message, null, false, false);
    this.status = status;
  }

  public int status() {
    return status;
  }

  public static ApiError badRequest(String message) {
    return new ApiError(400, message);
  }

  public static ApiError notFound(String message) {
    return new ApiError(404, message);
  }

  public static ApiError tooLarge(String message) {
    return new ApiError(413, message);
  }

  public static ApiError unavailable(String message) {
    return new ApiError(503, message);
  }
}
