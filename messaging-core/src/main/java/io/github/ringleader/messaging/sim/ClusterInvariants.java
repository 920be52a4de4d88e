package io.github.ringleader.messaging.sim;

import io.github.ringleader.messaging.node.ClusterView;
import io.github.ringleader.messaging.node.MemberInfo;
import io.github.ringleader.messaging.node.MessagingNode;
import io.github.ringleader.messaging.node.NodeId;
import io.github.ringleader.messaging.node.NodeState;
import java.util.HashMap;
import java.util.Map;

/**
 * What must hold after every event of every simulation, whatever the scenario (as Kafka's Raft
 * simulation checks its invariants after every event): each node's own view is consistent and
 * its term never goes down within a life. Every {@link SimulatedCluster} checks them; a violation
 * is thrown at once, at the event that broke it, naming the seed that replays it.
 *
 * <p>Not an invariant here, and why: "one leader per term". A term of the LCR election is not a
 * Raft term: servers that start apart (each alone through its discovery window), clusters that
 * share a network, a server that restarts alone, each elect themselves in term 1, with no split of
 * the network at all. Two leaders of one term that can hear each other are resolved by the
 * election (the higher id wins); the randomized election simulation checks that every connected
 * group converges on one leader.
 */
final class ClusterInvariants {

  /** Per node id: the incarnation and the highest term seen in it. */
  private final Map<NodeId, long[]> lastTerm = new HashMap<>();

  /**
   * Checks {@code node}, after an event of its loop: only its own events change its state, so
   * checking the node whose event ran keeps this cheap even with 64 servers.
   *
   * @throws SimulatedCluster.InvariantViolation naming the first invariant broken
   */
  void check(MessagingNode node) {
    ClusterView view = node.view();
    NodeId id = node.id();
    boolean namesItself = id.equals(view.leader());
    if (view.isLeader() != namesItself) {
      throw violation(id + " leads=" + view.isLeader() + " but names leader " + view.leader());
    }
    if (namesItself && view.state() != NodeState.RUNNING) {
      throw violation(id + " leads while " + view.state());
    }
    NodeId previous = null;
    boolean listsItself = false;
    for (MemberInfo member : view.members()) {
      if (previous != null && previous.compareTo(member.id()) >= 0) {
        throw violation(id + " view not in strict id order: " + view.members());
      }
      previous = member.id();
      listsItself |= member.id().equals(id);
    }
    if (!listsItself) {
      throw violation(id + " view does not list itself: " + view.members());
    }
    NodeId leader = view.leader();
    if (leader != null && view.member(leader).isEmpty()) {
      throw violation(id + " follows " + leader + ", who is not in its view " + view.members());
    }
    long[] life = lastTerm.get(id);
    if (life != null && life[0] == node.incarnation() && view.term() < life[1]) {
      throw violation(id + " term went down from " + life[1] + " to " + view.term());
    }
    lastTerm.put(id, new long[] {node.incarnation(), view.term()});
  }

  private static SimulatedCluster.InvariantViolation violation(String message) {
    return new SimulatedCluster.InvariantViolation(message);
  }
}
