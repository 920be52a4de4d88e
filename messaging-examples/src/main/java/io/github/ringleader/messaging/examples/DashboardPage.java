package io.github.ringleader.messaging.examples;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

/**
 * The live cluster dashboard: one self-contained HTML page ({@code dashboard.html} beside this
 * class: inline CSS and script, no external assets, no build step) that polls {@code /status} once
 * a second and shows the servers with their loads, the leader, this server's message rates and the
 * timeline of joins, failures, elections and leader changes.
 *
 * <p>As a handler it serves the page at exactly {@code /}, to GET and HEAD only (405 otherwise,
 * 404 for any other path under its context), with a Content-Security-Policy that lets the page
 * run its own inline script and style (pinned by their SHA-256 hashes) and fetch from its own
 * origin, and nothing else. The page only reads; nothing on it changes the cluster.
 */
final class DashboardPage implements HttpHandler {
  static final String RESOURCE = "dashboard.html";

  private final byte[] body;
  private final String contentSecurityPolicy;

  private DashboardPage(byte[] body, String contentSecurityPolicy) {
    this.body = body;
    this.contentSecurityPolicy = contentSecurityPolicy;
  }

  /** Reads the page from the class path once; fails if the jar was built without it. */
  static DashboardPage load() {
    byte[] body;
    try (InputStream in = DashboardPage.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(RESOURCE + " is missing from the class path");
      }
      body = in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + RESOURCE, e);
    }
    String html = new String(body, StandardCharsets.UTF_8);
    String csp = "default-src 'none'; script-src " + inlineHash(html, "script")
        + "; style-src " + inlineHash(html, "style")
        + "; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none';"
        + " frame-ancestors 'none'";
    return new DashboardPage(body, csp);
  }

  /** The page's bytes (UTF-8 HTML). */
  byte[] bytes() {
    return body.clone();
  }

  /** The Content-Security-Policy header value the page is served with. */
  String contentSecurityPolicy() {
    return contentSecurityPolicy;
  }

  @Override
  public void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String method = exchange.getRequestMethod();
      if (!exchange.getRequestURI().getPath().equals("/")) {
        send(exchange, 404, "not found\n");
        return;
      }
      if (!method.equals("GET") && !method.equals("HEAD")) {
        exchange.getResponseHeaders().set("Allow", "GET, HEAD");
        send(exchange, 405, "method not allowed: the dashboard only reads\n");
        return;
      }
      exchange.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
      exchange.getResponseHeaders().set("Cache-Control", "no-cache");
      exchange.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
      exchange.getResponseHeaders().set("Content-Security-Policy", contentSecurityPolicy);
      if (method.equals("HEAD")) {
        exchange.sendResponseHeaders(200, -1);
        return;
      }
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }

  private static void send(HttpExchange exchange, int code, String text) throws IOException {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
    exchange.sendResponseHeaders(code, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  /**
   * The CSP source {@code 'sha256-...'} of the one inline {@code <tag>} element in {@code html}:
   * the hash of exactly the text between its opening and closing tags, as browsers compute it.
   */
  static String inlineHash(String html, String tag) {
    int open = html.indexOf("<" + tag + ">");
    int close = html.indexOf("</" + tag + ">");
    if (open < 0 || close < open || html.indexOf("<" + tag + ">", open + 1) >= 0) {
      throw new IllegalStateException(
          RESOURCE + " must have exactly one plain <" + tag + "> element");
    }
    String content = html.substring(open + tag.length() + 2, close);
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(content.getBytes(StandardCharsets.UTF_8));
      return "'sha256-" + Base64.getEncoder().encodeToString(digest) + "'";
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JDK", e);
    }
  }
}
