package io.github.ringleader.messaging.sim;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.ringleader.messaging.node.MemberInfo;
import io.github.ringleader.messaging.node.NodeId;
import io.github.ringleader.messaging.session.ClientSession;
import io.github.ringleader.messaging.session.ServerEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Rebalancing in virtual time: busier servers ask clients to move, one at a time, and the clients
 * resume on the least-loaded server with nothing lost, until the load is even; then nobody moves.
 * The clients here do what the reference client does: on a goodbye, resume on the least-loaded
 * server.
 */
class RebalancingScenariosTest {
  private static final Duration HEARTBEAT = Duration.ofMillis(200);

  private final SimulatedCluster cluster = SimulatedCluster.builder()
      .seed(5)
      .linkConditions(
          LinkConditions.PERFECT.withLatency(Duration.ofMillis(1), Duration.ofMillis(5)))
      // A server needs a client port to be sent clients (in the simulation, any number).
      .configure((id, node) -> node.heartbeatInterval(HEARTBEAT).clientPort(portOf(id)))
      .build();
  private final List<SimulatedClient> clients = new ArrayList<>();
  private final Map<SimulatedClient, Integer> moves = new HashMap<>();

  private static int portOf(NodeId id) {
    return 5000 + id.value().charAt(id.value().length() - 1);
  }

  private void start() {
    cluster.startAll("server1", "server2", "server3");
    assertThat(cluster.runUntil(cluster::hasSingleAgreedLeader, Duration.ofSeconds(10)))
        .isTrue();
  }

  private void connect(int count, String server) {
    for (int i = 0; i < count; i++) {
      clients.add(cluster.connect("c" + clients.size(), server));
    }
    assertThat(cluster.runUntil(this::allJoined, Duration.ofSeconds(5))).isTrue();
  }

  private boolean allJoined() {
    return clients.stream().allMatch(c -> c.session().state() == ClientSession.State.JOINED);
  }

  /**
   * Runs for {@code duration} with the clients doing what the reference client does: pinging
   * their server every 500 ms, and resuming a client that was asked to move (or lost its server)
   * on the least-loaded server — or where a server that could not resume it sent it.
   */
  private void runWithClients(Duration duration) {
    long end = cluster.scheduler().nanoTime() + duration.toNanos();
    long nextPing = cluster.scheduler().nanoTime();
    while (cluster.scheduler().nanoTime() < end) {
      cluster.runFor(Duration.ofMillis(20));
      boolean ping = cluster.scheduler().nanoTime() >= nextPing;
      if (ping) {
        nextPing = cluster.scheduler().nanoTime() + Duration.ofMillis(500).toNanos();
      }
      for (SimulatedClient client : clients) {
        if (ping && client.session().state() == ClientSession.State.JOINED) {
          client.session().listServers();
        }
        if (client.session().state() == ClientSession.State.CLOSED && !client.isConnected()) {
          ServerEvent last = client.events().isEmpty()
              ? null
              : client.events().get(client.events().size() - 1);
          if (last instanceof ServerEvent.Refused refused && refused.redirect() != null) {
            cluster.resume(client, refused.redirect().value());
          } else {
            moves.merge(client, 1, Integer::sum);
            cluster.resume(client, leastLoaded());
          }
        }
      }
    }
  }

  private String leastLoaded() {
    return clientsPerServer().entrySet().stream()
        .min(
            Map.Entry.<String, Integer>comparingByValue().thenComparing(Map.Entry.comparingByKey()))
        .orElseThrow()
        .getKey();
  }

  /** Clients per running server, as the servers themselves count them. */
  private Map<String, Integer> clientsPerServer() {
    Map<String, Integer> counts = new TreeMap<>();
    for (NodeId id : cluster.runningIds()) {
      MemberInfo self = cluster.node(id.value()).view().member(id).orElseThrow();
      counts.put(id.value(), self.clients());
    }
    return counts;
  }

  @Test
  void clientsCrowdedOnOneServerSpreadEvenlyEachMovingAtMostOnceAndMissingNothing() {
    start();
    connect(6, "server1");
    clients.get(0).session().send(null, "before");
    runWithClients(Duration.ofSeconds(1)); // the membership has been steady for 5 intervals
    clients.get(1).session().send(null, "during");
    runWithClients(Duration.ofSeconds(5));
    clients.get(2).session().send(null, "after");
    runWithClients(Duration.ofSeconds(1));

    assertThat(clientsPerServer())
        .containsExactlyInAnyOrderEntriesOf(Map.of("server1", 2, "server2", 2, "server3", 2));
    assertThat(moves.values()).as("moves per client that moved").allMatch(n -> n == 1);
    assertThat(moves).hasSize(4);
    for (SimulatedClient client : clients) {
      assertThat(client.session().state()).isEqualTo(ClientSession.State.JOINED);
      assertThat(client.messages())
          .extracting(ServerEvent.Message::text)
          .as("%s got every broadcast once, in order", client.session().name())
          .containsExactly("before", "during", "after");
      assertThat(client.events())
          .as("nobody was seen leaving")
          .noneMatch(e -> e instanceof ServerEvent.Presence p && !p.joined());
    }
  }

  @Test
  void whenACrashedServerReturnsLoadEvensOutAgainAndThenStaysPut() {
    start();
    connect(2, "server1");
    connect(2, "server2");
    connect(2, "server3");
    cluster.crash("server3");
    runWithClients(Duration.ofSeconds(3));
    assertThat(clientsPerServer())
        .containsExactlyInAnyOrderEntriesOf(Map.of("server1", 3, "server2", 3));

    cluster.start("server3");
    runWithClients(Duration.ofSeconds(6));
    assertThat(clientsPerServer())
        .containsExactlyInAnyOrderEntriesOf(Map.of("server1", 2, "server2", 2, "server3", 2));
    Map<SimulatedClient, Integer> settled = new HashMap<>(moves);
    runWithClients(Duration.ofSeconds(10));
    assertThat(moves).as("nobody moves once the load is even").isEqualTo(settled);
    assertThat(clients).allMatch(c -> c.session().state() == ClientSession.State.JOINED);
  }

  @Test
  void aQuietClientThatPingsIsMovedToARestartedServerWithNothingReportedMissing() {
    start();
    connect(2, "server1");
    connect(1, "server2");
    connect(1, "server3");
    cluster.crash("server3");
    runWithClients(Duration.ofSeconds(3)); // its client resumes elsewhere
    clients.get(0).session().send(null, "last word before the restart");
    runWithClients(Duration.ofSeconds(1));

    cluster.start("server3");
    // The clients say nothing more, but ping as the reference client does: each answer carries
    // the server's position, so their resume positions stay recent.
    long end = cluster.scheduler().nanoTime() + Duration.ofSeconds(8).toNanos();
    while (cluster.scheduler().nanoTime() < end) {
      for (SimulatedClient client : clients) {
        if (client.session().state() == ClientSession.State.JOINED) {
          client.session().listServers();
        }
      }
      runWithClients(Duration.ofMillis(500));
    }

    assertThat(clientsPerServer().get("server3"))
        .as("load moved to the restarted server")
        .isPositive();
    List<ServerEvent.Resumed> resumes = new ArrayList<>();
    for (SimulatedClient client : clients) {
      client.events().stream()
          .filter(e -> e instanceof ServerEvent.Resumed r && r.server().value().equals("server3"))
          .forEach(e -> resumes.add((ServerEvent.Resumed) e));
    }
    assertThat(resumes).isNotEmpty().allMatch(ServerEvent.Resumed::complete);
  }

  @Test
  void rebalancingCanBeSwitchedOff() {
    SimulatedCluster quiet = SimulatedCluster.builder()
        .seed(5)
        .configure((id, node) ->
            node.heartbeatInterval(HEARTBEAT).clientPort(portOf(id)).rebalance(false))
        .build();
    quiet.startAll("server1", "server2", "server3");
    assertThat(quiet.runUntil(quiet::hasSingleAgreedLeader, Duration.ofSeconds(10)))
        .isTrue();
    List<SimulatedClient> crowd = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      crowd.add(quiet.connect("c" + i, "server1"));
    }
    quiet.runFor(Duration.ofSeconds(10));
    assertThat(crowd).allMatch(SimulatedClient::isConnected);
    assertThat(quiet
            .node("server1")
            .view()
            .member(NodeId.of("server1"))
            .orElseThrow()
            .clients())
        .isEqualTo(6);
  }
}
