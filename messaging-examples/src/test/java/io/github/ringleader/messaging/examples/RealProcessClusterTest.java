package io.github.ringleader.messaging.examples;

import static io.github.ringleader.messaging.examples.ServerProcesses.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.ringleader.messaging.client.ConnectionListener;
import io.github.ringleader.messaging.client.MessageListener;
import io.github.ringleader.messaging.client.MessagingClient;
import io.github.ringleader.messaging.client.ReceivedMessage;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
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

  private final ServerProcesses processes = new ServerProcesses();
  private final List<MessagingClient> clients = new ArrayList<>();

  @AfterEach
  void stopEverything() {
    clients.forEach(MessagingClient::close);
    processes.close();
  }

  /** Starts {@code java ... Main server <id> <port>} and collects its log lines. */
  private ServerProcesses.Server startServer(String id, int port, int group, String cluster)
      throws IOException {
    return processes.start(
        id,
        port,
        "--heartbeat",
        HEARTBEAT.toMillis() + "ms",
        "--missed",
        String.valueOf(MISSED),
        "--mcast-port",
        String.valueOf(group),
        "--cluster",
        cluster);
  }

  private static final class Inbox implements MessageListener, ConnectionListener {
    final List<ReceivedMessage> messages = new CopyOnWriteArrayList<>();
    volatile boolean closed;

    @Override
    public void onMessage(ReceivedMessage message) {
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
        MessagingClient client = MessagingClient.builder()
            .address("127.0.0.1", port)
            .name(name)
            .listener(inbox)
            .timeout(Duration.ofSeconds(2))
            .balance(false)
            .failover(false)
            .connect();
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
    int group = ServerProcesses.freeUdpPort();
    String cluster = "procs-" + ProcessHandle.current().pid();
    int[] ports = {
      ServerProcesses.freeTcpPort(), ServerProcesses.freeTcpPort(), ServerProcesses.freeTcpPort()
    };
    List<ServerProcesses.Server> servers = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      servers.add(startServer("server" + (i + 1), ports[i], group, cluster));
    }
    await(
        () -> servers.stream()
            .allMatch(s -> s.logged("leader is server3") || s.logged("this node is the leader")),
        Duration.ofSeconds(20),
        "server3 to be elected by all three processes");

    Inbox alice = new Inbox();
    Inbox bob = new Inbox();
    Inbox charlie = new Inbox();
    MessagingClient a = join("alice", ports[0], alice);
    join("bob", ports[1], bob);
    join("charlie", ports[2], charlie);
    a.send("Hello everyone!");
    await(
        () -> bob.got("Hello everyone!") && charlie.got("Hello everyone!"),
        Duration.ofSeconds(10),
        "the broadcast to reach bob and charlie");

    long killedAt = System.nanoTime();
    servers.get(2).process.destroyForcibly().waitFor();
    Duration bound = HEARTBEAT.multipliedBy(MISSED).plus(Duration.ofSeconds(3));
    await(
        () -> servers.get(0).logged("leader is server2")
            && servers.get(1).logged("this node is the leader"),
        bound,
        "server2 to be elected after the kill");
    Duration took = Duration.ofNanos(System.nanoTime() - killedAt);
    assertThat(took).isLessThan(bound);
    await(() -> charlie.closed, Duration.ofSeconds(5), "charlie to notice his server is gone");

    a.send("bob", "still there?");
    await(
        () -> bob.got("still there?"),
        Duration.ofSeconds(10),
        "alice's private message to reach bob");
  }
}
