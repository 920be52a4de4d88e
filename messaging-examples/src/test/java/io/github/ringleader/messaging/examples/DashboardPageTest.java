package io.github.ringleader.messaging.examples;

import static io.github.ringleader.messaging.examples.ServerProcesses.await;
import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The dashboard page in a real headless Chromium, against a scripted {@code /status} served from a
 * small loopback HTTP server in this test ({@link DashboardPage} at {@code /}): what it shows, that
 * it follows changes, that text from the server is never taken for HTML, that it says so when the
 * server is unreachable and recovers, and that its Content-Security-Policy lets it run. The test
 * with a real cluster is {@link DashboardClusterTest}.
 */
class DashboardPageTest {
  private static final Duration LIMIT = Duration.ofSeconds(15);
  private static final long T0 = 1_780_000_000_000L;

  private static HeadlessChromium browser;
  private HttpServer server;
  private HeadlessChromium.Page page;
  private volatile String status = "{}";
  private volatile int statusCode = 200;

  @BeforeAll
  static void startBrowser() throws Exception {
    browser = HeadlessChromium.launch();
  }

  @AfterAll
  static void stopBrowser() {
    if (browser != null) {
      browser.close();
    }
  }

  @BeforeEach
  void startServer() throws Exception {
    // As the real endpoints do: the JDK server reads these once per JVM, and this test class may
    // run before StatusHttpServerTest, which checks that they hold.
    StatusHttpServer.limitRequestAndResponseTimes();
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", DashboardPage.load());
    server.createContext("/status", exchange -> {
      try (exchange) {
        byte[] body = status.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(statusCode, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(body);
        }
      }
    });
    server.start();
    page = browser.newPage(1280, 800);
  }

  @AfterEach
  void stopServer() {
    if (page != null) {
      page.close();
    }
    if (server != null) {
      server.stop(0);
    }
  }

  private String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/";
  }

  /** A /status as the example server writes it: server1 (this page's), server2, server3. */
  private static String status(String leader, List<String> members, String events) {
    StringBuilder m = new StringBuilder();
    for (String id : members) {
      if (m.length() > 0) {
        m.append(',');
      }
      int n = Integer.parseInt(id.replaceAll("\\D", ""));
      m.append(String.format(
          Locale.ROOT,
          "{\"id\":\"%s\",\"clients\":%d,\"capacity\":100,\"self\":%b,\"leader\":%b,\"clientAddress\":\"127.0.0.1:500%d\"}",
          id,
          n * 7,
          id.equals("server1"),
          id.equals(leader),
          n));
    }
    return String.format(
        Locale.ROOT,
        """
        {"node":"server1","cluster":"ringleader","state":"RUNNING","leader":%s,"term":%d,"isLeader":false,
         "time":%d,"uptimeMillis":65000,"members":[%s],"clients":{"connected":7,"heldSessions":1},
         "messages":{"accepted":120,"delivered":720,"acceptedPerSecond":2.5,"deliveredPerSecond":15.0},
         "events":[%s]}
        """,
        leader.isEmpty() ? "null" : HeadlessChromium.quote(leader),
        leader.equals("server2") ? 2 : 1,
        T0 + 60_000,
        m,
        events);
  }

  private static String event(long at, String kind, String member, int term, String text) {
    return String.format(
        Locale.ROOT,
        "{\"time\":%d,\"kind\":\"%s\",\"member\":%s,\"term\":%d,\"text\":%s}",
        T0 + at,
        kind,
        member.isEmpty() ? "null" : HeadlessChromium.quote(member),
        term,
        HeadlessChromium.quote(text));
  }

  private static final String STARTED = String.join(
      ",",
      event(0, "joined", "server2", 0, "server2 joined"),
      event(100, "joined", "server3", 0, "server3 joined"),
      event(200, "election", "", 1, "election started (term 1)"),
      event(300, "leader", "server3", 1, "server3 is the leader (term 1)"));

  private DashboardView view() {
    return DashboardView.read(page);
  }

  @Test
  void showsTheServersTheirLoadsTheLeaderAndTheTimelineNewestFirst() throws Exception {
    status = status("server3", List.of("server1", "server2", "server3"), STARTED);
    page.navigate(url());
    await(
        () -> view().status().equals("live"),
        LIMIT,
        () -> "the page to show the status\n" + view());

    DashboardView v = view();
    assertThat(v.liveServers()).containsExactly("server1", "server2", "server3");
    assertThat(v.leader()).isEqualTo("server3");
    assertThat(v.servers())
        .filteredOn(DashboardView.Server::leader)
        .extracting(DashboardView.Server::id)
        .containsExactly("server3");
    assertThat(v.servers().get(2).text()).contains("★ leader").contains("21 / 100 clients (21%)");
    assertThat(v.servers().get(0).text()).contains("this page's server").contains("127.0.0.1:5001");
    assertThat(v.timeline())
        .extracting(DashboardView.Event::kind)
        .containsExactly("leader", "election", "joined", "joined");
    assertThat(v.timeline().get(0).text()).contains("server3 is the leader (term 1)");
    assertThat(page.evaluate("document.getElementById('delivered-rate').textContent"))
        .isEqualTo("15.0");
    assertThat(page.evaluate("document.getElementById('held').textContent")).isEqualTo("1");
    assertThat(page.evaluate("document.querySelector('#servers li[data-id=server3] [role=meter]')"
            + ".getAttribute('aria-valuenow')"))
        .isEqualTo("21");
    assertThat(page.problems())
        .as("console and exceptions (a CSP violation would show here)")
        .isEmpty();
  }

  @Test
  void followsAFailureAndTheNewLeaderWithoutAReload() throws Exception {
    status = status("server3", List.of("server1", "server2", "server3"), STARTED);
    page.navigate(url());
    await(
        () -> view().leader().equals("server3"), LIMIT, () -> "server3 shown as leader\n" + view());
    int pollsBefore = view().polls();

    status = status(
        "server2",
        List.of("server1", "server2"),
        String.join(
            ",",
            STARTED,
            event(10_000, "failed", "server3", 1, "server3 failed (no heartbeat for 6 s)"),
            event(
                10_000,
                "election",
                "",
                2,
                "election started (term 2)"), // same millisecond: shown above it
            event(10_050, "leader", "server2", 2, "server2 is the leader (term 2)")));
    await(
        () -> view().leader().equals("server2") && view().hasEvent("failed", "server3"),
        LIMIT,
        () -> "the page to follow the failure\n" + view());

    DashboardView v = view();
    assertThat(v.polls()).isGreaterThan(pollsBefore);
    assertThat(v.liveServers()).containsExactly("server1", "server2");
    assertThat(v.showsServer("server3", "failed")).as("%s", v).isTrue();
    assertThat(v.servers())
        .filteredOn(s -> s.id().equals("server3"))
        .first()
        .satisfies(s -> assertThat(s.text()).contains("failed 50 s ago"));
    assertThat(v.timeline())
        .extracting(DashboardView.Event::kind)
        .startsWith("leader", "election", "failed");
    assertThat(v.timeline().get(2).text())
        .contains("failed")
        .contains("server3 failed (no heartbeat for 6 s)");
    assertThat(v.term()).isEqualTo("2");
    assertThat(page.problems()).isEmpty();
  }

  @Test
  void showsTextFromTheServerAsTextNeverAsMarkup() throws Exception {
    String hostile = "<img src=x onerror=\"window.pwned=1\"><b>bold</b>";
    status = status(
        "server3",
        List.of("server1", "server2", "server3"),
        String.join(
            ",",
            STARTED,
            event(500, "left", "evil", 1, hostile),
            event(600, "<script>", "", 1, hostile)));
    page.navigate(url());
    await(
        () -> view().status().equals("live"),
        LIMIT,
        () -> "the page to show the status\n" + view());

    DashboardView v = view();
    assertThat(v.timeline())
        .extracting(DashboardView.Event::text)
        .filteredOn(t -> t.contains("onerror"))
        .hasSize(2)
        .allSatisfy(t -> assertThat(t).contains(hostile));
    assertThat(v.timeline().get(0).kind()).isEqualTo("other");
    assertThat(page.evaluate("document.querySelectorAll('main img, main b, main script').length"))
        .isEqualTo(0L);
    assertThat(page.evaluate("typeof window.pwned")).isEqualTo("undefined");
  }

  @Test
  void saysTheServerIsUnreachableAndRecoversWhenItAnswersAgain() throws Exception {
    status = status("server3", List.of("server1", "server2", "server3"), STARTED);
    page.navigate(url());
    await(
        () -> view().status().equals("live"),
        LIMIT,
        () -> "the page to show the status\n" + view());

    statusCode = 503;
    await(
        () -> view().status().equals("unreachable"),
        LIMIT,
        () -> "the page to notice the 503\n" + view());
    DashboardView down = view();
    assertThat(down.connection()).startsWith("server unreachable — retrying (last update ");
    assertThat(down.liveServers()).as("the last known state stays up").hasSize(3);

    statusCode = 200;
    await(() -> view().status().equals("live"), LIMIT, () -> "the page to recover\n" + view());
  }

  @Test
  void servesThePageAtTheRootOnlyAndOnlyToReads() throws Exception {
    HttpClient http = HttpClient.newBuilder().proxy(HttpClient.Builder.NO_PROXY).build();
    HttpResponse<String> get = http.send(
        HttpRequest.newBuilder(URI.create(url())).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(get.statusCode()).isEqualTo(200);
    assertThat(get.headers().firstValue("Content-Type")).hasValue("text/html; charset=utf-8");
    assertThat(get.headers().firstValue("Content-Security-Policy").orElseThrow())
        .startsWith("default-src 'none'; script-src 'sha256-")
        .contains("connect-src 'self'");
    assertThat(get.body())
        .startsWith("<!DOCTYPE html>")
        .doesNotContain("http://", "https://", "src=\"//");

    HttpResponse<Void> head = http.send(
        HttpRequest.newBuilder(URI.create(url()))
            .method("HEAD", HttpRequest.BodyPublishers.noBody())
            .build(),
        HttpResponse.BodyHandlers.discarding());
    assertThat(head.statusCode()).isEqualTo(200);

    HttpResponse<String> post = http.send(
        HttpRequest.newBuilder(URI.create(url()))
            .POST(HttpRequest.BodyPublishers.ofString("x"))
            .build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(post.statusCode()).isEqualTo(405);
    assertThat(post.headers().firstValue("Allow")).hasValue("GET, HEAD");

    HttpResponse<String> other = http.send(
        HttpRequest.newBuilder(URI.create(url() + "index.html")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(other.statusCode()).isEqualTo(404);
  }
}
