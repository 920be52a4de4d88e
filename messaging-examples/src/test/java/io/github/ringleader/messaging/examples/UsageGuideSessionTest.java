package io.github.ringleader.messaging.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.ringleader.messaging.client.MessagingClient;
import io.github.ringleader.messaging.node.MessagingNode;
import io.github.ringleader.messaging.node.NodeId;
import io.github.ringleader.messaging.session.ClientSession;
import io.github.ringleader.messaging.session.ServerEvent;
import io.github.ringleader.messaging.transport.tcp.TcpClientServer;
import io.github.ringleader.messaging.transport.tcp.TcpServerConfig;
import io.github.ringleader.messaging.transport.udp.UdpMulticastTransport;
import io.github.ringleader.messaging.transport.udp.UdpTransportConfig;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The usage guide's terminal session, over real sockets on loopback: three servers, alice runs
 * the example client with a scripted standard input ({@code send Hello everyone!}, {@code send
 * bob Hi Bob, how are you?}, {@code users}, {@code quit}), bob listens through the SDK.
 */
class UsageGuideSessionTest {
  private final List<MessagingNode> nodes = new ArrayList<>();
  private final List<TcpClientServer> servers = new ArrayList<>();
  private final List<MessagingClient> clients = new ArrayList<>();

  @AfterEach
  void stopEverything() {
    clients.forEach(MessagingClient::close);
    servers.forEach(TcpClientServer::close);
    nodes.forEach(MessagingNode::close);
  }

  private static int freeUdpPort() throws Exception {
    try (DatagramChannel probe = DatagramChannel.open()) {
      probe.bind(new InetSocketAddress(0));
      return ((InetSocketAddress) probe.getLocalAddress()).getPort();
    }
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
    int group = freeUdpPort();
    String cluster = "session-" + ProcessHandle.current().pid();
    List<java.util.concurrent.CompletableFuture<Void>> started = new ArrayList<>();
    for (int i = 1; i <= 3; i++) {
      MessagingNode node = MessagingNode.builder()
          .nodeId("server" + i)
          .clusterName(cluster)
          .heartbeatInterval(Duration.ofMillis(100))
          .discoveryWindow(Duration.ofMillis(200))
          .transport(
              new UdpMulticastTransport(UdpTransportConfig.builder().port(group).build()))
          .build();
      nodes.add(node);
      started.add(node.start());
    }
    for (int i = 0; i < nodes.size(); i++) {
      MessagingNode node = nodes.get(i);
      started.get(i).get();
      servers.add(TcpClientServer.start(
          TcpServerConfig.builder().host("127.0.0.1").port(0).build(), node));
    }
    await(
        () -> nodes.stream()
            .allMatch(n ->
                NodeId.of("server3").equals(n.leader()) && n.view().members().size() == 3),
        "server3 to lead all three");

    List<ServerEvent.Message> bobGot = new CopyOnWriteArrayList<>();
    clients.add(MessagingClient.connect(
        "127.0.0.1",
        servers.get(1).localPort(),
        "bob",
        new ClientSession.Listener() {
          @Override
          public void onMessage(ServerEvent.Message message) {
            bobGot.add(message);
          }
        },
        Duration.ofSeconds(5)));

    String script = "send Hello everyone!\nsend bob Hi Bob, how are you?\nusers\nquit\n";
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status = ClientCommand.run(
        List.of("alice", "127.0.0.1", String.valueOf(servers.get(0).localPort())),
        new ByteArrayInputStream(script.getBytes(StandardCharsets.UTF_8)),
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));

    assertThat(status).as(err.toString(StandardCharsets.UTF_8)).isZero();
    String shown = out.toString(StandardCharsets.UTF_8);
    assertThat(shown)
        .startsWith("connected to server1 (127.0.0.1:" + servers.get(0).localPort() + ")")
        .contains("users: alice, bob")
        .doesNotContain("not delivered");
    await(() -> bobGot.size() == 2, "bob to receive both messages");
    assertThat(bobGot)
        .extracting(ServerEvent.Message::from, ServerEvent.Message::to, ServerEvent.Message::text)
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
    LoopbackCluster cluster = new LoopbackCluster(3);
    nodes.addAll(cluster.nodes);
    servers.addAll(cluster.servers);
    for (int i = 1; i <= 10; i++) {
      clients.add(MessagingClient.connect(
          "127.0.0.1",
          servers.get(0).localPort(),
          "user" + i,
          new ClientSession.Listener() {},
          Duration.ofSeconds(5)));
    }
    await(
        () -> nodes.stream()
            .allMatch(n -> n.view().member(NodeId.of("server1")).orElseThrow().clients() == 10),
        "every server to know server1 has 10 clients");

    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status = ClientCommand.run(
        List.of("dave", "localhost", String.valueOf(servers.get(0).localPort())),
        new ByteArrayInputStream("servers\nquit\n".getBytes(StandardCharsets.UTF_8)),
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));

    assertThat(status).as(err.toString(StandardCharsets.UTF_8)).isZero();
    int port1 = servers.get(0).localPort();
    int port2 = servers.get(1).localPort();
    int port3 = servers.get(2).localPort();
    assertThat(out.toString(StandardCharsets.UTF_8))
        .startsWith("connected to server2 (127.0.0.1:" + port2 + ")")
        .containsPattern("\\n  server1 +127\\.0\\.0\\.1:" + port1 + " +10/100 clients\\R")
        .containsPattern(
            "\\n  server2 +127\\.0\\.0\\.1:" + port2 + " +1/100 clients  \\(connected here\\)\\R")
        .containsPattern("\\n  server3 +127\\.0\\.0\\.1:" + port3 + " +0/100 clients  leader\\R");
  }
}
