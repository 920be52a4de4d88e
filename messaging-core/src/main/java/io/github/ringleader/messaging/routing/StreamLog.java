package io.github.ringleader.messaging.routing;

import io.github.ringleader.messaging.node.NodeId;
import io.github.ringleader.messaging.protocol.Sequenced;
import io.github.ringleader.messaging.protocol.StreamAck;
import io.github.ringleader.messaging.protocol.StreamEntry;
import io.github.ringleader.messaging.protocol.StreamState;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The leader's log for one epoch: the entries it sequenced, how far each member has them, and
 * from that the two marks every member is told in {@link StreamState} — <em>stable</em> (entries
 * a member may deliver) and <em>all delivered</em> (entries no member needs again, which the log
 * forgets).
 *
 * <p>The commit rule lives here alone ({@link #recompute}): an entry is stable once every member
 * of the epoch holds it. A member that falls behind gets the missing entries again, a batch per
 * retry interval while it makes no progress.
 *
 * <p>The log holds at most {@link #WINDOW} entries not yet delivered everywhere; {@link
 * #isFull()} tells the sequencer to take no new requests meanwhile (an epoch's opening block may
 * exceed that by itself).
 */
final class StreamLog {
  /** Entries sequenced but not yet delivered by every member, at most. */
  static final int WINDOW = 4096;
  /** Entries re-sent to one lagging member per retry. */
  static final int RESEND_BATCH = 64;

  private static final class Progress {
    long received;
    long delivered;
    long lastProgressNanos;

    Progress(long nowNanos) {
      lastProgressNanos = nowNanos;
    }
  }

  private final long epoch;
  private final RoutingOutbox outbox;
  private final long retryNanos;
  private final long stateIntervalNanos;
  private final TreeMap<Long, StreamEntry> entries = new TreeMap<>();
  private final Map<NodeId, Progress> progress = new HashMap<>();
  private long head;
  private long stable;
  private long allDelivered;
  private boolean stateDue;
  private long nextStateNanos = Long.MAX_VALUE;

  StreamLog(long epoch, RoutingOutbox outbox, long retryNanos, long stateIntervalNanos) {
    this.epoch = epoch;
    this.outbox = outbox;
    this.retryNanos = retryNanos;
    this.stateIntervalNanos = stateIntervalNanos;
  }

  /** The members whose acknowledgements count, the leader included; called once, at the start. */
  void open(Collection<NodeId> members, long nowNanos) {
    for (NodeId member : members) {
      progress.put(member, new Progress(nowNanos));
    }
  }

  /** Appends an entry, sends it to every member and returns its number. */
  long append(StreamEntry entry, long nowNanos) {
    head++;
    entries.put(head, entry);
    outbox.sendToAll(new Sequenced(epoch, head, entry));
    if (nextStateNanos == Long.MAX_VALUE) {
      nextStateNanos = nowNanos + retryNanos;
    }
    return head;
  }

  /** Whether the window is full: no new requests are taken until members catch up. */
  boolean isFull() {
    return head - allDelivered >= WINDOW;
  }

  /** A member's acknowledgement; ignored from a non-member or for another epoch. */
  void onAck(NodeId from, StreamAck ack, long nowNanos) {
    Progress member = progress.get(from);
    if (ack.epoch() != epoch || member == null) {
      return;
    }
    if (ack.received() > member.received) {
      member.received = Math.min(ack.received(), head);
      member.lastProgressNanos = nowNanos;
    } else if (ack.received() < member.received) {
      // The member has less than it had said (it lost its stream and started over): believe it,
      // or the entries it lacks would never be sent again.
      member.received = ack.received();
    }
    member.delivered = Math.max(member.delivered, Math.min(ack.delivered(), head));
    if (ack.received() < head && nowNanos - member.lastProgressNanos >= retryNanos) {
      resend(from, member, nowNanos);
    }
    recompute();
  }

  /** A member failed or left: it no longer holds up stability. */
  void removeMember(NodeId id) {
    if (progress.remove(id) != null) {
      recompute();
    }
  }

  /** The commit rule: stable is what every member holds; the log keeps what some lacks. */
  private void recompute() {
    long minReceived = head;
    long minDelivered = head;
    for (Progress member : progress.values()) {
      minReceived = Math.min(minReceived, member.received);
      minDelivered = Math.min(minDelivered, member.delivered);
    }
    if (minReceived > stable) {
      stable = minReceived;
      stateDue = true;
    }
    if (minDelivered > allDelivered) {
      allDelivered = minDelivered;
      entries.headMap(allDelivered, true).clear();
      stateDue = true;
    }
  }

  private void resend(NodeId to, Progress member, long nowNanos) {
    long from = member.received + 1;
    long until = Math.min(head, member.received + RESEND_BATCH);
    for (long seq = from; seq <= until; seq++) {
      StreamEntry entry = entries.get(seq);
      if (entry != null) {
        outbox.send(to, new Sequenced(epoch, seq, entry));
      }
    }
    member.lastProgressNanos = nowNanos;
  }

  /** Sends the stream state if it changed since it was last sent. */
  void flushState(long nowNanos) {
    if (stateDue) {
      sendState(nowNanos);
    }
  }

  private void sendState(long nowNanos) {
    stateDue = false;
    outbox.sendToAll(new StreamState(epoch, head, stable, allDelivered));
    nextStateNanos =
        nowNanos + (stable < head || allDelivered < head ? retryNanos : stateIntervalNanos);
  }

  /** Re-sends to members that made no progress for a retry interval. */
  void resendToLagging(long nowNanos) {
    for (Map.Entry<NodeId, Progress> e : progress.entrySet()) {
      Progress member = e.getValue();
      if (member.received < head && nowNanos - member.lastProgressNanos >= retryNanos) {
        resend(e.getKey(), member, nowNanos);
      }
    }
  }

  /** Sends the state when its interval is up, changed or not (members learn the marks again). */
  void sendStateIfDue(long nowNanos) {
    if (nextStateNanos <= nowNanos) {
      sendState(nowNanos);
    }
  }

  /** When {@link #resendToLagging} or {@link #sendStateIfDue} next has something to do. */
  long nextDeadlineNanos() {
    long next = nextStateNanos;
    for (Progress member : progress.values()) {
      if (member.received < head) {
        next = Math.min(next, member.lastProgressNanos + retryNanos);
      }
    }
    return next;
  }

  long head() {
    return head;
  }

  long stable() {
    return stable;
  }

  long allDelivered() {
    return allDelivered;
  }

  /** How far {@code id} said it has the stream; -1 for a non-member (for tracing). */
  long receivedBy(NodeId id) {
    Progress member = progress.get(id);
    return member == null ? -1 : member.received;
  }

  /** Per member: entries of this epoch it has not reported delivered. */
  Map<NodeId, Long> deliveryLag() {
    Map<NodeId, Long> lag = new TreeMap<>();
    for (Map.Entry<NodeId, Progress> e : progress.entrySet()) {
      lag.put(e.getKey(), Math.max(0, head - e.getValue().delivered));
    }
    return lag;
  }

  /** Entries kept for members that have not delivered them. */
  int size() {
    return entries.size();
  }
}
