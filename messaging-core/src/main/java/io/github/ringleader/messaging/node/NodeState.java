package io.github.ringleader.messaging.node;

/** The life cycle of a {@link MessagingNode}. */
public enum NodeState {
  /** Built, not started. */
  NEW,
  /** Started: probing the cluster for its members, its leader and a server with the same id. */
  DISCOVERING,
  /** A member of the cluster: heartbeating, electing, answering. */
  RUNNING,
  /** Refused to start (its id is taken, or its transport failed); see the start future. */
  FAILED,
  /** Closed. */
  STOPPED
}
