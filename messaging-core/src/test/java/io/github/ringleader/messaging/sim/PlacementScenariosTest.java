package io.github.ringleader.messaging.sim;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.ringleader.messaging.node.NodeId;
import io.github.ringleader.messaging.session.ClientSession;
import io.github.ringleader.messaging.session.ServerEvent;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Where a full server sends a client, in a cluster that mixes servers with and without a client
 * port: a server without one takes no clients, so it is never named, however idle it is.
 */
class PlacementScenariosTest {
  private static final Duration HEARTBEAT = Duration.ofMillis(200);

  /** server1 holds one client; server2 has no client port (and no clients); server3 has room. */
  private final SimulatedCluster cluster = SimulatedCluster.builder()
      .seed(17)
      .linkConditions(
          LinkConditions.PERFECT.withLatency(Duration.ofMillis(1), Duration.ofMillis(3)))
      .configure((id, node) -> {
        node.heartbeatInterval(HEARTBEAT).rebalance(false);
        switch (id.value()) {
          case "server1" -> node.clientPort(5001).capacity(1);
          case "server2" -> node.clientPort(0).capacity(100);
          default -> node.clientPort(5003).capacity(100);
        }
      })
      .build();

  @BeforeEach
  void threeServers() {
    cluster.startAll("server1", "server2", "server3");
    assertThat(cluster.runUntil(cluster::hasSingleAgreedLeader, Duration.ofSeconds(10)))
        .isTrue();
    cluster.runFor(HEARTBEAT.multipliedBy(2)); // every server has heard every heartbeat
  }

  @Test
  void aFullServerNamesAServerWithAClientPortNotAnIdleOneWithout() {
    SimulatedClient alice = cluster.connect("alice", "server1");
    assertThat(cluster.runUntil(
            () -> alice.session().state() == ClientSession.State.JOINED, Duration.ofSeconds(2)))
        .isTrue();
    cluster.runFor(HEARTBEAT.multipliedBy(2)); // the others have heard server1 is full

    SimulatedClient bob = cluster.connect("bob", "server1");
    cluster.runFor(Duration.ofMillis(200));

    assertThat(bob.events()).first().isInstanceOfSatisfying(ServerEvent.Refused.class, refused -> {
      assertThat(refused.code()).isEqualTo(ServerEvent.Reason.SERVER_FULL);
      assertThat(refused.redirect()).isEqualTo(NodeId.of("server3"));
    });
  }
}
