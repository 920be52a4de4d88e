package io.github.ringleader.messaging.membership;

import io.github.ringleader.messaging.node.MemberInfo;

/**
 * A change in the set of live members, as the membership state machine reports it.
 *
 * @param kind what happened
 * @param member the member concerned (for {@link Kind#FAILED} and {@link Kind#LEFT}, its last
 *     known state)
 */
public record MembershipChange(Kind kind, MemberInfo member) {

  /** The kinds of change. */
  public enum Kind {
    /** A server was heard for the first time, or again after it had failed or left. */
    JOINED,
    /** A server stayed silent for longer than the failure timeout. */
    FAILED,
    /** A server said it was stopping. */
    LEFT,
    /**
     * A server was heard with a newer incarnation: its old life is gone (reported with the old
     * incarnation) and a {@link #JOINED} with the new one follows.
     */
    RESTARTED
  }
}
