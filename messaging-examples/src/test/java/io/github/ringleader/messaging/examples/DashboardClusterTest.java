package io.github.ringleader.messaging.examples;

import static io.github.ringleader.messaging.examples.ServerProcesses.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.ringleader.messaging.client.MessageListener;
import io.github.ringleader.messaging.client.MessagingClient;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The test of the dashboard: a real 3-server cluster (separate processes of the example
 * server, short heartbeats, each with {@code --http-port}), the page at {@code /} of server1 in a
 * real headless Chromium, clients on every server and messages flowing; then the leader, server3,
 * is killed with SIGKILL, and the page must show, without a reload, server3 failed in the timeline
 * and in the server list, and server2 as the new leader.
 *
 * <p>With {@code -Ddashboard.screenshot=docs/images/dashboard.png} (relative to the project root)
 * it also writes a PNG of the page after the failure, the one in docs/operations.md; ordinary runs
 * write nothing. Loopback only, free ports, multicast TTL 0; every wait has a deadline.
 */
class DashboardClusterTest {
  private static final Duration HEARTBEAT = Duration.ofMillis(100);
  private static final int MISSED = 3;
  private static final Duration LIMIT = Duration.ofSeconds(20);
  private static final String[][] CLIENTS = {
    {"alice", "bob"}, {"charlie", "dave"}, {"erin", "frank"}
  };

  private final ServerProcesses processes = new ServerProcesses();
  private final List<MessagingClient> clients = new ArrayList<>();
  private final HttpClient http = HttpClient.newBuilder()
      .proxy(HttpClient.Builder.NO_PROXY)
      .connectTimeout(Duration.ofSeconds(2))
      .build();
  private @Nullable HeadlessChromium browser;
  private @Nullable Thread traffic;
  private volatile boolean stopTraffic;

  @AfterEach
  void stopEverything() throws InterruptedException {
    stopTraffic = true;
    Thread t = traffic;
    if (t != null) {
      t.join(5_000);
    }
    clients.forEach(MessagingClient::close);
    HeadlessChromium b = browser;
    if (b != null) {
      b.close();
    }
    processes.close();
  }

  @Test
  void thePageShowsTheFailureAndTheNewLeaderWhenTheLeaderIsKilled() throws Exception {
    browser = HeadlessChromium.launch();
    HeadlessChromium.Page page = browser.newPage(1280, 800);
    page.colorScheme("light");

    int group = ServerProcesses.freeUdpPort();
    String cluster = "dashboard-" + ProcessHandle.current().pid();
    List<ServerProcesses.Server> servers = new ArrayList<>();
    int[] httpPorts = new int[3];
    for (int i = 0; i < 3; i++) {
      httpPorts[i] = ServerProcesses.freeTcpPort();
      servers.add(processes.start(
          "server" + (i + 1),
          ServerProcesses.freeTcpPort(),
          "--heartbeat",
          HEARTBEAT.toMillis() + "ms",
          "--missed",
          String.valueOf(MISSED),
          "--mcast-port",
          String.valueOf(group),
          "--cluster",
          cluster,
          "--http-port",
          String.valueOf(httpPorts[i])));
    }
    await(
        () -> servers.stream()
                .allMatch(s -> s.logged("leader is server3") || s.logged("this node is the leader"))
            && servers.stream().allMatch(s -> s.logged("clients connect on")),
        LIMIT,
        () -> "the three servers to agree on server3 and take clients\n" + logs(servers));
    String base = "http://127.0.0.1:" + httpPorts[0] + "/";
    await(
        () -> answers(base + "status", "application/json") && answers(base, "text/html"),
        LIMIT,
        () -> "server1 to serve / and /status on " + base + "\n" + logs(servers));

    // Two clients per server; those of server3 may move when it goes (failover on).
    for (int s = 0; s < 3; s++) {
      for (String name : CLIENTS[s]) {
        MessagingClient.Builder builder = MessagingClient.builder()
            .name(name)
            .balance(false)
            .failover(true)
            .messageListener(MessageListener.NONE)
            .pingInterval(HEARTBEAT)
            .pingTimeout(HEARTBEAT.multipliedBy(5))
            .timeout(Duration.ofSeconds(5));
        builder.address("127.0.0.1", servers.get(s).port);
        for (int other = 0; other < 3; other++) {
          if (other != s) {
            builder.address("127.0.0.1", servers.get(other).port);
          }
        }
        clients.add(builder.connect());
      }
    }
    startTraffic(clients.get(0), clients.get(2));

    long loadedAt = System.nanoTime();
    page.navigate(base);
    await(
        () -> {
          DashboardView v = DashboardView.read(page);
          return v.status().equals("live")
              && v.liveServers().equals(List.of("server1", "server2", "server3"))
              && v.leader().equals("server3")
              && v.servers().stream()
                  .filter(s -> s.state().equals("live"))
                  .allMatch(s -> s.text().contains("2 / "));
        },
        LIMIT,
        () -> "the page to show 3 servers, 2 clients each, server3 leading\n"
            + DashboardView.read(page));
    DashboardView before = DashboardView.read(page);
    assertThat(before.servers())
        .filteredOn(DashboardView.Server::leader)
        .extracting(DashboardView.Server::id)
        .containsExactly("server3");
    assertThat(before.timeline()).as("%s", before).isNotEmpty();
    System.out.printf(
        Locale.ROOT,
        "dashboard: live with 3 servers %d ms after loading%n",
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - loadedAt));

    String screenshot = System.getProperty("dashboard.screenshot", "");
    if (!screenshot.isBlank()) {
      // For the picture: let the page gather 40 s of rates for its sparkline first.
      await(
          () -> DashboardView.read(page).polls() >= 40,
          Duration.ofSeconds(90),
          "40 polls of /status");
    }

    ServerProcesses.Server leader = servers.get(2);
    long killedAt = System.nanoTime();
    leader.process.destroyForcibly();
    assertThat(leader.process.waitFor(10, TimeUnit.SECONDS))
        .as("server3 to exit after SIGKILL")
        .isTrue();

    await(
        () -> {
          DashboardView v = DashboardView.read(page);
          return v.hasEvent("failed", "server3")
              && v.showsServer("server3", "failed")
              && v.leader().equals("server2")
              && v.liveServers().equals(List.of("server1", "server2"));
        },
        LIMIT,
        () -> "the page to show server3 failed and server2 leading\n" + DashboardView.read(page)
            + "\n" + logs(servers));
    long shownAfter = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);

    DashboardView after = DashboardView.read(page);
    assertThat(after.status()).isEqualTo("live");
    assertThat(after.servers())
        .filteredOn(DashboardView.Server::leader)
        .extracting(DashboardView.Server::id)
        .containsExactly("server2");
    assertThat(after.hasEvent("leader", "server2")).as("%s", after).isTrue();
    assertThat(after.timeline())
        .filteredOn(e -> e.kind().equals("failed"))
        .first()
        .satisfies(e -> assertThat(e.text()).contains("server3"));
    assertThat(page.problems()).as("exceptions or console output on the page").isEmpty();
    System.out.printf(
        Locale.ROOT,
        "dashboard: server3 failed and server2 leading on the page %d ms after"
            + " the kill (heartbeat %d ms x %d missed)%n",
        shownAfter,
        HEARTBEAT.toMillis(),
        MISSED);

    if (!screenshot.isBlank()) {
      // server3's clients move to the others: wait until the loads show it, so the picture does.
      ServerProcesses.within(
          () -> DashboardView.read(page).servers().stream()
              .filter(s -> s.state().equals("live"))
              .allMatch(s -> s.text().contains("3 / ")),
          Duration.ofSeconds(10));
      Path file = projectRoot().resolve(screenshot);
      Files.createDirectories(file.getParent());
      Files.write(file, page.screenshot());
      System.out.println("dashboard: screenshot written to " + file);
    }
  }

  /** Broadcasts from two clients every 50 ms until the test ends, so the rates are not zero. */
  private void startTraffic(MessagingClient one, MessagingClient two) {
    Thread t = new Thread(
        () -> {
          int n = 0;
          while (!stopTraffic && n < 10_000) {
            try {
              (n % 2 == 0 ? one : two).publish("tick " + n);
              Thread.sleep(50);
            } catch (IOException | RuntimeException e) {
              // a send refused while a client moves: the next one goes
            } catch (InterruptedException e) {
              return;
            }
            n++;
          }
        },
        "dashboard-traffic");
    t.setDaemon(true);
    traffic = t;
    t.start();
  }

  private boolean answers(String url, String contentType) {
    try {
      HttpResponse<String> r = http.send(
          HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(2)).build(),
          HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200
          && r.headers().firstValue("Content-Type").orElse("").startsWith(contentType);
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** The nearest directory up from here that has docs/: the project root when run by Maven. */
  private static Path projectRoot() {
    Path dir = Path.of("").toAbsolutePath();
    for (Path p = dir; p != null; p = p.getParent()) {
      if (Files.isDirectory(p.resolve("docs")) && Files.exists(p.resolve("pom.xml"))) {
        return p;
      }
    }
    return dir;
  }

  private static String logs(List<ServerProcesses.Server> servers) {
    return servers.stream()
        .map(s -> "--- " + s.id + "\n" + s.tail(30))
        .collect(Collectors.joining("\n"));
  }
}
