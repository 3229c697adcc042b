package org.clipsearch.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

/** A small HTTP client for the tests: JSON, multipart uploads, and raw requests for what HttpClient will not send. */
final class Http {
  static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient CLIENT = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(10)).version(HttpClient.Version.HTTP_1_1).build();

  private final URI base;
  private String token;

  Http(URI base) {
    this.base = base;
  }

  Http withToken(String token) {
    Http h = new Http(base);
    h.token = token;
    return h;
  }

  record Reply(int status, java.net.http.HttpHeaders headers, byte[] body) {
    String text() {
      return new String(body, StandardCharsets.UTF_8);
    }

    JsonNode json() {
      try {
        return JSON.readTree(body);
      } catch (IOException e) {
        throw new AssertionError("not JSON (status " + status + "): " + text(), e);
      }
    }

    String header(String name) {
      return headers.firstValue(name).orElse(null);
    }

    String error() {
      return json().path("error").asText(null);
    }
  }

  private HttpRequest.Builder request(String path) {
    HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(60));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return b;
  }

  Reply get(String path, String... headers) {
    HttpRequest.Builder b = request(path).GET();
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return send(b.build());
  }

  Reply postJson(String path, String json) {
    return send(request(path).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json)).build());
  }

  Reply post(String path, String contentType, byte[] body) {
    return send(request(path).header("Content-Type", contentType)
        .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build());
  }

  /** A multipart/form-data POST: {@code files} as name → (filename, bytes), {@code fields} as name → value. */
  Reply postMultipart(String path, Map<String, byte[]> files, Map<String, String> fields) {
    Multipart m = new Multipart();
    fields.forEach(m::field);
    files.forEach((name, bytes) -> m.file(name, name + ".jpg", "image/jpeg", bytes));
    return post(path, m.contentType(), m.body());
  }

  static final class Multipart {
    private final String boundary = "----clipsearch" + UUID.randomUUID();
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    Multipart field(String name, String value) {
      write("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + value + "\r\n");
      return this;
    }

    Multipart file(String name, String filename, String type, byte[] bytes) {
      write("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\"; filename=\"" + filename
          + "\"\r\nContent-Type: " + type + "\r\n\r\n");
      out.writeBytes(bytes);
      write("\r\n");
      return this;
    }

    private void write(String s) {
      out.writeBytes(s.getBytes(StandardCharsets.UTF_8));
    }

    String contentType() {
      return "multipart/form-data; boundary=" + boundary;
    }

    byte[] body() {
      ByteArrayOutputStream copy = new ByteArrayOutputStream();
      copy.writeBytes(out.toByteArray());
      copy.writeBytes(("--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
      return copy.toByteArray();
    }
  }

  Reply send(HttpRequest request) {
    try {
      HttpResponse<byte[]> r = CLIENT.send(request, HttpResponse.BodyHandlers.ofByteArray());
      return new Reply(r.statusCode(), r.headers(), r.body());
    } catch (IOException e) {
      throw new AssertionError(request.method() + " " + request.uri() + " failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** A request written byte by byte: the status line and the raw response, for paths HttpClient would not send. */
  record RawReply(int status, String head, String body) {}

  RawReply raw(String requestLine, String... headerLines) throws IOException {
    try (Socket socket = new Socket(base.getHost(), base.getPort())) {
      socket.setSoTimeout(30_000);
      OutputStream out = socket.getOutputStream();
      out.write(head(requestLine, List.of(headerLines)));
      out.flush();
      return readRaw(socket.getInputStream());
    }
  }

  /** The request head as written: its lines, then Host (unless given), the token and {@code Connection: close}. */
  private byte[] head(String requestLine, List<String> headerLines) {
    StringBuilder req = new StringBuilder(requestLine).append("\r\n");
    List<String> headers = new ArrayList<>(headerLines);
    if (headers.stream().noneMatch(h -> h.toLowerCase().startsWith("host:"))) {
      headers.add("Host: " + base.getHost() + ":" + base.getPort());
    }
    if (token != null) {
      headers.add("Authorization: Bearer " + token);
    }
    headers.add("Connection: close");
    for (String h : headers) {
      req.append(h).append("\r\n");
    }
    req.append("\r\n");
    return req.toString().getBytes(StandardCharsets.ISO_8859_1);
  }

  /**
   * Posts {@code form} but sends only the first half of its body: the server takes the request in (a request slot,
   * an upload slot) and cannot finish it until {@link HeldRequest#finish()} sends the rest.
   */
  HeldRequest hold(String path, Multipart form) throws IOException {
    byte[] body = form.body();
    int half = body.length / 2;
    Socket socket = new Socket(base.getHost(), base.getPort());
    socket.setSoTimeout(60_000);
    OutputStream out = socket.getOutputStream();
    out.write(head("POST " + path + " HTTP/1.1",
        List.of("Content-Type: " + form.contentType(), "Content-Length: " + body.length)));
    out.write(body, 0, half);
    out.flush();
    return new HeldRequest(socket, Arrays.copyOfRange(body, half, body.length));
  }

  /** A request whose body is half sent; {@link #response} completes when the server answers. */
  static final class HeldRequest implements AutoCloseable {
    private final Socket socket;
    private final byte[] rest;
    final CompletableFuture<RawReply> response = new CompletableFuture<>();

    private HeldRequest(Socket socket, byte[] rest) {
      this.socket = socket;
      this.rest = rest;
      Thread reader = new Thread(() -> {
        try {
          response.complete(readRaw(socket.getInputStream()));
        } catch (IOException | RuntimeException e) {
          response.completeExceptionally(e);
        }
      }, "held-request-reader");
      reader.setDaemon(true);
      reader.start();
    }

    void finish() throws IOException {
      socket.getOutputStream().write(rest);
      socket.getOutputStream().flush();
    }

    /** Waits for the answer, then closes the connection. */
    @Override
    public void close() throws IOException {
      try {
        response.join();
      } finally {
        socket.close();
      }
    }
  }

  /** Reads a response up to the end of the connection ({@code Connection: close}) into status, head and body. */
  static RawReply readRaw(InputStream in) throws IOException {
    String response = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    int split = response.indexOf("\r\n\r\n");
    String head = split < 0 ? response : response.substring(0, split);
    String body = split < 0 ? "" : response.substring(split + 4);
    return new RawReply(Integer.parseInt(head.substring(9, 12)), head, body);
  }
}
