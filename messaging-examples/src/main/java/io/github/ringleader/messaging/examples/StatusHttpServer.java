package io.github.ringleader.messaging.examples;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.github.ringleader.messaging.metrics.NodeMetrics;
import io.github.ringleader.messaging.node.NodeState;
import io.github.ringleader.messaging.transport.tcp.TcpServerStats;
import io.github.ringleader.messaging.transport.udp.UdpTransportStats;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The example server's read-only HTTP endpoints, on the JDK's built-in HTTP server: {@code
 * /healthz}, {@code /readyz}, {@code /metrics} (Prometheus text), {@code /status} (JSON) and
 * {@code /} (the live dashboard, {@link DashboardPage}, which polls {@code /status}). Only GET and
 * HEAD are answered (anything else: 405); nothing here changes the node. An unknown path: 404.
 * Requests run on two daemon threads of its own and only read snapshots, so a slow scraper never
 * holds up the node's event loop.
 */
final class StatusHttpServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger("ringleader.server");

  /** The outcome of one request: status, content type, body. */
  record Response(int status, String contentType, String body) {
    static Response text(int status, String body) {
      return new Response(status, "text/plain; charset=utf-8", body);
    }
  }

  /**
   * What the endpoints read: the node's metrics (null in the moment before the node exists), its
   * timeline, and the listener and transport if any.
   */
  record Sources(
      Supplier<@Nullable NodeMetrics> metrics,
      NodeTimeline timeline,
      Supplier<@Nullable TcpServerStats> tcp,
      Supplier<@Nullable UdpTransportStats> udp,
      LongSupplier epochMillis) {}

  private final HttpServer server;
  private final ExecutorService executor;
  private final Map<String, Function<Sources, Response>> routes = new LinkedHashMap<>();
  private final Sources sources;
  private final DashboardPage dashboard = DashboardPage.load();

  private StatusHttpServer(HttpServer server, ExecutorService executor, Sources sources) {
    this.server = server;
    this.executor = executor;
    this.sources = sources;
    routes.put("/healthz", s -> Response.text(200, "ok\n"));
    routes.put("/readyz", StatusHttpServer::readiness);
    routes.put("/metrics", StatusHttpServer::metrics);
    routes.put("/status", StatusHttpServer::status);
  }

  /**
   * Serves on {@code host}:{@code port} (port 0: a free one) and logs the address.
   *
   * @throws IOException if the address cannot be bound (the port is taken, the host is not local)
   */
  static StatusHttpServer start(String host, int port, Sources sources) throws IOException {
    InetSocketAddress address = new InetSocketAddress(host, port);
    if (address.isUnresolved()) {
      throw new java.net.UnknownHostException("unknown host");
    }
    limitRequestAndResponseTimes();
    HttpServer server = HttpServer.create(address, 16);
    AtomicInteger threads = new AtomicInteger();
    ExecutorService executor = Executors.newFixedThreadPool(2, task -> {
      Thread thread = new Thread(task, "ringleader-http-" + threads.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    });
    StatusHttpServer status = new StatusHttpServer(server, executor, sources);
    server.createContext("/", status::handle);
    server.setExecutor(executor);
    server.start();
    log.info(
        "HTTP endpoints on http://{}:{}/ (/healthz /readyz /metrics /status)",
        server.getAddress().getAddress().getHostAddress(),
        server.getAddress().getPort());
    return status;
  }

  /**
   * The JDK's server gives a connection a handler thread as soon as its first byte arrives and, by
   * default, waits for the rest of the request for ever: two connections that send "G" and stop
   * would hold both threads, and /healthz would hang (a liveness probe would then restart a
   * healthy server). Its documented properties bound both ends of an exchange; set here unless
   * the operator set them, before the server's configuration is first read.
   */
  static void limitRequestAndResponseTimes() {
    if (System.getProperty("sun.net.httpserver.maxReqTime") == null) {
      System.setProperty("sun.net.httpserver.maxReqTime", String.valueOf(REQUEST_SECONDS));
    }
    if (System.getProperty("sun.net.httpserver.maxRspTime") == null) {
      System.setProperty("sun.net.httpserver.maxRspTime", String.valueOf(REQUEST_SECONDS));
    }
  }

  /** Seconds a client has to send a whole request, and to take the whole response. */
  static final int REQUEST_SECONDS = 5;

  /** The port the server listens on. */
  int port() {
    return server.getAddress().getPort();
  }

  /** Stops serving at once (requests under way get a second to finish). */
  @Override
  public void close() {
    server.stop(0);
    executor.shutdown();
    try {
      executor.awaitTermination(1, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void handle(HttpExchange exchange) throws IOException {
    if (exchange.getRequestURI().getPath().equals("/")) {
      dashboard.handle(exchange); // GET and HEAD only, like the rest; with its own CSP header
      return;
    }
    try (exchange) {
      String method = exchange.getRequestMethod();
      Function<Sources, Response> route = routes.get(exchange.getRequestURI().getPath());
      Response response;
      if (route == null) {
        response = Response.text(404, "not found: " + exchange.getRequestURI().getPath() + "\n");
      } else if (!method.equals("GET") && !method.equals("HEAD")) {
        exchange.getResponseHeaders().set("Allow", "GET, HEAD");
        response =
            Response.text(405, "method " + method + " not allowed: these endpoints only read\n");
      } else {
        response = answer(route);
      }
      byte[] body = response.body().getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", response.contentType());
      exchange.getResponseHeaders().set("Cache-Control", "no-store");
      if (method.equals("HEAD")) {
        exchange.sendResponseHeaders(response.status(), -1);
      } else {
        exchange.sendResponseHeaders(response.status(), body.length == 0 ? -1 : body.length);
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(body);
        }
      }
    }
  }

  private Response answer(Function<Sources, Response> route) {
    try {
      return route.apply(sources);
    } catch (RuntimeException e) {
      log.warn("HTTP endpoint failed", e);
      return Response.text(500, "internal error: " + e + "\n");
    }
  }

  /** 200 when running, with a leader, listening for clients and not full; else 503 and why. */
  static Response readiness(Sources s) {
    NodeMetrics m = s.metrics().get();
    String problem = m == null ? "the node is starting" : notReady(m, s.tcp().get());
    return problem == null
        ? Response.text(200, "ready\n")
        : Response.text(503, "not ready: " + problem + "\n");
  }

  static @Nullable String notReady(NodeMetrics m, @Nullable TcpServerStats tcp) {
    if (m.state() != NodeState.RUNNING) {
      return "the node is " + m.state();
    }
    if (m.leader() == null) {
      return "no leader (election under way, term " + m.term() + ")";
    }
    if (tcp == null) {
      return "not yet listening for clients";
    }
    if (m.clientsConnected() >= m.capacity()) {
      return "full (" + m.clientsConnected() + " of " + m.capacity() + " clients)";
    }
    return null;
  }

  private static Response metrics(Sources s) {
    NodeMetrics m = s.metrics().get();
    if (m == null) {
      return STARTING;
    }
    return new Response(
        200,
        PrometheusText.CONTENT_TYPE,
        PrometheusText.render(m, s.tcp().get(), s.udp().get()));
  }

  /** The answer of /metrics and /status in the moment before the node exists. */
  private static final Response STARTING = Response.text(503, "the node is starting\n");

  private static Response status(Sources s) {
    NodeMetrics m = s.metrics().get();
    if (m == null) {
      return STARTING;
    }
    return new Response(
        200,
        "application/json",
        StatusJson.render(m, s.timeline().events(), s.epochMillis().getAsLong()) + "\n");
  }
}
