package io.github.ringleader.messaging.node;

import org.jspecify.annotations.Nullable;

/**
 * Observes one node's view of the cluster. Every method has an empty default, so a listener
 * overrides only what it needs.
 *
 * <p><b>Threading contract.</b> Methods are called on the node's event loop, one at a time, in the
 * order the events happened. They must be fast and must not block: the loop also sends the
 * heartbeats and runs the election. A method that throws is logged and ignored; the node carries
 * on.
 */
public interface NodeListener {

  /**
   * The leader this node follows changed: {@code leader} won the election of {@code term}, or
   * {@code leader} is null while an election is under way.
   */
  default void onLeaderChanged(@Nullable NodeId leader, long term) {}

  /** A server joined the cluster (or came back after it had failed or left). */
  default void onMemberJoined(MemberInfo member) {}

  /** A server stopped heartbeating for the failure timeout, or was replaced by a restart. */
  default void onMemberFailed(MemberInfo member) {}

  /** A server said it was stopping. */
  default void onMemberLeft(MemberInfo member) {}

  /** This node moved to another stage of its life cycle. */
  default void onStateChanged(NodeState state) {}
}
