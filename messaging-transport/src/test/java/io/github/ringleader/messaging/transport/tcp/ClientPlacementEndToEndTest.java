package io.github.ringleader.messaging.transport.tcp;

import static io.github.ringleader.messaging.transport.tcp.TcpTestSupport.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.ringleader.messaging.client.MessagingClient;
import io.github.ringleader.messaging.client.ReceivedMessage;
import io.github.ringleader.messaging.client.SentMessage;
import io.github.ringleader.messaging.client.SessionInfo;
import io.github.ringleader.messaging.node.NodeId;
import io.github.ringleader.messaging.session.ServerEvent;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Where clients land: three servers over real UDP and TCP on loopback (heartbeat 100 ms), server1
 * with room for 12 clients and the others for 100. The usage guide's third scenario is here: with
 * 10 clients on server1, a new client that asks for balancing lands on a less-loaded server.
 */
class ClientPlacementEndToEndTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  private LoopbackCluster cluster;

  @BeforeEach
  void startCluster(org.junit.jupiter.api.TestInfo test) throws Exception {
    // Placement is under test: no client may be moved meanwhile, except where rebalancing is.
    boolean rebalance = test.getTags().contains("rebalancing");
    cluster = LoopbackCluster.builder("placement")
        .advertiseClientPorts()
        .eachNode((number, node) -> node.capacity(number == 1 ? 12 : 100).rebalance(rebalance))
        .start();
  }

  @AfterEach
  void stopEverything() {
    cluster.close();
  }

  private int port(int server) {
    return cluster.port(server - 1);
  }

  private MessagingClient join(MessagingClient.Builder builder) throws IOException {
    return cluster.join(builder);
  }

  private void fillServer1With(int count) throws IOException {
    for (int i = 0; i < count; i++) {
      join(MessagingClient.builder().address("127.0.0.1", port(1)).name("c" + i).balance(false));
    }
    // The others learn server1's load from its heartbeats.
    await(
        () -> "every server knows server1 has " + count + " clients",
        () -> cluster.nodes().stream()
            .allMatch(n -> n.view().member(NodeId.of("server1")).orElseThrow().clients() == count));
  }

  @Test
  void withTenClientsOnServer1ANewClientAskingForBalancingLandsOnALessLoadedServer()
      throws IOException {
    fillServer1With(10);

    MessagingClient newcomer =
        join(MessagingClient.builder().address("localhost", port(1)).name("newcomer"));

    assertThat(newcomer.session().server()).isEqualTo("server2");
    assertThat(newcomer.serverAddress()).isEqualTo("127.0.0.1:" + port(2));
    await(
        () -> "server2 counts the newcomer as its one client",
        () -> cluster.node(1).metrics().clientsConnected() == 1);
  }

  @Test
  void aClientThatDoesNotAskForBalancingStaysWhereItConnected() throws IOException {
    fillServer1With(10);

    MessagingClient stays = join(
        MessagingClient.builder().address("127.0.0.1", port(1)).name("stays").balance(false));

    assertThat(stays.session().server()).isEqualTo("server1");
  }

  @Test
  void balancedClientsSpreadOverTheServersAndNeverBounce() throws IOException {
    List<String> landed = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      landed.add(join(MessagingClient.builder().address("127.0.0.1", port(1)).name("u" + i))
          .session()
          .server());
      int expected = i + 1;
      await(
          () -> "server1 knows of " + expected + " clients",
          () -> cluster.node(0).view().members().stream()
                  .mapToInt(m -> m.clients())
                  .sum()
              == expected);
    }
    // server1 has room for 12, the others for 100: the first goes to server1 (all empty), then
    // the lighter servers take turns.
    assertThat(landed.get(0)).isEqualTo("server1");
    assertThat(landed.subList(1, 6)).doesNotContain("server1");
    assertThat(landed.stream().filter("server2"::equals).count()).isBetween(2L, 3L);
  }

  @Test
  void aFullServerRedirectsTheClientToAServerWithRoom() throws IOException {
    fillServer1With(12);

    MessagingClient redirected = join(
        MessagingClient.builder().address("127.0.0.1", port(1)).name("late").balance(false));

    assertThat(redirected.session().server()).isNotEqualTo("server1");
  }

  @Test
  void theFirstAddressThatAnswersIsUsedWhenEarlierOnesAreDown() throws IOException {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = socket.getLocalPort();
    }
    MessagingClient client = join(MessagingClient.builder()
        .address("127.0.0.1", closedPort)
        .address("127.0.0.1", port(2))
        .name("patient")
        .balance(false));

    assertThat(client.session().server()).isEqualTo("server2");
  }

  @Test
  void whenNoAddressAnswersTheErrorNamesEachOne() throws IOException {
    int closed1;
    int closed2;
    try (ServerSocket a = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        ServerSocket b = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closed1 = a.getLocalPort();
      closed2 = b.getLocalPort();
    }
    assertThatThrownBy(() -> MessagingClient.builder()
            .address("127.0.0.1", closed1)
            .address("127.0.0.1", closed2)
            .name("nobody")
            .timeout(TIMEOUT)
            .connect())
        .isInstanceOf(IOException.class)
        .hasMessageStartingWith("cannot connect to any of 2 servers: ")
        .hasMessageContaining("127.0.0.1:" + closed1 + ": ")
        .hasMessageContaining("127.0.0.1:" + closed2 + ": ");
  }

  @Test
  void aClientKeepsACurrentListOfTheServersWithTheLeaderMarked() throws IOException {
    TcpTestSupport.Recorder recorder = new TcpTestSupport.Recorder();
    MessagingClient alice = join(MessagingClient.builder()
        .address("127.0.0.1", port(1))
        .name("alice")
        .listener(recorder)
        .balance(false));
    assertThat(alice.servers().servers())
        .extracting(
            ServerEvent.ServerInfo::id,
            ServerEvent.ServerInfo::port,
            ServerEvent.ServerInfo::leader)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(NodeId.of("server1"), port(1), false),
            org.assertj.core.groups.Tuple.tuple(NodeId.of("server2"), port(2), false),
            org.assertj.core.groups.Tuple.tuple(NodeId.of("server3"), port(3), true));

    cluster.server(2).close();

    await(
        () -> "alice's list without server3, server2 leading: " + alice.servers(),
        () -> alice.servers().servers().size() == 2
            && alice.servers().server(NodeId.of("server2")).orElseThrow().leader());
  }

  @Test
  void aServerThatStopsSaysGoodbyeToItsClients() throws IOException {
    TcpTestSupport.Recorder recorder = new TcpTestSupport.Recorder();
    join(MessagingClient.builder()
        .address("127.0.0.1", port(1))
        .name("alice")
        .listener(recorder)
        .balance(false)
        .failover(false));

    cluster.server(0).close();

    await(() -> "alice told why: " + recorder.closed, () -> !recorder.closed.isEmpty());
    assertThat(recorder.closed).containsExactly("server server1 is shutting down");
  }

  @Test
  void whenItsServerStopsAClientResumesItsSessionOnAnotherAndMissesNothing() throws IOException {
    FailoverRecorder alice = new FailoverRecorder();
    TcpTestSupport.Recorder bob = new TcpTestSupport.Recorder();
    MessagingClient aliceClient = join(fastFailover("alice", 1, alice));
    long session = aliceClient.session().id();
    MessagingClient bobClient = join(MessagingClient.builder()
        .address("127.0.0.1", port(2))
        .name("bob")
        .listener(bob)
        .balance(false));

    cluster.server(0).close();
    bobClient.send("alice", "did you move?"); // while alice moves, or just before

    await(() -> "alice resumed: " + alice.lost, () -> !alice.resumed.isEmpty());
    assertThat(alice.lost)
        .containsExactly("the server said goodbye: server server1 is shutting down");
    assertThat(alice.resumed.get(0).session().server()).isNotEqualTo("server1");
    assertThat(alice.resumed.get(0).session().id()).as("the same session").isEqualTo(session);
    assertThat(alice.reconnected).as("not a new session").isEmpty();
    assertThat(alice.closed).isEmpty();
    await(() -> "alice got bob's message: " + alice.messages, () -> alice.hasText("did you move?"));
    aliceClient.send("bob", "still here");
    await(() -> "bob hears alice again", () -> bob.hasText("still here"));
    assertThat(alice.messages.stream().map(ReceivedMessage::text).toList())
        .as("once")
        .containsOnlyOnce("did you move?");
    assertThat(bob.presences).as("bob never saw alice leave").noneMatch(p -> !p.joined());
  }

  @Test
  @org.junit.jupiter.api.Tag("rebalancing")
  void clientsCrowdedOnOneServerAreMovedOneByOneAndResumeWithNothingLost() throws IOException {
    List<FailoverRecorder> recorders = new ArrayList<>();
    List<MessagingClient> crowd = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      FailoverRecorder recorder = new FailoverRecorder();
      recorders.add(recorder);
      crowd.add(join(fastFailover("c" + i, 1, recorder)));
    }
    // server1 holds 12, the others 100: load evens out when server1 keeps one client.
    await(
        () -> "server1 down to one client: " + cluster.node(0).view().members(),
        () -> cluster.node(0).view().member(NodeId.of("server1")).orElseThrow().clients() == 1
            && recorders.stream().filter(r -> !r.resumed.isEmpty()).count() == 5);
    for (int i = 0; i < 6; i++) {
      FailoverRecorder r = recorders.get(i);
      assertThat(r.reconnected).as("c%d kept its session", i).isEmpty();
      for (FailoverRecorder.Resumed resumed : r.resumed) {
        assertThat(resumed.session().id()).isEqualTo(crowd.get(i).session().id());
        assertThat(resumed.session().server()).isNotEqualTo("server1");
        assertThat(resumed.complete()).isTrue();
      }
      assertThat(r.resumed).as("c%d moved at most once", i).hasSizeLessThanOrEqualTo(1);
    }
    crowd.get(0).send("after the moves");
    await(
        () -> "everyone got it",
        () -> recorders.stream().allMatch(r -> r.hasText("after the moves")));
    for (FailoverRecorder r : recorders) {
      assertThat(r.messages.stream().map(ReceivedMessage::text).toList())
          .containsOnlyOnce("after the moves");
      assertThat(r.presences).as("nobody was seen leaving").noneMatch(p -> !p.joined());
    }
  }

  private MessagingClient.Builder fastFailover(
      String name, int server, TcpTestSupport.Recorder listener) {
    return MessagingClient.builder()
        .address("127.0.0.1", port(server))
        .name(name)
        .listener(listener)
        .balance(false)
        .pingInterval(Duration.ofMillis(100))
        .pingTimeout(Duration.ofMillis(500))
        .reconnectBackoff(Duration.ofMillis(20), Duration.ofMillis(200));
  }

  /** Also records what the failover tells. */
  static final class FailoverRecorder extends TcpTestSupport.Recorder {
    record Resumed(SessionInfo session, boolean complete) {}

    final List<String> lost = new java.util.concurrent.CopyOnWriteArrayList<>();
    final List<SessionInfo> reconnected = new java.util.concurrent.CopyOnWriteArrayList<>();
    final List<Resumed> resumed = new java.util.concurrent.CopyOnWriteArrayList<>();
    final List<String> rounds = new java.util.concurrent.CopyOnWriteArrayList<>();

    @Override
    public void onConnectionLost(String reason, List<SentMessage> unconfirmed) {
      lost.add(reason);
    }

    @Override
    public void onConnected(SessionInfo session, boolean afresh) {
      if (afresh) {
        reconnected.add(session);
      }
    }

    @Override
    public void onResumed(SessionInfo session, boolean complete) {
      resumed.add(new Resumed(session, complete));
    }

    @Override
    public void onReconnecting(int round, String lastError, Duration next) {
      rounds.add(round + ": " + lastError);
    }
  }
}
