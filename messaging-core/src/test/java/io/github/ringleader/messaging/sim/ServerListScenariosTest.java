package io.github.ringleader.messaging.sim;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.ringleader.messaging.node.NodeId;
import io.github.ringleader.messaging.session.ClientSession;
import io.github.ringleader.messaging.session.ServerEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Clients learn the servers, their loads and the leader, and hear of changes. */
class ServerListScenariosTest {
  private static final Duration HEARTBEAT = Duration.ofMillis(200);

  private final SimulatedCluster cluster = SimulatedCluster.builder()
      .seed(11)
      .linkConditions(
          LinkConditions.PERFECT.withLatency(Duration.ofMillis(1), Duration.ofMillis(3)))
      .configure((id, node) -> node.heartbeatInterval(HEARTBEAT)
          .clientPort(5000 + id.value().charAt(id.value().length() - 1) - '0')
          .clientHost("127.0.0.1")
          .capacity(id.value().equals("server1") ? 4 : 100))
      .build();

  @BeforeEach
  void threeServers() {
    cluster.startAll("server1", "server2", "server3");
    assertThat(cluster.runUntil(cluster::hasSingleAgreedLeader, Duration.ofSeconds(10)))
        .isTrue();
    cluster.runFor(HEARTBEAT.multipliedBy(2)); // every server has heard every heartbeat
  }

  @Test
  void aClientThatHasNotJoinedMayAskForTheServersAndTheirLoads() {
    SimulatedClient someone = cluster.open("server1");
    someone.session().listServers();
    cluster.runFor(Duration.ofMillis(50));

    assertThat(someone.events())
        .containsExactly(new ServerEvent.Servers(
            NodeId.of("server1"),
            List.of(
                server("server1", 5001, 0, 4, false),
                server("server2", 5002, 0, 100, false),
                server("server3", 5003, 0, 100, true))));
  }

  @Test
  void theListCountsEachServersClientsAndPointsAwayFromAFullerServer() {
    for (int i = 0; i < 3; i++) {
      cluster.connect("c" + i, "server1");
    }
    cluster.runFor(HEARTBEAT.multipliedBy(3));
    SimulatedClient newcomer = cluster.open("server1");
    newcomer.session().listServers();
    cluster.runFor(Duration.ofMillis(50));

    ServerEvent.Servers list = lastServers(newcomer);
    assertThat(list.server(NodeId.of("server1")).orElseThrow().clients()).isEqualTo(3);
    assertThat(list.lessLoadedThanSelf())
        .map(ServerEvent.ServerInfo::id)
        .contains(NodeId.of("server2"));
  }

  @Test
  void joinedClientsHearAtOnceWhenAServerGoesAndComesBackAndWhenTheLeaderChanges() {
    SimulatedClient alice = cluster.connect("alice", "server1");
    cluster.runFor(HEARTBEAT);
    alice.events().clear();

    cluster.crash("server3");
    cluster.runUntil(
        () -> {
          ServerEvent.Servers last = lastServersOrNull(alice);
          return last != null
              && last.servers().size() == 2
              && last.servers().get(1).leader();
        },
        Duration.ofSeconds(5));
    assertThat(lastServers(alice).servers())
        .extracting(ServerEvent.ServerInfo::id)
        .containsExactly(NodeId.of("server1"), NodeId.of("server2"));
    assertThat(lastServers(alice).server(NodeId.of("server2")).orElseThrow().leader())
        .isTrue();

    cluster.restart("server3");
    boolean back = cluster.runUntil(
        () -> lastServers(alice).servers().size() == 3
            && lastServers(alice).server(NodeId.of("server3")).orElseThrow().leader(),
        Duration.ofSeconds(5));
    assertThat(back).as("server3 back in alice's list, as leader").isTrue();
  }

  @Test
  void newsOfLoadAloneReachesClientsAtMostOncePerHeartbeatInterval() {
    SimulatedClient alice = cluster.connect("alice", "server2");
    cluster.runFor(HEARTBEAT.multipliedBy(2));
    alice.events().clear();

    Duration burst = HEARTBEAT.multipliedBy(3); // about 60 joins: server2 has room for 100
    long end = cluster.scheduler().nanoTime() + burst.toNanos();
    int joined = 0;
    while (cluster.scheduler().nanoTime() < end) {
      cluster.connect("user" + joined++, "server2");
      cluster.runFor(Duration.ofMillis(10));
    }
    cluster.runFor(HEARTBEAT.multipliedBy(2));

    List<ServerEvent.Servers> news = servers(alice);
    assertThat(joined).isBetween(40, 98);
    // One per interval of the burst, plus the first and the last (after the burst) at most.
    assertThat(news).hasSizeBetween(2, 3 + 2);
    assertThat(
            news.get(news.size() - 1).server(NodeId.of("server2")).orElseThrow().clients())
        .as("the last news has the final count")
        .isEqualTo(joined + 1);
  }

  @Test
  void aClientThatJoinedSeesNoListUntilSomethingChanges() {
    SimulatedClient alice = cluster.connect("alice", "server2");
    cluster.runFor(Duration.ofMillis(50));
    assertThat(alice.session().state()).isEqualTo(ClientSession.State.JOINED);
    int before = servers(alice).size();
    cluster.runFor(HEARTBEAT.multipliedBy(10));
    assertThat(servers(alice)).hasSize(before);
  }

  private static ServerEvent.ServerInfo server(
      String id, int port, int clients, int capacity, boolean leader) {
    return new ServerEvent.ServerInfo(NodeId.of(id), "127.0.0.1", port, clients, capacity, leader);
  }

  private static List<ServerEvent.Servers> servers(SimulatedClient client) {
    List<ServerEvent.Servers> lists = new ArrayList<>();
    for (ServerEvent event : client.events()) {
      if (event instanceof ServerEvent.Servers s) {
        lists.add(s);
      }
    }
    return lists;
  }

  private static ServerEvent.@org.jspecify.annotations.Nullable Servers lastServersOrNull(
      SimulatedClient client) {
    List<ServerEvent.Servers> lists = servers(client);
    return lists.isEmpty() ? null : lists.get(lists.size() - 1);
  }

  private static ServerEvent.Servers lastServers(SimulatedClient client) {
    ServerEvent.Servers last = lastServersOrNull(client);
    if (last == null) {
      throw new AssertionError(client.serverId() + "'s client has received no server list");
    }
    return last;
  }
}
