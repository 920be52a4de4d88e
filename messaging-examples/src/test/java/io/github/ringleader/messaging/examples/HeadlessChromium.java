package io.github.ringleader.messaging.examples;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * A real headless Chromium for tests, driven over the Chrome DevTools Protocol with nothing but
 * the JDK ({@code java.net.http} for HTTP and the WebSocket, {@link JsonParser} for the answers,
 * {@link Json} to write the requests).
 *
 * <p>{@link #launch()} starts {@code chromium --headless=new} with a fresh temporary profile and
 * the DevTools port 0 (the browser picks one and prints {@code DevTools listening on ws://...} on
 * stderr), and keeps it off the network: no proxy, no background or component traffic, and every
 * host name but {@code 127.0.0.1} resolving to nothing. The browser is {@code -Dchromium.path}, or
 * {@code chromium} on the PATH; when there is none, launching fails with a message naming
 * {@code scripts/install-test-tools.sh}. {@link #close()} ends the whole process tree (SIGTERM,
 * then SIGKILL to whatever is left after 5 s) and deletes the profile.
 *
 * <p>We run as root in CI containers, where Chromium's sandbox cannot start, hence {@code
 * --no-sandbox}; the browser only ever loads pages from this test's own loopback servers.
 */
final class HeadlessChromium implements AutoCloseable {
  static final String INSTALL_HINT =
      "the browser tests need Chromium: run scripts/install-test-tools.sh (installs Debian's chromium"
          + " package), or pass -Dchromium.path=/path/to/chromium";

  private static final Duration START_LIMIT = Duration.ofSeconds(30);
  private static final Duration CALL_LIMIT = Duration.ofSeconds(30);
  private static final Pattern DEVTOOLS = Pattern.compile("DevTools listening on (ws://\\S+)");
  private static final int KEPT_LINES = 60;

  private final Process process;
  private final Path profile;
  private final String httpBase;
  private final Deque<String> stderr;
  private final HttpClient http = HttpClient.newBuilder()
      .proxy(HttpClient.Builder.NO_PROXY)
      .connectTimeout(Duration.ofSeconds(5))
      .build();
  private final List<Page> pages = new ArrayList<>();

  private HeadlessChromium(Process process, Path profile, String httpBase, Deque<String> stderr) {
    this.process = process;
    this.profile = profile;
    this.httpBase = httpBase;
    this.stderr = stderr;
  }

  /** Where the browser is: {@code -Dchromium.path}, else {@code chromium} on the PATH. */
  static Path executable() {
    String configured = System.getProperty("chromium.path", "");
    if (!configured.isBlank()) {
      Path path = Path.of(configured);
      if (!Files.isExecutable(path)) {
        throw new AssertionError(
            "-Dchromium.path=" + configured + " is not an executable file; " + INSTALL_HINT);
      }
      return path;
    }
    String pathVariable = System.getenv().getOrDefault("PATH", "");
    for (String dir : pathVariable.split(File.pathSeparator)) {
      if (dir.isEmpty()) {
        continue;
      }
      Path candidate = Path.of(dir, "chromium");
      if (Files.isExecutable(candidate)) {
        return candidate;
      }
    }
    throw new AssertionError("no chromium on the PATH (" + pathVariable + "); " + INSTALL_HINT);
  }

  static HeadlessChromium launch() throws IOException, InterruptedException {
    Path executable = executable();
    Path profile = Files.createTempDirectory("ringleader-chromium-");
    List<String> command = List.of(
        executable.toString(),
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--remote-debugging-address=127.0.0.1",
        "--remote-debugging-port=0",
        "--user-data-dir=" + profile,
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-extensions",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-default-apps",
        "--disable-dev-shm-usage",
        "--mute-audio",
        "--hide-scrollbars",
        "--no-proxy-server",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        "--window-size=1280,800",
        "about:blank");
    Process process = new ProcessBuilder(command)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .start();
    Deque<String> lines = new ArrayDeque<>();
    CompletableFuture<String> devtools = new CompletableFuture<>();
    Thread reader = new Thread(
        () -> {
          try (BufferedReader in = new BufferedReader(
              new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
              Matcher m = DEVTOOLS.matcher(line);
              if (m.find()) {
                devtools.complete(m.group(1));
              }
              synchronized (lines) {
                if (lines.size() == KEPT_LINES) {
                  lines.removeFirst();
                }
                lines.addLast(line);
              }
            }
          } catch (IOException e) {
            // the browser is gone
          }
          devtools.completeExceptionally(new IOException("chromium exited before it listened"));
        },
        "chromium-stderr");
    reader.setDaemon(true);
    reader.start();
    HeadlessChromium browser = null;
    try {
      String ws = devtools.get(START_LIMIT.toSeconds(), TimeUnit.SECONDS);
      URI uri = URI.create(ws);
      browser = new HeadlessChromium(
          process, profile, "http://" + uri.getHost() + ":" + uri.getPort(), lines);
      return browser;
    } catch (ExecutionException | TimeoutException e) {
      String output;
      synchronized (lines) {
        output = String.join("\n", lines);
      }
      throw new IOException(
          "chromium (" + executable + ") did not start its DevTools endpoint within " + START_LIMIT
              + ": " + e + "\n" + output,
          e);
    } finally {
      if (browser == null) {
        stopTree(process);
        deleteTree(profile);
      }
    }
  }

  /** A new tab with a {@code width} x {@code height} viewport, showing about:blank. */
  Page newPage(int width, int height) throws IOException, InterruptedException {
    HttpRequest request = HttpRequest.newBuilder(URI.create(
            httpBase + "/json/new?" + URLEncoder.encode("about:blank", StandardCharsets.UTF_8)))
        .timeout(CALL_LIMIT)
        .PUT(HttpRequest.BodyPublishers.noBody())
        .build();
    HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new IOException(
          "PUT /json/new answered " + response.statusCode() + ": " + response.body());
    }
    Map<String, @Nullable Object> target = object(JsonParser.parse(response.body()), "/json/new");
    String ws = String.valueOf(target.get("webSocketDebuggerUrl"));
    Page page = new Page(http, URI.create(ws));
    pages.add(page);
    page.call("Page.enable", "{}");
    page.call("Runtime.enable", "{}");
    page.call("Log.enable", "{}");
    page.call(
        "Emulation.setDeviceMetricsOverride",
        "{\"width\":" + width + ",\"height\":" + height
            + ",\"deviceScaleFactor\":1,\"mobile\":false}");
    return page;
  }

  /** The last lines Chromium wrote to stderr, for a failure message. */
  String stderrTail() {
    synchronized (stderr) {
      return String.join("\n", stderr);
    }
  }

  @Override
  public void close() {
    for (Page page : pages) {
      page.close();
    }
    stopTree(process);
    deleteTree(profile);
  }

  /** SIGTERM to the browser (it takes its helpers down), then SIGKILL to any of the tree left. */
  private static void stopTree(Process process) {
    List<ProcessHandle> tree = new ArrayList<>(process.descendants().toList());
    process.destroy();
    try {
      process.waitFor(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    tree.add(process.toHandle());
    for (ProcessHandle p : tree) {
      if (p.isAlive()) {
        p.destroyForcibly();
      }
    }
    for (ProcessHandle p : tree) {
      try {
        p.onExit().get(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (ExecutionException | TimeoutException e) {
        // reported by the leftover check of whoever runs the test; nothing more to do here
      }
    }
  }

  private static void deleteTree(Path dir) {
    try (Stream<Path> walk = Files.walk(dir)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a temporary directory; the system cleans it up eventually
    }
  }

  /** {@code value} as a JSON object, failing with {@code what} if it is something else. */
  @SuppressWarnings("unchecked")
  static Map<String, @Nullable Object> object(@Nullable Object value, String what) {
    if (!(value instanceof Map)) {
      throw new IllegalArgumentException(what + " is not a JSON object: " + value);
    }
    return (Map<String, @Nullable Object>) value;
  }

  /** {@code value} as a JSON array, failing with {@code what} if it is something else. */
  @SuppressWarnings("unchecked")
  static List<@Nullable Object> array(@Nullable Object value, String what) {
    if (!(value instanceof List)) {
      throw new IllegalArgumentException(what + " is not a JSON array: " + value);
    }
    return (List<@Nullable Object>) value;
  }

  static String quote(String text) {
    return Json.string(new StringBuilder(), text).toString();
  }

  /**
   * One tab, over its own DevTools WebSocket. {@link #call} sends a command and waits (at most 30 s)
   * for the answer with its id; events are not answers and are only kept when they report a page
   * problem: an uncaught exception or a console/log entry (see {@link #problems()}).
   */
  static final class Page implements WebSocket.Listener {
    private final WebSocket socket;
    private final AtomicInteger ids = new AtomicInteger();
    private final Map<Integer, CompletableFuture<Map<String, @Nullable Object>>> waiting =
        new ConcurrentHashMap<>();
    private final List<String> problems = new CopyOnWriteArrayList<>();
    private final StringBuilder frame = new StringBuilder();
    private volatile @Nullable Throwable closedBy;

    private Page(HttpClient http, URI ws) throws IOException, InterruptedException {
      try {
        this.socket = http.newWebSocketBuilder()
            .connectTimeout(Duration.ofSeconds(5))
            .buildAsync(ws, this)
            .get(CALL_LIMIT.toSeconds(), TimeUnit.SECONDS);
      } catch (ExecutionException | TimeoutException e) {
        throw new IOException("cannot open the DevTools WebSocket " + ws + ": " + e, e);
      }
    }

    /** Sends {@code method} with {@code paramsJson}; returns the answer's {@code result} object. */
    Map<String, @Nullable Object> call(String method, String paramsJson) {
      Throwable closed = closedBy;
      if (closed != null) {
        throw new IllegalStateException("the DevTools connection is closed: " + closed, closed);
      }
      int id = ids.incrementAndGet();
      CompletableFuture<Map<String, @Nullable Object>> answer = new CompletableFuture<>();
      waiting.put(id, answer);
      String message =
          "{\"id\":" + id + ",\"method\":" + quote(method) + ",\"params\":" + paramsJson + "}";
      try {
        synchronized (socket) {
          socket.sendText(message, true).get(CALL_LIMIT.toSeconds(), TimeUnit.SECONDS);
        }
        Map<String, @Nullable Object> reply = answer.get(CALL_LIMIT.toSeconds(), TimeUnit.SECONDS);
        if (reply.containsKey("error")) {
          throw new IllegalStateException(method + " failed: " + reply.get("error"));
        }
        return object(reply.get("result"), method + " result");
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(method + " interrupted", e);
      } catch (ExecutionException | TimeoutException e) {
        throw new IllegalStateException(
            method + " got no answer within " + CALL_LIMIT + ": " + e, e);
      } finally {
        waiting.remove(id);
      }
    }

    /** Loads {@code url}; returns once the navigation is under way (wait for the page's own state). */
    void navigate(String url) {
      Map<String, @Nullable Object> result = call("Page.navigate", "{\"url\":" + quote(url) + "}");
      if (result.get("errorText") != null) {
        throw new IllegalStateException("cannot load " + url + ": " + result.get("errorText"));
      }
    }

    /**
     * The value of a JavaScript expression, copied out as JSON ({@code returnByValue}): a map, list,
     * string, double, boolean or null. An exception in the page fails the call with its text.
     */
    @Nullable
    Object evaluate(String expression) {
      Map<String, @Nullable Object> result = call(
          "Runtime.evaluate",
          "{\"expression\":" + quote(expression)
              + ",\"returnByValue\":true,\"awaitPromise\":true}");
      if (result.get("exceptionDetails") != null) {
        throw new IllegalStateException("the page threw: " + result.get("exceptionDetails"));
      }
      return object(result.get("result"), "Runtime.evaluate result").get("value");
    }

    /** Makes the page report {@code prefers-color-scheme: light} (or dark), for a screenshot. */
    void colorScheme(String scheme) {
      call(
          "Emulation.setEmulatedMedia",
          "{\"features\":[{\"name\":\"prefers-color-scheme\",\"value\":" + quote(scheme) + "}]}");
    }

    /** A PNG of the viewport. */
    byte[] screenshot() {
      Map<String, @Nullable Object> result = call("Page.captureScreenshot", "{\"format\":\"png\"}");
      return Base64.getDecoder().decode(String.valueOf(result.get("data")));
    }

    /** Uncaught exceptions and console or log entries the page has produced so far, in order. */
    List<String> problems() {
      return List.copyOf(problems);
    }

    void close() {
      socket.sendClose(WebSocket.NORMAL_CLOSURE, "done");
      socket.abort();
    }

    @Override
    public @Nullable CompletionStage<?> onText(
        WebSocket webSocket, CharSequence data, boolean last) {
      frame.append(data);
      if (last) {
        String message = frame.toString();
        frame.setLength(0);
        dispatch(message);
      }
      webSocket.request(1);
      return null;
    }

    private void dispatch(String message) {
      Map<String, @Nullable Object> parsed;
      try {
        parsed = object(JsonParser.parse(message), "DevTools message");
      } catch (IllegalArgumentException e) {
        fail(e);
        return;
      }
      if (parsed.get("id") instanceof Number id) {
        CompletableFuture<Map<String, @Nullable Object>> answer = waiting.get(id.intValue());
        if (answer != null) {
          answer.complete(parsed);
        }
        return;
      }
      Object method = parsed.get("method");
      if ("Runtime.exceptionThrown".equals(method)
          || "Log.entryAdded".equals(method)
          || "Runtime.consoleAPICalled".equals(method)) {
        problems.add(method + " " + parsed.get("params"));
      }
    }

    @Override
    public @Nullable CompletionStage<?> onClose(
        WebSocket webSocket, int statusCode, String reason) {
      fail(new IOException("DevTools closed the connection: " + statusCode + " " + reason));
      return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
      fail(error);
    }

    private void fail(Throwable why) {
      closedBy = why;
      waiting.values().forEach(f -> f.completeExceptionally(why));
    }
  }
}
