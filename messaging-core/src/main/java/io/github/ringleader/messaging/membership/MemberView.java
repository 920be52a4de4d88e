package io.github.ringleader.messaging.membership;

import io.github.ringleader.messaging.node.NodeId;
import java.util.Collection;

/** The read-only part of the membership that the election ring is built from. */
public interface MemberView {

  /** The live members' ids, not counting this node, in ascending id order. */
  Collection<NodeId> liveIds();

  /** Whether {@code id} is a live member (this node itself is not a member of its own view). */
  boolean isLive(NodeId id);
}
