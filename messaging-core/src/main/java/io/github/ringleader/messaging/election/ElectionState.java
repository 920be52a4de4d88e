package io.github.ringleader.messaging.election;

/** Where a node stands in leader election. */
public enum ElectionState {
  /** Knows no leader and takes part in no election: at start, or after its leader stepped down. */
  LEADERLESS,
  /** Takes part in the election of the current term and waits for its outcome. */
  ELECTING,
  /** Follows a leader other than itself. */
  FOLLOWING,
  /** Is the leader. */
  LEADING
}
