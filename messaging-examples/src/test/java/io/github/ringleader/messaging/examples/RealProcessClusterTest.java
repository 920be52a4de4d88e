package io.github.ringleader.messaging.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.ringleader.messaging.client.ClientSession;
import io.github.ringleader.messaging.client.ServerEvent;
import io.github.ringleader.messaging.transport.tcp.MessagingClient;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The usage guide's leader-failure scenario with every server a real process of the example
 * server: server3 is elected, clients on all three talk, server3 is killed with SIGKILL, server2 is
 * elected within the detection time plus a small bound, and the clients of server1 and server2 keep
 * talking. Loopback only, free ports, short timings; every wait has a deadline.
 */
class RealProcessClusterTest {
  private static final Duration HEARTBEAT = Duration.ofMillis(100);
  private static final int MISSED = 3;

  private final List<Process> processes = new ArrayList<>();
  private final List<List<String>> logs = new ArrayList<>();
  private final List<MessagingClient> clients = new ArrayList<>();

  @AfterEach
  void stopEverything() {
    clients.forEach(MessagingClient::close);
    for (Process process : processes) {
      process.destroyForcibly();
    }
  }

  private static int freeTcpPort() throws IOException {
    try (ServerSocket probe = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return probe.getLocalPort();
    }
  }

  private static int freeUdpPort() throws IOException {
    try (DatagramChannel probe = DatagramChannel.open()) {
      probe.bind(new InetSocketAddress(0));
      return ((InetSocketAddress) probe.getLocalAddress()).getPort();
    }
  }

  private static void await(BooleanSupplier condition, Duration limit, String what) throws InterruptedException {
    long deadline = System.nanoTime() + limit.toNanos();
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("waiting for %s", what).isLessThan(deadline);
      Thread.sleep(20);
    }
  }

  /** Starts {@code java ... Main server <id> <port>} and collects its log lines. */
  private void startServer(String id, int port, int group, String cluster) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process process =
        new ProcessBuilder(
                java, "-cp", System.getProperty("java.class.path"),
                Main.class.getName(), "server", id, String.valueOf(port),
                "--heartbeat", HEARTBEAT.toMillis() + "ms", "--missed", String.valueOf(MISSED),
                "--mcast-port", String.valueOf(group), "--cluster", cluster)
            .redirectErrorStream(true)
            .start();
    processes.add(process);
    List<String> log = new CopyOnWriteArrayList<>();
    logs.add(log);
    Thread reader = new Thread(() -> {
      try (BufferedReader in = new BufferedReader(
          new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = in.readLine()) != null) {
          log.add(line);
        }
      } catch (IOException e) {
        // the process is gone
      }
    }, "log-" + id);
    reader.setDaemon(true);
    reader.start();
  }

  private static boolean logged(List<String> log, String text) {
    return log.stream().anyMatch(line -> line.contains(text));
  }

  private static final class Inbox implements ClientSession.Listener {
    final List<ServerEvent.Message> messages = new CopyOnWriteArrayList<>();
    volatile boolean closed;

    @Override
    public void onMessage(ServerEvent.Message message) {
      messages.add(message);
    }

    @Override
    public void onClosed(@Nullable String reason) {
      closed = true;
    }

    boolean got(String text) {
      return messages.stream().anyMatch(m -> m.text().equals(text));
    }
  }

  private MessagingClient join(String name, int port, Inbox inbox) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    while (true) {
      try {
        MessagingClient client = MessagingClient.connect("127.0.0.1", port, name, inbox, Duration.ofSeconds(2));
        clients.add(client);
        return client;
      } catch (IOException notYet) {
        if (System.nanoTime() > deadline) {
          throw notYet;
        }
        Thread.sleep(50);
      }
    }
  }

  @Test
  void server2TakesOverWhenServer3IsKilledAndTheOthersClientsKeepTalking() throws Exception {
    int group = freeUdpPort();
    String cluster = "procs-" + ProcessHandle.current().pid();
    int[] ports = {freeTcpPort(), freeTcpPort(), freeTcpPort()};
    for (int i = 0; i < 3; i++) {
      startServer("server" + (i + 1), ports[i], group, cluster);
    }
    await(() -> logs.stream().allMatch(log -> logged(log, "leader is server3")
            || logged(log, "this node is the leader")),
        Duration.ofSeconds(20), "server3 to be elected by all three processes");

    Inbox alice = new Inbox();
    Inbox bob = new Inbox();
    Inbox charlie = new Inbox();
    MessagingClient a = join("alice", ports[0], alice);
    join("bob", ports[1], bob);
    join("charlie", ports[2], charlie);
    a.send("Hello everyone!");
    await(() -> bob.got("Hello everyone!") && charlie.got("Hello everyone!"), Duration.ofSeconds(10),
        "the broadcast to reach bob and charlie");

    long killedAt = System.nanoTime();
    processes.get(2).destroyForcibly().waitFor();
    Duration bound = HEARTBEAT.multipliedBy(MISSED).plus(Duration.ofSeconds(3));
    await(() -> logged(logs.get(0), "leader is server2") && logged(logs.get(1), "this node is the leader"),
        bound, "server2 to be elected after the kill");
    Duration took = Duration.ofNanos(System.nanoTime() - killedAt);
    assertThat(took).isLessThan(bound);
    await(() -> charlie.closed, Duration.ofSeconds(5), "charlie to notice his server is gone");

    a.send("bob", "still there?");
    await(() -> bob.got("still there?"), Duration.ofSeconds(10), "alice's private message to reach bob");
  }
}
