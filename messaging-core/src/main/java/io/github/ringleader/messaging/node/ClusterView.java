package io.github.ringleader.messaging.node;

import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * An immutable snapshot of one node's view of the cluster, taken after every event the node
 * handled. Safe to read from any thread.
 *
 * @param self this node's id
 * @param state this node's life-cycle state
 * @param leader the leader this node follows (itself when it leads), or null during an election
 * @param term the term of {@code leader}'s election, or the newest term seen during an election
 * @param members the live servers, this node included, in ascending id order, with their load
 */
public record ClusterView(
    NodeId self, NodeState state, @Nullable NodeId leader, long term, List<MemberInfo> members) {

  public ClusterView {
    members = List.copyOf(members);
  }

  /** Whether this node is the leader. */
  public boolean isLeader() {
    return self.equals(leader);
  }

  /** The live member {@code id}, if any. */
  public Optional<MemberInfo> member(NodeId id) {
    return members.stream().filter(m -> m.id().equals(id)).findFirst();
  }

  /**
   * The member with the lowest load ({@code clients / capacity}) that has room, lowest id first
   * among equals; empty if every server is full.
   */
  public Optional<MemberInfo> leastLoaded() {
    return members.stream()
        .filter(MemberInfo::hasRoom)
        .min(Comparator.comparingDouble(MemberInfo::load).thenComparing(MemberInfo::id));
  }
}
