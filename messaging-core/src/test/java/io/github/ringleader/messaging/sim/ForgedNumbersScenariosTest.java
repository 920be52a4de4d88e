package io.github.ringleader.messaging.sim;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.ringleader.messaging.node.MessagingNode;
import io.github.ringleader.messaging.node.NodeId;
import io.github.ringleader.messaging.protocol.Bounds;
import io.github.ringleader.messaging.protocol.ClusterCodec;
import io.github.ringleader.messaging.protocol.ClusterEnvelope;
import io.github.ringleader.messaging.protocol.ClusterMessage;
import io.github.ringleader.messaging.protocol.Election;
import io.github.ringleader.messaging.protocol.ElectionAck;
import io.github.ringleader.messaging.protocol.Forward;
import io.github.ringleader.messaging.protocol.Heartbeat;
import io.github.ringleader.messaging.protocol.LeaderAnnouncement;
import io.github.ringleader.messaging.protocol.StreamEntry;
import io.github.ringleader.messaging.session.ClientSession;
import io.github.ringleader.messaging.session.ServerEvent;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Datagrams with numbers out of their bounds, as a forger on the cluster's network could send
 * them, in virtual time: each is dropped as malformed where it arrives, and the cluster carries on
 * electing and delivering. Before the bounds, a term of 2^63 − 1 made the next election's term
 * overflow (every tick threw), a term of 10^12 made epochs negative (every flush threw), and a chat
 * numbered 10^15 muted its client.
 */
class ForgedNumbersScenariosTest {
  private static final List<Long> FORGED_TERMS = List.of(Long.MAX_VALUE, 1_000_000_000_000L);

  private final SimulatedCluster cluster = SimulatedCluster.builder()
      .seed(5)
      .linkConditions(
          LinkConditions.PERFECT.withLatency(Duration.ofMillis(1), Duration.ofMillis(5)))
      .configure((id, node) -> node.heartbeatInterval(Duration.ofMillis(200)))
      .build();

  @Test
  void termsBeyondTheBoundAreDroppedAndTheClusterStillElectsAndDelivers() {
    cluster.startAll("server1", "server2", "server3");
    assertThat(cluster.runUntil(cluster::hasSingleAgreedLeader, Duration.ofSeconds(10)))
        .isTrue();
    SimulatedClient alice = cluster.connect("alice", "server1");
    SimulatedClient bob = cluster.connect("bob", "server2");
    cluster.runFor(Duration.ofSeconds(1));
    NodeId leader = cluster.agreedLeader().orElseThrow();

    // Each claims or carries a forged term, in the name of a live member (its real life).
    List<byte[]> forged = new ArrayList<>();
    for (long term : FORGED_TERMS) {
      for (String sender : List.of("server1", "server2", "server3")) {
        forged.add(withTerm(sender, new LeaderAnnouncement(Bounds.MAX_TERM), term));
        forged.add(withTerm(
            sender, new Heartbeat(7, 0, NodeId.of(sender), Bounds.MAX_TERM, 0, 100), term));
        forged.add(withTerm(sender, new Election(Bounds.MAX_TERM, 1, NodeId.of("server99")), term));
        forged.add(withTerm(sender, new ElectionAck(Bounds.MAX_TERM, 1), term));
      }
    }
    for (byte[] datagram : forged) {
      for (String to : List.of("server1", "server2", "server3")) {
        assertThat(cluster.network().inject(NodeId.of(to), datagram))
            .as("decoded")
            .isFalse();
      }
    }
    long malformed = cluster.nodes().stream()
        .flatMap(n -> n.metrics().framesDropped().entrySet().stream())
        .filter(e -> e.getKey().startsWith("malformed_"))
        .mapToLong(java.util.Map.Entry::getValue)
        .sum();
    assertThat(malformed).as("counted as malformed by the servers").isEqualTo(forged.size() * 3L);
    cluster.runFor(Duration.ofSeconds(1));
    assertThat(cluster.agreedLeader()).as("changed nothing").contains(leader);

    // Elections go on: the leader crashes, the others elect one of themselves, and deliver.
    cluster.crash(leader.value());
    assertThat(cluster.runUntil(cluster::hasSingleAgreedLeader, Duration.ofSeconds(10)))
        .isTrue();
    for (MessagingNode node : cluster.nodes()) {
      assertThat(node.view().term()).isBetween(1L, 10L);
    }
    SimulatedClient sender = alice.serverId().equals(leader.value()) ? bob : alice;
    SimulatedClient receiver = sender == alice ? bob : alice;
    if (!receiver.isConnected() || receiver.serverId().equals(leader.value())) {
      receiver = cluster.connect("carol", liveOtherThan(leader, sender.serverId()));
      cluster.runFor(Duration.ofSeconds(1));
    }
    sender.session().send(null, "still here");
    cluster.runFor(Duration.ofSeconds(1));
    assertThat(receiver.messages()).extracting(ServerEvent.Message::text).contains("still here");
  }

  @Test
  void aChatNumberedBeyondTheBoundIsDroppedAndDoesNotMuteItsClient() {
    cluster.startAll("server1", "server2", "server3");
    assertThat(cluster.runUntil(cluster::hasSingleAgreedLeader, Duration.ofSeconds(10)))
        .isTrue();
    SimulatedClient alice = cluster.connect("alice", "server1");
    SimulatedClient bob = cluster.connect("bob", "server2");
    cluster.runFor(Duration.ofSeconds(1));
    assertThat(alice.session().state()).isEqualTo(ClientSession.State.JOINED);
    NodeId leader = cluster.agreedLeader().orElseThrow();

    // A chat of alice's session, as if forwarded by her server, numbered 10^15.
    ClusterMessage chat = new Forward(new StreamEntry.Chat(
        "alice", alice.session().sessionId(), Bounds.MAX_CLIENT_SEQ, null, "x", 0));
    byte[] forged = patch(envelope("server1", chat), Bounds.MAX_CLIENT_SEQ, 1_000_000_000_000_000L);
    assertThat(cluster.network().inject(leader, forged)).isFalse();
    cluster.runFor(Duration.ofMillis(500));

    alice.session().send(null, "not muted");
    cluster.runFor(Duration.ofSeconds(1));
    assertThat(bob.messages()).extracting(ServerEvent.Message::text).containsExactly("not muted");
  }

  private String liveOtherThan(NodeId crashed, String also) {
    for (MessagingNode node : cluster.nodes()) {
      if (!node.id().equals(crashed) && !node.id().value().equals(also)) {
        return node.id().value();
      }
    }
    return also;
  }

  private byte[] envelope(String sender, ClusterMessage message) {
    MessagingNode node = cluster.node(sender);
    return ClusterCodec.encode(
        new ClusterEnvelope(node.config().clusterName(), node.id(), node.incarnation(), message));
  }

  /** {@code message} from {@code sender} with its term, {@link Bounds#MAX_TERM}, replaced. */
  private byte[] withTerm(String sender, ClusterMessage message, long term) {
    return patch(envelope(sender, message), Bounds.MAX_TERM, term);
  }

  /** {@code frame} with the one 8-byte field that holds {@code from} set to {@code to}. */
  private static byte[] patch(byte[] frame, long from, long to) {
    int found = -1;
    for (int i = 0; i + 8 <= frame.length; i++) {
      if (ByteBuffer.wrap(frame, i, 8).getLong() == from) {
        assertThat(found).as("one field holds %d", from).isEqualTo(-1);
        found = i;
      }
    }
    assertThat(found).as("a field holds %d", from).isNotNegative();
    ByteBuffer.wrap(frame, found, 8).putLong(to);
    return frame;
  }
}
