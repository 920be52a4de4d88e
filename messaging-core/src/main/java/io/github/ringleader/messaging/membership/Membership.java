package io.github.ringleader.messaging.membership;

import io.github.ringleader.messaging.node.MemberInfo;
import io.github.ringleader.messaging.node.NodeId;
import io.github.ringleader.messaging.protocol.Heartbeat;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * The heartbeat failure detector and the live-member view of one node: a pure state machine fed
 * with heartbeats, leaves and the current time.
 *
 * <p><b>Failure.</b> A member is failed once it has been silent for its failure timeout: the
 * timings its heartbeats announce (its interval × its missed heartbeats: with the defaults, 3 ×
 * 2 s = 6 s after its last heartbeat arrived), or this node's own {@code failAfterNanos} if they
 * announce none. Judging each member by its own timings keeps a member that was started with a
 * longer interval than this node's from being failed between two of its heartbeats, again and
 * again; every node fails it after the same silence. The timeout lies between this node's own
 * {@code failAfterNanos} and {@value #MAX_TIMEOUT_FACTOR} × it ({@link #memberFailAfterNanos}):
 * no single heartbeat — a forged one included — can keep a crashed member in the view for longer,
 * and none can make this node fail a member sooner than its own timeout, which is what its stall
 * guard (a pause of this node's own is not the members' silence) is measured against.
 *
 * <p><b>Lives.</b> Each server picks a new, higher incarnation when it starts. A heartbeat with a
 * higher incarnation than the member's replaces it ({@link MembershipChange.Kind#RESTARTED} then
 * {@link MembershipChange.Kind#JOINED}); one with a lower incarnation is from a dead life and is
 * ignored, also after the member failed (the highest incarnation seen is remembered). A failed
 * member heard again with the same incarnation (a long pause, a healed partition) simply joins
 * again.
 *
 * <p><b>Bounds.</b> At most {@code maxMembers} live members and as many remembered departed ids;
 * heartbeats from further unknown ids are refused, so no input grows the view without bound.
 */
public final class Membership implements MemberView {

  /** What a heartbeat did to the view. */
  public enum HeartbeatResult {
    /** From a live member: its state was refreshed. */
    REFRESHED,
    /** From a new member, or one heard again: see the changes returned with it. */
    CHANGED,
    /** From an older incarnation than the one known: ignored. */
    STALE,
    /** From an unknown member while the view is full: ignored. */
    REFUSED
  }

  /** A member's failure timeout is at most this many times this node's own. */
  public static final int MAX_TIMEOUT_FACTOR = 10;

  private static final class Member {
    MemberInfo info;
    long lastHeardNanos;
    long failAfterNanos;

    Member(MemberInfo info, long lastHeardNanos, long failAfterNanos) {
      this.info = info;
      this.lastHeardNanos = lastHeardNanos;
      this.failAfterNanos = failAfterNanos;
    }
  }

  /** What is remembered of a departed member: its highest life and the timeout it was judged by. */
  private record Departed(long incarnation, long failAfterNanos) {}

  private final NodeId self;
  private final long failAfterNanos;
  private final int maxMembers;
  private final TreeMap<NodeId, Member> live = new TreeMap<>();
  /** Each departed member, oldest departure first. */
  private final LinkedHashMap<NodeId, Departed> departed = new LinkedHashMap<>();

  /**
   * @param self this node's id; heartbeats claiming it are never added to the view
   * @param failAfterNanos this node's own failure timeout, {@code > 0}: silence after which a
   *     member whose heartbeats do not announce their timings is failed, and the base of the bound
   *     on the timeouts they announce
   * @param maxMembers the most live members the view holds, {@code > 0}
   */
  public Membership(NodeId self, long failAfterNanos, int maxMembers) {
    if (failAfterNanos <= 0) {
      throw new IllegalArgumentException("failAfterNanos must be > 0, was " + failAfterNanos);
    }
    if (maxMembers <= 0) {
      throw new IllegalArgumentException("maxMembers must be > 0, was " + maxMembers);
    }
    this.self = self;
    this.failAfterNanos = failAfterNanos;
    this.maxMembers = maxMembers;
  }

  /**
   * Takes a heartbeat from {@code from}; changes to the view are added to {@code changes}.
   *
   * @throws IllegalArgumentException if {@code from} is this node (the caller filters those)
   */
  public HeartbeatResult onHeartbeat(
      NodeId from,
      long incarnation,
      Heartbeat heartbeat,
      long nowNanos,
      List<MembershipChange> changes) {
    if (from.equals(self)) {
      throw new IllegalArgumentException("a heartbeat from this node's own id is not a member");
    }
    MemberInfo info = new MemberInfo(
        from,
        incarnation,
        heartbeat.clientPort(),
        heartbeat.clients(),
        heartbeat.capacity(),
        heartbeat.clientHost());
    Member member = live.get(from);
    if (member == null) {
      Departed gone = departed.get(from);
      if (gone != null && incarnation < gone.incarnation()) {
        return HeartbeatResult.STALE;
      }
      if (live.size() >= maxMembers) {
        return HeartbeatResult.REFUSED;
      }
      departed.remove(from);
      member = new Member(info, nowNanos, memberFailAfterNanos(heartbeat, failAfterNanos));
      live.put(from, member);
      changes.add(new MembershipChange(MembershipChange.Kind.JOINED, info));
      return HeartbeatResult.CHANGED;
    }
    long known = member.info.incarnation();
    if (incarnation < known) {
      return HeartbeatResult.STALE;
    }
    HeartbeatResult result = HeartbeatResult.REFRESHED;
    if (incarnation > known) {
      changes.add(new MembershipChange(MembershipChange.Kind.RESTARTED, member.info));
      changes.add(new MembershipChange(MembershipChange.Kind.JOINED, info));
      result = HeartbeatResult.CHANGED;
    }
    member.info = info;
    member.lastHeardNanos = Math.max(member.lastHeardNanos, nowNanos);
    member.failAfterNanos = memberFailAfterNanos(heartbeat, failAfterNanos);
    return result;
  }

  /**
   * Any other message from a live member proves it alive just as a heartbeat does: under a flood
   * of data, a heartbeat that comes late, or is lost in a full socket buffer, must not get a
   * member that keeps talking taken for dead. Only the live incarnation counts; nothing joins.
   */
  public void onHeardFrom(NodeId from, long incarnation, long nowNanos) {
    Member member = live.get(from);
    if (member != null && member.info.incarnation() == incarnation) {
      member.lastHeardNanos = Math.max(member.lastHeardNanos, nowNanos);
    }
  }

  /**
   * Removes {@code from} because it said it is leaving. A leave from an older incarnation than the
   * live one is ignored.
   *
   * @return the change, or {@code null} if nothing changed
   */
  public @Nullable MembershipChange onLeave(NodeId from, long incarnation) {
    Member member = live.get(from);
    if (member == null || member.info.incarnation() > incarnation) {
      return null;
    }
    remove(from, member);
    return new MembershipChange(MembershipChange.Kind.LEFT, member.info);
  }

  /** Fails every member silent for the failure timeout as of {@code nowNanos}. */
  public void expire(long nowNanos, List<MembershipChange> changes) {
    List<Member> failed = new ArrayList<>();
    for (Member member : live.values()) {
      if (nowNanos - member.lastHeardNanos >= member.failAfterNanos) {
        failed.add(member);
      }
    }
    for (Member member : failed) {
      remove(member.info.id(), member);
      changes.add(new MembershipChange(MembershipChange.Kind.FAILED, member.info));
    }
  }

  private void remove(NodeId id, Member member) {
    live.remove(id);
    departed.remove(id);
    departed.put(id, new Departed(member.info.incarnation(), member.failAfterNanos));
    if (departed.size() > maxMembers) {
      NodeId oldest = departed.keySet().iterator().next();
      departed.remove(oldest);
    }
  }

  /**
   * Does not count {@code stalledNanos} of this node's own stall (a long garbage-collection pause,
   * a suspended VM) against the members: their silence clocks move forward by that much, never
   * past {@code nowNanos}. Whatever they sent meanwhile is still waiting to be read, and a node
   * that wakes from a pause must not declare everyone dead before reading it.
   */
  public void excuseLocalStall(long stalledNanos, long nowNanos) {
    for (Member member : live.values()) {
      member.lastHeardNanos = Math.min(nowNanos, member.lastHeardNanos + stalledNanos);
    }
  }

  /** When the next member will fail if it stays silent, or {@link Long#MAX_VALUE} if none. */
  public long nextExpiryNanos() {
    long next = Long.MAX_VALUE;
    for (Member member : live.values()) {
      next = Math.min(next, member.lastHeardNanos + member.failAfterNanos);
    }
    return next;
  }

  /**
   * The silence after which {@code id} is (or, if it has departed, was) failed: the timeout its
   * last heartbeat announced, bounded, or this node's own if it announced none or is unknown.
   */
  public long failureTimeoutNanos(NodeId id) {
    Member member = live.get(id);
    if (member != null) {
      return member.failAfterNanos;
    }
    Departed gone = departed.get(id);
    return gone != null ? gone.failAfterNanos() : failAfterNanos;
  }

  /**
   * The failure timeout of the sender of {@code heartbeat}: the interval × missed heartbeats it
   * announces, at least {@code ownFailAfterNanos} and at most {@value #MAX_TIMEOUT_FACTOR} × it;
   * {@code ownFailAfterNanos} if it announces none. A member asking for less (faster heartbeats
   * than this node's) is still given this node's own timeout: failing it sooner would gain little
   * and would let a pause of this node shorter than its stall guard fail members that are alive.
   */
  public static long memberFailAfterNanos(Heartbeat heartbeat, long ownFailAfterNanos) {
    if (!heartbeat.saysTimings()) {
      return ownFailAfterNanos;
    }
    long bound = ownFailAfterNanos > Long.MAX_VALUE / MAX_TIMEOUT_FACTOR
        ? Long.MAX_VALUE
        : ownFailAfterNanos * MAX_TIMEOUT_FACTOR;
    long intervalNanos = heartbeat.intervalMillis() * 1_000_000L; // < 2^31 × 10^6: no overflow
    int missed = heartbeat.missedHeartbeats();
    long asked = intervalNanos > bound / missed ? bound : intervalNanos * missed;
    return Math.max(asked, ownFailAfterNanos);
  }

  @Override
  public boolean isLive(NodeId id) {
    return live.containsKey(id);
  }

  @Override
  public Collection<NodeId> liveIds() {
    return Collections.unmodifiableSet(live.keySet());
  }

  /** The live members in ascending id order. */
  public List<MemberInfo> liveMembers() {
    List<MemberInfo> members = new ArrayList<>(live.size());
    for (Member member : live.values()) {
      members.add(member.info);
    }
    return members;
  }

  /** The live member {@code id}, or {@code null}. */
  public @Nullable MemberInfo member(NodeId id) {
    Member member = live.get(id);
    return member == null ? null : member.info;
  }

  /** The number of live members, not counting this node. */
  public int size() {
    return live.size();
  }
}
