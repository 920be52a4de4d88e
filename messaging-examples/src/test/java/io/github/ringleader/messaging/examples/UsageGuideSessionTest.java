package io.github.ringleader.messaging.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.ringleader.messaging.client.MessageListener;
import io.github.ringleader.messaging.client.MessagingClient;
import io.github.ringleader.messaging.client.ReceivedMessage;
import io.github.ringleader.messaging.node.MessagingNode;
import io.github.ringleader.messaging.node.NodeId;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The usage guide's terminal session, over real sockets on loopback: three servers, alice runs
 * the example client with a scripted standard input ({@code send Hello everyone!}, {@code send
 * bob Hi Bob, how are you?}, {@code users}, {@code quit}), bob listens through the SDK.
 */
class UsageGuideSessionTest {
  private final List<MessagingClient> clients = new ArrayList<>();
  private @Nullable LoopbackCluster cluster;

  @AfterEach
  void stopEverything() {
    clients.forEach(MessagingClient::close);
    if (cluster != null) {
      cluster.close();
    }
  }

  /** Three servers on loopback, server3 leading; their client ports are in the heartbeats. */
  private LoopbackCluster threeServers() throws Exception {
    LoopbackCluster started = new LoopbackCluster(3);
    cluster = started;
    return started;
  }

  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("waiting for " + what).isLessThan(deadline);
      Thread.sleep(10);
    }
  }

  @Test
  void aliceBroadcastsAndWritesPrivatelyToBobOnAnotherServer() throws Exception {
    LoopbackCluster cluster = threeServers();

    List<ReceivedMessage> bobGot = new CopyOnWriteArrayList<>();
    clients.add(MessagingClient.connect(
        "127.0.0.1",
        cluster.port(2),
        "bob",
        new MessageListener() {
          @Override
          public void onMessage(ReceivedMessage message) {
            bobGot.add(message);
          }
        },
        Duration.ofSeconds(5)));

    String script = "send Hello everyone!\nsend bob Hi Bob, how are you?\nusers\nquit\n";
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status = ClientCommand.run(
        List.of("alice", "127.0.0.1", String.valueOf(cluster.port(1))),
        new ByteArrayInputStream(script.getBytes(StandardCharsets.UTF_8)),
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));

    assertThat(status).as(err.toString(StandardCharsets.UTF_8)).isZero();
    String shown = out.toString(StandardCharsets.UTF_8);
    assertThat(shown)
        .startsWith("connected to server1 (127.0.0.1:" + cluster.port(1) + ")")
        .contains("users: alice, bob")
        .doesNotContain("not delivered");
    await(() -> bobGot.size() == 2, "bob to receive both messages");
    assertThat(bobGot)
        .extracting(ReceivedMessage::from, ReceivedMessage::to, ReceivedMessage::text)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("alice", null, "Hello everyone!"),
            org.assertj.core.groups.Tuple.tuple("alice", "bob", "Hi Bob, how are you?"));
  }

  /**
   * The usage guide's third scenario with the example client: 10 clients on server1, then a new
   * client given server1's address is placed on a less-loaded server, and its {@code servers}
   * command lists every server with its load and the leader.
   */
  @Test
  void withTenClientsOnServer1TheExampleClientIsPlacedElsewhereAndListsTheServers()
      throws Exception {
    // Client ports in the heartbeats; no rebalancing: placement is under test, nobody may move.
    LoopbackCluster cluster = threeServers();
    List<MessagingNode> nodes = cluster.nodes;
    for (int i = 1; i <= 10; i++) {
      clients.add(MessagingClient.connect(
          "127.0.0.1", cluster.port(1), "user" + i, MessageListener.NONE, Duration.ofSeconds(5)));
    }
    await(
        () -> nodes.stream()
            .allMatch(n -> n.view().member(NodeId.of("server1")).orElseThrow().clients() == 10),
        "every server to know server1 has 10 clients");

    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status = ClientCommand.run(
        List.of("dave", "localhost", String.valueOf(cluster.port(1))),
        new ByteArrayInputStream("servers\nquit\n".getBytes(StandardCharsets.UTF_8)),
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));

    assertThat(status).as(err.toString(StandardCharsets.UTF_8)).isZero();
    int port1 = cluster.port(1);
    int port2 = cluster.port(2);
    int port3 = cluster.port(3);
    assertThat(out.toString(StandardCharsets.UTF_8))
        .startsWith("connected to server2 (127.0.0.1:" + port2 + ")")
        .containsPattern("\\n  server1 +127\\.0\\.0\\.1:" + port1 + " +10/100 clients\\R")
        .containsPattern(
            "\\n  server2 +127\\.0\\.0\\.1:" + port2 + " +1/100 clients  \\(connected here\\)\\R")
        .containsPattern("\\n  server3 +127\\.0\\.0\\.1:" + port3 + " +0/100 clients  leader\\R");
  }
}
