package io.github.ringleader.messaging.routing;

import io.github.ringleader.messaging.node.NodeId;
import io.github.ringleader.messaging.protocol.Forward;
import io.github.ringleader.messaging.protocol.StreamEntry;
import java.util.ArrayDeque;
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
 * <p>Deadlines are kept in queues, so finding what is due costs the due requests, not every
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
  /*
   * Where each live request waits (requests done meanwhile are skipped as they surface):
   * - fresh: not sent yet, due at the next flush, in submission order;
   * - waiting: sent once, due one retry interval after; sent in order at one clock, so this
   *   queue is in deadline order as it is, and costs O(1) — nearly every request lives and dies
   *   here;
   * - later: the rest (backed off further, or seen in the stream), by deadline.
   */
  private final ArrayDeque<Pending> fresh = new ArrayDeque<>();
  private final ArrayDeque<Pending> waiting = new ArrayDeque<>();
  private final PriorityQueue<Pending> later =
      new PriorityQueue<>((a, b) -> a.dueNanos != b.dueNanos
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
    fresh.add(p);
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
    fresh.clear();
    waiting.clear();
    later.clear();
    for (Pending p : pending.values()) {
      p.dueNanos = 0;
      p.notBeforeNanos = 0;
      p.sends = 0;
      fresh.add(p);
    }
  }

  /**
   * Sends to {@code leader} every request that is due: re-sends first, oldest first, then the new
   * ones in the order they came — so a sender's chats leave in their order.
   */
  void flush(@Nullable NodeId leader, long nowNanos, RoutingOutbox outbox) {
    if (leader == null) {
      return;
    }
    Pending p;
    while ((p = nextDue(nowNanos)) != null) {
      handle(p, leader, nowNanos, outbox);
    }
    while ((p = fresh.poll()) != null) {
      if (!p.done) {
        handle(p, leader, nowNanos, outbox);
      }
    }
  }

  /** The due re-send submitted first, taken off its queue; null if none is due. */
  private @Nullable Pending nextDue(long nowNanos) {
    Pending w = liveHead(waiting);
    Pending l = liveHead(later);
    if (w != null && w.dueNanos > nowNanos) {
      w = null;
    }
    if (l != null && l.dueNanos > nowNanos) {
      l = null;
    }
    if (w != null && (l == null || w.order < l.order)) {
      return waiting.poll();
    }
    return l != null ? later.poll() : null;
  }

  private static @Nullable Pending liveHead(java.util.Queue<Pending> queue) {
    Pending p;
    while ((p = queue.peek()) != null && p.done) {
      queue.poll();
    }
    return p;
  }

  private void handle(Pending p, NodeId leader, long nowNanos, RoutingOutbox outbox) {
    if (p.notBeforeNanos > nowNanos) {
      p.dueNanos = p.notBeforeNanos;
      later.add(p);
      return;
    }
    outbox.send(leader, new Forward(p.request));
    long backoff = Math.min(MAX_BACKOFF, 1L << Math.min(p.sends, 30));
    p.dueNanos = nowNanos + retryNanos * backoff;
    p.sends++;
    if (backoff == 1) {
      waiting.add(p);
    } else {
      later.add(p);
    }
  }

  /** When the next request falls due, or {@code Long.MAX_VALUE}; without a leader, never. */
  long nextDeadlineNanos(@Nullable NodeId leader) {
    if (leader == null) {
      return Long.MAX_VALUE;
    }
    if (liveHead(fresh) != null) {
      return 0;
    }
    Pending w = liveHead(waiting);
    Pending l = liveHead(later);
    return Math.min(
        w == null ? Long.MAX_VALUE : w.dueNanos, l == null ? Long.MAX_VALUE : l.dueNanos);
  }

  /** Requests in flight. */
  int size() {
    return pending.size();
  }
}
