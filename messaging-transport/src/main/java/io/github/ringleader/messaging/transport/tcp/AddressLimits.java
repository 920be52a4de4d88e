package io.github.ringleader.messaging.transport.tcp;

import java.net.InetAddress;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * What one source address may take of a {@link TcpClientServer}, decided at accept: at most
 * {@code maxOpen} connections open at once, and new connections no faster than {@code
 * joinsPerSecond} on average after a burst of {@code joinBurst} (a {@link TokenBucket} per
 * address). Pure bookkeeping on the times it is given; not thread-safe (the selector thread owns
 * it).
 *
 * <p><b>Bounded state.</b> An address is kept while it has a connection open (at most the
 * server's {@code maxConnections} of those) or while its join bucket is not full again. Once the
 * bucket is full and nothing is open, the entry carries no information (a fresh entry would be
 * the same), so {@link #forgetRested} drops it. Addresses with nothing open but a bucket still
 * refilling are at most {@code maxResting}: beyond that the one that has rested longest is
 * forgotten early, which gives that address a full burst a little sooner; an attacker needs more
 * than {@code maxResting} addresses to get it, and each of them is still held to the burst.
 */
final class AddressLimits {
  /** Why {@link #admit} turned a connection away, or that it did not. */
  enum Admission {
    ADMITTED,
    TOO_MANY_OPEN,
    TOO_MANY_JOINS
  }

  private static final class Entry {
    int open;
    final @Nullable TokenBucket joins;

    Entry(@Nullable TokenBucket joins) {
      this.joins = joins;
    }

    boolean rested(long nowNanos) {
      TokenBucket bucket = joins;
      return bucket == null || bucket.isFull(nowNanos);
    }
  }

  private final int maxOpen;
  private final int joinsPerSecond;
  private final int joinBurst;
  private final int maxResting;
  private final Map<InetAddress, Entry> entries = new HashMap<>();
  /** Addresses with nothing open whose bucket is refilling, longest resting first. */
  private final Set<InetAddress> resting = new LinkedHashSet<>();

  /**
   * @param maxOpen connections open at once from one address, at least 1
   * @param joinsPerSecond new connections a second from one address on average; 0 = no limit
   * @param joinBurst new connections one address may make back to back, at least 1
   * @param maxResting addresses with nothing open kept for their join rate, at least 1
   */
  AddressLimits(int maxOpen, int joinsPerSecond, int joinBurst, int maxResting) {
    if (maxOpen < 1 || joinsPerSecond < 0 || joinBurst < 1 || maxResting < 1) {
      throw new IllegalArgumentException(
          "maxOpen, joinBurst and maxResting must be >= 1 and joinsPerSecond >= 0, were " + maxOpen
              + ", " + joinBurst + ", " + maxResting + " and " + joinsPerSecond);
    }
    this.maxOpen = maxOpen;
    this.joinsPerSecond = joinsPerSecond;
    this.joinBurst = joinBurst;
    this.maxResting = maxResting;
  }

  /**
   * Decides on a new connection from {@code address} at {@code nowNanos}. Admitted, it counts as
   * open (until {@link #closed}) and takes a join; refused, it takes nothing, so an address held
   * at its rate gets one connection in each time it earns one.
   */
  Admission admit(InetAddress address, long nowNanos) {
    Entry entry = entries.get(address);
    if (entry != null && entry.open >= maxOpen) {
      return Admission.TOO_MANY_OPEN;
    }
    if (entry == null) {
      entry = new Entry(
          joinsPerSecond == 0 ? null : new TokenBucket(joinsPerSecond, joinBurst, nowNanos));
    }
    TokenBucket bucket = entry.joins;
    if (bucket != null && bucket.take(nowNanos) > 0) {
      return Admission.TOO_MANY_JOINS; // a refused newcomer's entry was never stored
    }
    if (entry.open++ == 0) {
      resting.remove(address);
      entries.put(address, entry);
    }
    return Admission.ADMITTED;
  }

  /** One of {@code address}'s admitted connections ended. */
  void closed(InetAddress address, long nowNanos) {
    Entry entry = entries.get(address);
    if (entry == null || --entry.open > 0) {
      return;
    }
    if (entry.rested(nowNanos)) {
      entries.remove(address);
      return;
    }
    resting.add(address);
    if (resting.size() > maxResting) {
      Iterator<InetAddress> eldest = resting.iterator();
      entries.remove(eldest.next());
      eldest.remove();
    }
  }

  /** Drops the addresses with nothing open whose bucket is full again. */
  void forgetRested(long nowNanos) {
    for (Iterator<InetAddress> it = resting.iterator(); it.hasNext(); ) {
      InetAddress address = it.next();
      Entry entry = entries.get(address);
      if (entry == null || entry.rested(nowNanos)) {
        entries.remove(address);
        it.remove();
      }
    }
  }

  /** Connections open from {@code address}. */
  int open(InetAddress address) {
    Entry entry = entries.get(address);
    return entry == null ? 0 : entry.open;
  }

  /** Addresses kept now, open or resting. */
  int tracked() {
    return entries.size();
  }

  int maxOpen() {
    return maxOpen;
  }

  int joinsPerSecond() {
    return joinsPerSecond;
  }
}
