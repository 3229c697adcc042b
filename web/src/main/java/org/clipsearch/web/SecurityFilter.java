package org.clipsearch.web;

import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Runs before everything else in the servlet context: puts the security headers on every response; refuses
 * cross-origin requests from other sites' pages (their {@code Origin} is neither the {@code Host} nor, behind a
 * reverse proxy, the {@code X-Forwarded-Host}); and when the server listens on loopback without an access token,
 * refuses requests whose Host is not a loopback name (DNS rebinding: another site's name pointed at 127.0.0.1).
 * {@code X-Forwarded-Host} never lifts that check: a rebound page is same-origin to the browser, so its scripts may
 * set that header (and any other non-forbidden one) without a preflight. A reverse proxy in front of a token-less
 * server must therefore send the upstream's own loopback Host (nginx's default), or the server needs a token.
 */
final class SecurityFilter implements Filter {
  static final String CSP = "default-src 'self'; img-src 'self' blob: data:; script-src 'self'; style-src 'self'; "
      + "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

  private final boolean checkHost;

  /** @param checkHost whether to refuse requests whose Host is not a loopback name */
  SecurityFilter(boolean checkHost) {
    this.checkHost = checkHost;
  }

  static void addHeaders(HttpServletResponse res) {
    res.setHeader("Content-Security-Policy", CSP);
    res.setHeader("X-Content-Type-Options", "nosniff");
    res.setHeader("X-Frame-Options", "DENY");
    res.setHeader("Referrer-Policy", "no-referrer");
    res.setHeader("Cross-Origin-Opener-Policy", "same-origin");
    res.setHeader("Cross-Origin-Resource-Policy", "same-origin");
    res.setHeader("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()");
  }

  @Override
  public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
      throws IOException, ServletException {
    HttpServletRequest req = (HttpServletRequest) request;
    HttpServletResponse res = (HttpServletResponse) response;
    addHeaders(res);
    String host = req.getHeader("Host");
    String forwardedHost = req.getHeader("X-Forwarded-Host");
    if (checkHost && (host == null || !isLoopbackName(hostName(host)))) {
      refuse(res, 403, "this server answers only to localhost names (start it with an access token to allow others)");
      return;
    }
    String origin = req.getHeader("Origin");
    if (origin != null && !sameOrigin(origin, host) && !sameOrigin(origin, forwardedHost)) {
      refuse(res, 403, "cross-origin requests are not allowed");
      return;
    }
    chain.doFilter(request, response);
  }

  static void refuse(HttpServletResponse res, int status, String message) throws IOException {
    res.setStatus(status);
    res.setContentType("application/json;charset=utf-8");
    res.setHeader("Cache-Control", "no-store");
    byte[] body = Json.write(Json.error(message)).getBytes(StandardCharsets.UTF_8);
    res.setContentLength(body.length);
    res.getOutputStream().write(body);
  }

  static String hostName(String hostHeader) {
    String h = hostHeader.strip().toLowerCase(Locale.ROOT);
    if (h.startsWith("[")) {
      int end = h.indexOf(']');
      return end < 0 ? h : h.substring(0, end + 1);
    }
    int colon = h.lastIndexOf(':');
    return colon < 0 ? h : h.substring(0, colon);
  }

  static boolean isLoopbackName(String name) {
    return name.equals("localhost") || name.endsWith(".localhost") || name.equals("[::1]")
        || name.matches("127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}");
  }

  private static boolean sameOrigin(String origin, String host) {
    if (host == null) {
      return false;
    }
    try {
      URI uri = URI.create(origin);
      String authority = uri.getRawAuthority();
      String first = host.split(",")[0].strip();
      return authority != null && authority.equalsIgnoreCase(first);
    } catch (IllegalArgumentException e) {
      return false;
    }
  }
}
