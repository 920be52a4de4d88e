package io.github.ringleader.messaging.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.ringleader.messaging.node.MessagingNode;
import io.github.ringleader.messaging.node.NodeId;
import io.github.ringleader.messaging.node.NodeState;
import io.github.ringleader.messaging.session.ClientSession;
import io.github.ringleader.messaging.session.ServerEvent;
import io.github.ringleader.messaging.sim.LinkConditions;
import io.github.ringleader.messaging.sim.SimulatedClient;
import io.github.ringleader.messaging.sim.SimulatedCluster;
import io.github.ringleader.messaging.transport.ClusterTransport;
import io.github.ringleader.messaging.transport.OutboundFrame;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code MessagingNode.metrics()} follows the cluster, in virtual time. */
class NodeMetricsTest {

  private final SimulatedCluster cluster = SimulatedCluster.builder()
      .seed(11)
      .linkConditions(
          LinkConditions.PERFECT.withLatency(Duration.ofMillis(1), Duration.ofMillis(5)))
      .configure((id, node) -> node.sessionGrace(Duration.ofSeconds(30)))
      .build();

  private void threeServersAgree() {
    cluster.startAll("server1", "server2", "server3");
    assertThat(cluster.runUntil(cluster::hasSingleAgreedLeader, Duration.ofSeconds(10)))
        .isTrue();
  }

  private SimulatedClient joined(String name, String server) {
    SimulatedClient client = cluster.connect(name, server);
    assertThat(cluster.runUntil(
            () -> client.session().state() == ClientSession.State.JOINED, Duration.ofSeconds(5)))
        .as(name + " welcomed")
        .isTrue();
    return client;
  }

  @Test
  void aNewNodeReportsZeroesAndItsOwnIdentity() {
    try (MessagingNode node = MessagingNode.builder()
        .nodeId("server1")
        .transport(new ClusterTransport() {
          @Override
          public void start(Receiver receiver) {}

          @Override
          public void send(NodeId to, OutboundFrame frame) {}

          @Override
          public void sendToAll(OutboundFrame frame) {}

          @Override
          public void close() {}
        })
        .build()) {
      assertNewNodeMetrics(node.metrics());
    }
  }

  private static void assertNewNodeMetrics(NodeMetrics metrics) {

    assertThat(metrics.node()).isEqualTo(NodeId.of("server1"));
    assertThat(metrics.cluster()).isEqualTo("ringleader");
    assertThat(metrics.state()).isEqualTo(NodeState.NEW);
    assertThat(metrics.leader()).isNull();
    assertThat(metrics.uptimeNanos()).isZero();
    assertThat(metrics.messagesReceived()).isZero();
    assertThat(metrics.acceptLatency().count()).isZero();
    assertThat(metrics.refusals())
        .hasSize(ServerEvent.Reason.values().length)
        .allSatisfy((r, n) -> assertThat(n).isZero());
  }

  @Test
  void membersLeaderAndTermFollowTheElection() {
    threeServersAgree();

    NodeMetrics metrics = cluster.node("server1").metrics();

    assertThat(metrics.state()).isEqualTo(NodeState.RUNNING);
    assertThat(metrics.leader()).isEqualTo(NodeId.of("server3"));
    assertThat(metrics.isLeader()).isFalse();
    assertThat(metrics.term()).isPositive();
    assertThat(metrics.members())
        .extracting(m -> m.id().value())
        .containsExactly("server1", "server2", "server3");
    assertThat(metrics.membersJoined()).isEqualTo(2);
    assertThat(metrics.leaderChanges()).isGreaterThanOrEqualTo(1);
    assertThat(metrics.uptimeNanos()).isPositive();
    assertThat(cluster.node("server3").metrics().isLeader()).isTrue();
  }

  @Test
  void aCrashedLeaderCountsAsAFailureAndAnElectionFollows() {
    threeServersAgree();
    NodeMetrics before = cluster.node("server2").metrics();

    cluster.crash("server3");
    assertThat(cluster.runUntil(
            () -> NodeId.of("server2").equals(cluster.node("server2").leader()),
            Duration.ofSeconds(10)))
        .isTrue();

    NodeMetrics after = cluster.node("server2").metrics();
    assertThat(after.failuresDetected()).isEqualTo(before.failuresDetected() + 1);
    assertThat(after.leaderChanges()).isGreaterThan(before.leaderChanges());
    assertThat(after.electionsStarted() + cluster.node("server1").metrics().electionsStarted())
        .as("someone started an election")
        .isGreaterThan(before.electionsStarted() + 0);
    assertThat(after.term()).isGreaterThan(before.term());
    assertThat(after.members())
        .extracting(m -> m.id().value())
        .containsExactly("server1", "server2");
  }

  @Test
  void messagesAreCountedWhereTheyEnterAndWhereTheyAreDelivered() {
    threeServersAgree();
    SimulatedClient alice = joined("alice", "server1");
    joined("bob", "server2");
    joined("carol", "server2");

    for (int i = 0; i < 10; i++) {
      alice.session().send(null, "hello " + i);
    }
    cluster.runFor(Duration.ofSeconds(2));

    NodeMetrics server1 = cluster.node("server1").metrics();
    NodeMetrics server2 = cluster.node("server2").metrics();
    assertThat(server1.clientsConnected()).isEqualTo(1);
    assertThat(server2.clientsConnected()).isEqualTo(2);
    assertThat(server1.messagesReceived()).isEqualTo(10);
    assertThat(server1.messagesAccepted()).isEqualTo(10);
    assertThat(server1.messagesDelivered()).as("alice gets her own broadcasts").isEqualTo(10);
    assertThat(server2.messagesReceived()).isZero();
    assertThat(server2.messagesDelivered()).as("bob and carol, 10 each").isEqualTo(20);
    assertThat(server2.entriesDelivered()).isGreaterThanOrEqualTo(10 + 3);
    assertThat(server1.acceptLatency().count()).isBetween(1L, 10L);
    assertThat(server1.acceptLatency().sumNanos())
        .as("a round trip to the leader on a 1-5 ms network takes a few ms")
        .isGreaterThan(0);
    assertThat(server1.acceptLatency().quantileUpperBoundNanos(0.99))
        .isBetween(1_000_000L, 100_000_000L);
  }

  @Test
  void ratesReflectTheLastFewSecondsAndFallBackToZero() {
    threeServersAgree();
    SimulatedClient alice = joined("alice", "server1");
    cluster.runFor(Duration.ofSeconds(6));

    // 20 messages a second for 10 s.
    for (int i = 0; i < 200; i++) {
      alice.session().send(null, "tick " + i);
      cluster.runFor(Duration.ofMillis(50));
    }
    NodeMetrics busy = cluster.node("server1").metrics();
    assertThat(busy.acceptedPerSecond()).isBetween(15.0, 25.0);
    assertThat(busy.receivedPerSecond()).isBetween(15.0, 25.0);
    assertThat(busy.deliveredPerSecond()).isBetween(15.0, 25.0);

    cluster.runFor(Duration.ofSeconds(10));
    NodeMetrics idle = cluster.node("server1").metrics();
    assertThat(idle.acceptedPerSecond()).isZero();
    assertThat(idle.messagesAccepted()).isEqualTo(200);
  }

  @Test
  void refusalsAreCountedByReason() {
    threeServersAgree();
    SimulatedClient alice = joined("alice", "server1");
    cluster.connect("alice", "server2");
    alice.session().send("nobody", "hello?");
    cluster.runFor(Duration.ofSeconds(2));

    assertThat(cluster.node("server2").metrics().refusals().get(ServerEvent.Reason.NAME_TAKEN))
        .isEqualTo(1);
    assertThat(
            cluster.node("server1").metrics().refusals().get(ServerEvent.Reason.UNKNOWN_RECIPIENT))
        .isEqualTo(1);
    assertThat(cluster.node("server1").metrics().refusalsTotal()).isEqualTo(1);
    assertThat(cluster.node("server1").metrics().acceptLatency().count())
        .as("a refusal is not timed")
        .isZero();

    alice.session().send(null, "anyone?");
    cluster.runFor(Duration.ofSeconds(1));
    assertThat(cluster.node("server1").metrics().acceptLatency().count())
        .as("the next message is timed")
        .isEqualTo(1);
  }

  @Test
  void aLostClientsSessionIsHeldAndTheLeaderReportsReplicationLag() {
    threeServersAgree();
    SimulatedClient alice = joined("alice", "server1");
    joined("bob", "server2");

    alice.disconnect();
    cluster.runFor(Duration.ofSeconds(3));

    for (String id : List.of("server1", "server2", "server3")) {
      assertThat(cluster.node(id).metrics().heldSessions()).as(id).isEqualTo(1);
    }
    NodeMetrics leader = cluster.node("server3").metrics();
    assertThat(leader.replicationLag())
        .containsOnlyKeys(NodeId.of("server1"), NodeId.of("server2"), NodeId.of("server3"));
    assertThat(leader.replicationLag().values())
        .allSatisfy(lag -> assertThat(lag).isBetween(0L, 1L));
    assertThat(cluster.node("server1").metrics().replicationLag())
        .as("a follower")
        .isEmpty();
  }
}
