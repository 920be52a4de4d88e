package io.github.ringleader.messaging.node;

import java.util.Collection;
import org.jspecify.annotations.Nullable;

/**
 * Decides when a server asks one of its clients to move to a less-loaded server, so that load
 * evens out after a server joins or returns. Pure: it sees the live members and their loads (as
 * their heartbeats report them) and the time, and says where one client should go, or nothing.
 *
 * <p>Damped three ways, so clients do not bounce: nothing moves until the membership has been
 * unchanged for {@link #SETTLE_INTERVALS} intervals; a server moves at most one client per
 * interval (the heartbeat interval, so the loads it compares are at most one interval old); and
 * it moves one only if, after the move, it would still be at least as loaded as the server the
 * client goes to. (The router also leaves alone a client that joined or moved within {@link
 * #SETTLE_INTERVALS} × 2 intervals.)
 */
final class Rebalancer {
  /** Intervals the membership must be unchanged before anything moves. */
  static final int SETTLE_INTERVALS = 5;

  private final long intervalNanos;
  private long nextCheckNanos;

  Rebalancer(long intervalNanos) {
    this.intervalNanos = intervalNanos;
  }

  /** The membership changed (a server joined, failed, left or restarted): wait for it to settle. */
  void membershipChanged(long nowNanos) {
    nextCheckNanos = nowNanos + SETTLE_INTERVALS * intervalNanos;
  }

  /** Whether a check is due: cheap, for every event; {@link #check} only when it is. */
  boolean due(long nowNanos) {
    return nowNanos >= nextCheckNanos;
  }

  /**
   * The server one of this server's clients should move to now, or null; the next check is one
   * interval later.
   *
   * @param live the live members with their loads (this server's own entry is not used)
   * @param clients this server's clients now (its own count is current, the others' are from
   *     their last heartbeats)
   */
  @Nullable
  NodeId check(long nowNanos, NodeId self, Collection<MemberInfo> live, int clients, int capacity) {
    if (!due(nowNanos)) {
      return null;
    }
    nextCheckNanos = nowNanos + intervalNanos;
    if (clients < 2 || capacity <= 0) {
      return null;
    }
    MemberInfo best = null;
    for (MemberInfo member : live) {
      if (member.id().equals(self)
          || member.clientPort() <= 0
          || member.capacity() <= 0
          || member.clients() >= member.capacity()) {
        continue;
      }
      if (best == null
          || (long) member.clients() * best.capacity()
              < (long) best.clients() * member.capacity()) {
        best = member;
      }
    }
    // Move one only if this server stays at least as loaded as the other after the move:
    // (clients - 1) / capacity >= (other + 1) / otherCapacity.
    if (best != null
        && (long) (clients - 1) * best.capacity() >= (long) (best.clients() + 1) * capacity) {
      return best.id();
    }
    return null;
  }
}
