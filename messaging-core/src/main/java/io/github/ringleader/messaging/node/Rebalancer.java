package io.github.ringleader.messaging.node;

import io.github.ringleader.messaging.loop.Ticking;
import io.github.ringleader.messaging.session.Placement;
import java.util.Collection;
import org.jspecify.annotations.Nullable;

/**
 * Decides when a server asks one of its clients to move to a less-loaded server, so that load
 * evens out after a server joins or returns. The decision ({@link #check}) is pure: it sees the
 * live members and their loads (as their heartbeats report them) and the time, and says where one
 * client should go, or nothing; the target is the {@link Placement} rule's least-loaded server with
 * room. As a {@link Ticking} part it wakes the node when the next check is due and, then, reads
 * the loads from and asks the move of its {@link Host}.
 *
 * <p>Damped three ways, so clients do not bounce: nothing moves until the membership has been
 * unchanged for {@link #SETTLE_INTERVALS} intervals; a server moves at most one client per
 * interval (the heartbeat interval, so the loads it compares are at most one interval old); and
 * it moves one only if, after the move, it would still be at least as loaded as the server the
 * client goes to ({@link Placement#worthMoving}). (The router also leaves alone a client that
 * joined or moved within {@link #SETTLE_INTERVALS} × 2 intervals.)
 */
final class Rebalancer implements Ticking {
  /** Intervals the membership must be unchanged before anything moves. */
  static final int SETTLE_INTERVALS = 5;

  /** What the rebalancer reads from its server, and asks of it. */
  interface Host {
    /** The other live members, with the loads their last heartbeats reported. */
    Collection<MemberInfo> liveMembers();

    /** This server's clients now. */
    int clients();

    /** Asks one of this server's clients to move to {@code target} (the host picks which). */
    void moveOneTo(NodeId target, long nowNanos);
  }

  private final long intervalNanos;
  private final NodeId self;
  private final int capacity;
  private final Host host;
  private long nextCheckNanos;

  /**
   * @param intervalNanos the heartbeat interval, {@code > 0}
   * @param self this server
   * @param capacity this server's capacity
   */
  Rebalancer(long intervalNanos, NodeId self, int capacity, Host host) {
    if (intervalNanos <= 0) {
      throw new IllegalArgumentException("intervalNanos must be > 0, was " + intervalNanos);
    }
    this.intervalNanos = intervalNanos;
    this.self = self;
    this.capacity = capacity;
    this.host = host;
  }

  /** The membership changed (a server joined, failed, left or restarted): wait for it to settle. */
  void membershipChanged(long nowNanos) {
    nextCheckNanos = nowNanos + SETTLE_INTERVALS * intervalNanos;
  }

  /** Whether a check is due: cheap, for every event; {@link #check} only when it is. */
  boolean due(long nowNanos) {
    return nowNanos >= nextCheckNanos;
  }

  /** When the next check is due (never {@link #NONE}: a running server checks every interval). */
  @Override
  public long nextDeadlineNanos() {
    return nextCheckNanos;
  }

  /** Checks, if a check is due, and asks the host to move one client where the check says. */
  @Override
  public void onTick(long nowNanos) {
    if (!due(nowNanos)) {
      return;
    }
    NodeId target = check(nowNanos, host.liveMembers(), host.clients());
    if (target != null) {
      host.moveOneTo(target, nowNanos);
    }
  }

  /**
   * The server one of this server's clients should move to now, or null; the next check is one
   * interval later.
   *
   * @param live the live members with their loads (this server's own entry, if there, is not used)
   * @param clients this server's clients now (its own count is current, the others' are from
   *     their last heartbeats)
   */
  @Nullable
  NodeId check(long nowNanos, Collection<MemberInfo> live, int clients) {
    if (!due(nowNanos)) {
      return null;
    }
    nextCheckNanos = nowNanos + intervalNanos;
    if (clients < 2 || capacity <= 0) {
      return null;
    }
    return Placement.leastLoadedWithRoom(live, self)
        .filter(best -> Placement.worthMoving(clients, capacity, best))
        .map(MemberInfo::id)
        .orElse(null);
  }
}
