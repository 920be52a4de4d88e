package io.github.ringleader.messaging.routing;

import io.github.ringleader.messaging.protocol.Forward;
import io.github.ringleader.messaging.protocol.NodeId;
import io.github.ringleader.messaging.protocol.StreamEntry;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.PriorityQueue;
import org.jspecify.annotations.Nullable;

/**
 * The requests a server has passed on to the leader and not yet seen delivered: each is sent at
 * once, then again until the stream shows it (the network may lose a forward, and a new leader
 * must hear of it). Re-sends back off — one retry interval, then two, then four — so that a
 * cluster slower than the retry interval is not flooded with copies of what it is already
 * working on, and a request the leader has sequenced (this server received it in the stream) is
 * not sent again while that epoch lasts, unless it takes very long.
 *
 * <p>Deadlines are kept in a queue, so finding what is due costs the due requests, not every
 * request in flight: a server may have thousands in flight. Requests due at once leave in the
 * order they were submitted, so the leader gets each sender's chats in order and need not hold
 * any back.
 *
 * <p>A pure state machine of the routing package: requests and time in, {@link Forward}s out
 * through a {@link RoutingOutbox}.
 */
final class Forwarder {
  /** What a request is about: the kind, its session and, for a chat, the client's number. */
  enum Kind {
    JOIN,
    CHAT,
    LEAVE,
    DETACH,
    RESUME
  }

  /** Names a request in flight; at most one request per key. */
  record Key(Kind kind, long session, long seq) {
    static Key of(Kind kind, long session) {
      return new Key(kind, session, 0);
    }

    static Key chat(long session, long seq) {
      return new Key(Kind.CHAT, session, seq);
    }
  }

  /** Re-sends after the first wait this many times as long, at most. */
  static final int MAX_BACKOFF = 4;

  /**
   * A request the leader has sequenced is sent again only after this many retry intervals: the
   * epoch it is in will deliver it, and a new epoch sends everything again at once.
   */
  static final int SEQUENCED_WAIT = 16;

  private static final class Pending {
    final Key key;
    final StreamEntry request;
    /** Submission order: requests due together leave in it, so a sender's chats stay in order. */
    final long order;
    long dueNanos;
    /** When the request was seen in the stream: not sent again before this. */
    long notBeforeNanos;
    int sends;
    boolean done;

    Pending(Key key, StreamEntry request, long order) {
      this.key = key;
      this.request = request;
      this.order = order;
    }
  }

  private final long retryNanos;
  private final Map<Key, Pending> pending = new LinkedHashMap<>();
  /** Every live request, by when it is due; requests done meanwhile are skipped as they surface. */
  private final PriorityQueue<Pending> byDue =
      new PriorityQueue<>(
          (a, b) ->
              a.dueNanos != b.dueNanos
                  ? Long.compare(a.dueNanos, b.dueNanos)
                  : Long.compare(a.order, b.order));
  private long submitted;

  Forwarder(long retryNanos) {
    this.retryNanos = retryNanos;
  }

  /** Adds {@code request} (replacing one under the same key), to be sent at the next flush. */
  void submit(Key key, StreamEntry request) {
    Pending replaced = pending.remove(key);
    if (replaced != null) {
      replaced.done = true;
    }
    Pending p = new Pending(key, request, submitted++);
    pending.put(key, p);
    byDue.add(p);
  }

  /** Forgets the request under {@code key}, if any: it was delivered or is no longer wanted. */
  boolean remove(Key key) {
    Pending p = pending.remove(key);
    if (p == null) {
      return false;
    }
    p.done = true;
    return true;
  }

  boolean contains(Key key) {
    return pending.containsKey(key);
  }

  /** Forgets every chat of {@code session}. */
  void removeChatsOf(long session) {
    for (Iterator<Pending> it = pending.values().iterator(); it.hasNext(); ) {
      Pending p = it.next();
      if (p.key.kind() == Kind.CHAT && p.key.session() == session) {
        p.done = true;
        it.remove();
      }
    }
  }

  /** The request under {@code key} is in the leader's stream: it need not be sent again soon. */
  void sequenced(Key key, long nowNanos) {
    Pending p = pending.get(key);
    if (p != null) {
      p.notBeforeNanos = Math.max(p.notBeforeNanos, nowNanos + SEQUENCED_WAIT * retryNanos);
    }
  }

  /** A new leader or a new epoch: every request goes again at the next flush, backoff reset. */
  void sendAllSoon() {
    byDue.clear();
    for (Pending p : pending.values()) {
      p.dueNanos = 0;
      p.notBeforeNanos = 0;
      p.sends = 0;
      byDue.add(p);
    }
  }

  /** Sends to {@code leader} every request that is due. */
  void flush(@Nullable NodeId leader, long nowNanos, RoutingOutbox outbox) {
    if (leader == null) {
      return;
    }
    Pending p;
    while ((p = byDue.peek()) != null && (p.done || p.dueNanos <= nowNanos)) {
      byDue.poll();
      if (p.done) {
        continue;
      }
      if (p.notBeforeNanos > nowNanos) {
        p.dueNanos = p.notBeforeNanos;
      } else {
        outbox.send(leader, new Forward(p.request));
        p.dueNanos = nowNanos + retryNanos * Math.min(MAX_BACKOFF, 1L << Math.min(p.sends, 30));
        p.sends++;
      }
      byDue.add(p);
    }
  }

  /** When the next request falls due, or {@code Long.MAX_VALUE}; without a leader, never. */
  long nextDeadlineNanos(@Nullable NodeId leader) {
    if (leader == null) {
      return Long.MAX_VALUE;
    }
    Pending p;
    while ((p = byDue.peek()) != null && p.done) {
      byDue.poll();
    }
    return p == null ? Long.MAX_VALUE : p.dueNanos;
  }

  /** Requests in flight. */
  int size() {
    return pending.size();
  }
}
