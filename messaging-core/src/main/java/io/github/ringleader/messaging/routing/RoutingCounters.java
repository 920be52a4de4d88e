package io.github.ringleader.messaging.routing;

import io.github.ringleader.messaging.metrics.LatencyHistogram;
import io.github.ringleader.messaging.session.ServerEvent;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * One {@link Router}'s counters of client traffic, since the router was made.
 *
 * <p><b>Threads.</b> Written by the router only, on the node's event loop (single writer: an
 * increment is a plain add published with release semantics, no lock, no allocation); read from
 * any thread. Each counter is read on its own, so values read while traffic flows are not one
 * instant across counters.
 */
public final class RoutingCounters {
  private final AtomicLong received = new AtomicLong();
  private final AtomicLong accepted = new AtomicLong();
  private final AtomicLong delivered = new AtomicLong();
  private final AtomicLong entries = new AtomicLong();
  private final AtomicLongArray refusals = new AtomicLongArray(ServerEvent.Reason.values().length);
  private final LatencyHistogram acceptLatency = new LatencyHistogram();

  RoutingCounters() {}

  /** Chat messages this server's clients sent that passed its checks and went to the leader. */
  public long received() {
    return received.get();
  }

  /** Chat messages of this server's clients that were sequenced and delivered here: accepted. */
  public long accepted() {
    return accepted.get();
  }

  /** Chat messages handed to this server's clients, one per recipient. */
  public long delivered() {
    return delivered.get();
  }

  /** Stream entries (chats, joins, leaves, ...) this server delivered from the sequenced stream. */
  public long entriesDelivered() {
    return entries.get();
  }

  /** Requests this server refused ({@link ServerEvent.Refused}) or rejected ({@link ServerEvent.Rejected}), by reason. */
  public Map<ServerEvent.Reason, Long> refusals() {
    Map<ServerEvent.Reason, Long> byReason = new EnumMap<>(ServerEvent.Reason.class);
    for (ServerEvent.Reason reason : ServerEvent.Reason.values()) {
      byReason.put(reason, refusals.get(reason.ordinal()));
    }
    return byReason;
  }

  /**
   * From a client's send reaching this server to this server delivering it from the sequenced
   * stream (the moment the client is told it was accepted), on this server's clock. At most one
   * message per session is timed at a time: a sample, not every message.
   */
  public LatencyHistogram acceptLatency() {
    return acceptLatency;
  }

  void countReceived() {
    bump(received);
  }

  void countAccepted() {
    bump(accepted);
  }

  void countDelivered() {
    bump(delivered);
  }

  void countEntry() {
    bump(entries);
  }

  void countRefusal(ServerEvent.Reason reason) {
    int i = reason.ordinal();
    refusals.lazySet(i, refusals.get(i) + 1);
  }

  private static void bump(AtomicLong counter) {
    counter.lazySet(counter.get() + 1);
  }
}
