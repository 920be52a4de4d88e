package io.github.ringleader.messaging.election;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.ringleader.messaging.membership.MemberView;
import io.github.ringleader.messaging.node.NodeId;
import io.github.ringleader.messaging.protocol.ClusterMessage;
import io.github.ringleader.messaging.protocol.Election;
import io.github.ringleader.messaging.protocol.ElectionAck;
import io.github.ringleader.messaging.protocol.LeaderAnnouncement;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Whole rings of {@link LcrElection}s wired together through one FIFO queue that loses nothing,
 * with every node live in every view: the algorithm itself, and what it costs in tokens.
 *
 * <p>The ring is {@code server1 < server2 < … < serverN} (numeric-aware, so {@code server10}
 * comes after {@code server9}) and a token goes to the next higher id, from {@code serverN} back
 * to {@code server1}.
 */
class LcrRingTest {

  private static final ElectionTimings TIMINGS = new ElectionTimings(100, 3, 10_000, 0);
  private static final long NOW = 1_000;
  /** No node starts an election of its own accord while a test runs. */
  private static final long LONG_SETTLE = 1_000_000_000L;

  private record Delivery(NodeId from, NodeId to, ClusterMessage message) {}

  /** N nodes, a queue of messages in flight, and a count of election tokens sent. */
  private static final class Ring {
    final Map<NodeId, LcrElection> nodes = new TreeMap<>();
    final ArrayDeque<Delivery> inFlight = new ArrayDeque<>();
    int tokensSent;

    Ring(int size) {
      List<NodeId> ids = new ArrayList<>();
      for (int i = 1; i <= size; i++) {
        ids.add(NodeId.of("server" + i));
      }
      for (NodeId self : ids) {
        TreeSet<NodeId> others = new TreeSet<>(ids);
        others.remove(self);
        MemberView view = new MemberView() {
          @Override
          public Collection<NodeId> liveIds() {
            return others;
          }

          @Override
          public boolean isLive(NodeId id) {
            return others.contains(id);
          }
        };
        ElectionOutbox outbox = new ElectionOutbox() {
          @Override
          public void send(NodeId to, ClusterMessage message) {
            if (message instanceof Election) {
              tokensSent++;
            }
            inFlight.add(new Delivery(self, to, message));
          }

          @Override
          public void sendToAll(ClusterMessage message) {
            for (NodeId to : others) {
              inFlight.add(new Delivery(self, to, message));
            }
          }
        };
        LcrElection election = new LcrElection(self, view, outbox, TIMINGS);
        election.activate(NOW, LONG_SETTLE);
        nodes.put(self, election);
      }
    }

    LcrElection node(int i) {
      return node(NodeId.of("server" + i));
    }

    LcrElection node(NodeId id) {
      LcrElection node = nodes.get(id);
      if (node == null) {
        throw new AssertionError("no node " + id + " in the ring");
      }
      return node;
    }

    /** Delivers until nothing is in flight; a runaway exchange fails the test. */
    void drain() {
      int delivered = 0;
      Delivery next;
      while ((next = inFlight.poll()) != null) {
        assertThat(++delivered).as("messages delivered").isLessThan(100_000);
        LcrElection to = node(next.to());
        ClusterMessage message = next.message();
        if (message instanceof Election) {
          to.onElection(next.from(), (Election) message, NOW);
        } else if (message instanceof ElectionAck) {
          to.onElectionAck(next.from(), (ElectionAck) message);
        } else if (message instanceof LeaderAnnouncement) {
          to.onAnnouncement(next.from(), (LeaderAnnouncement) message, NOW);
        } else {
          throw new AssertionError("unexpected message " + message);
        }
      }
    }

    void assertHighestLeadsAndEveryoneFollowsIt(int size) {
      NodeId highest = NodeId.of("server" + size);
      for (LcrElection node : nodes.values()) {
        assertThat(node.leader()).as("leader").isEqualTo(highest);
        assertThat(node.term()).as("term").isEqualTo(1);
        assertThat(node.pendingTokens()).as("tokens left unacknowledged").isZero();
      }
      assertThat(node(size).state()).isEqualTo(ElectionState.LEADING);
      for (int i = 1; i < size; i++) {
        assertThat(node(i).state()).as("server%d", i).isEqualTo(ElectionState.FOLLOWING);
      }
    }
  }

  /**
   * One initiator, {@code server k}: its token climbs the ring, each node replacing the candidate
   * by its own higher id, to {@code serverN} ({@code N − k} hops); {@code serverN}'s id then goes
   * once around the ring and back to it ({@code N} hops). So exactly {@code 2N − k} tokens, and at
   * most {@code 2N − 1} (when {@code server1} starts). A lone node sends none.
   */
  @ParameterizedTest(name = "N = {0}, initiator server{1}")
  @CsvSource({
    "1, 1", "2, 1", "2, 2", "3, 1", "3, 2", "3, 3", "5, 1", "5, 4", "12, 1", "12, 9", "12, 12"
  })
  void singleInitiatorElectsTheHighestIdWithAtMostTwoNMinusOneTokens(int size, int initiator) {
    Ring ring = new Ring(size);

    ring.node(initiator).startElection(NOW, "test");
    ring.drain();

    ring.assertHighestLeadsAndEveryoneFollowsIt(size);
    int expected = size == 1 ? 0 : 2 * size - initiator;
    assertThat(ring.tokensSent).isEqualTo(expected).isLessThanOrEqualTo(2 * size - 1);
  }

  /**
   * Everyone initiates in the same term before any token moves: N tokens go out; every node but
   * {@code server1} has already sent its own, higher id, so each token naming its predecessor is
   * swallowed at the first hop — except {@code serverN}'s, which wraps to {@code server1} and
   * goes on around to {@code serverN} (N − 1 more hops). So exactly {@code 2N − 1} tokens: the
   * concurrent initiators cost one lap of the winner's token, not one each.
   */
  @ParameterizedTest(name = "N = {0}")
  @ValueSource(ints = {2, 3, 5, 12})
  void everyNodeInitiatingAtOnceElectsTheHighestIdWithTwoNMinusOneTokens(int size) {
    Ring ring = new Ring(size);

    for (int i = 1; i <= size; i++) {
      ring.node(i).startElection(NOW, "test");
    }
    ring.drain();

    ring.assertHighestLeadsAndEveryoneFollowsIt(size);
    assertThat(ring.tokensSent).isEqualTo(2 * size - 1);
  }
}
