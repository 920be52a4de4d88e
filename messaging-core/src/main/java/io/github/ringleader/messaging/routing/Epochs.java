package io.github.ringleader.messaging.routing;

import io.github.ringleader.messaging.node.NodeId;

/**
 * Stream epochs. A leader starts a new epoch at each flush: when it wins an election and at every
 * membership change it sees. An epoch id packs, from the high bits down:
 *
 * <ul>
 *   <li>the election term (24 bits), so epochs of a later term are greater;
 *   <li>a 24-bit hash of the leader's id and incarnation, because two sides of a partition elect
 *       separately and may each reach the same term — their epochs must not share an id;
 *   <li>the leader's flush count within the term (16 bits).
 * </ul>
 */
public final class Epochs {
  static final int FLUSH_BITS = 16;
  static final int LEADER_BITS = 24;
  static final int TERM_BITS = 24;

  private Epochs() {}

  /** The {@code flush}-th epoch that {@code leader} (in {@code incarnation}) starts in {@code term}. */
  public static long of(long term, NodeId leader, long incarnation, int flush) {
    long leaderHash = mix(leader.value().hashCode() * 0x9E3779B97F4A7C15L ^ incarnation)
        & ((1L << LEADER_BITS) - 1);
    long termBits = term & ((1L << TERM_BITS) - 1);
    return (termBits << (LEADER_BITS + FLUSH_BITS))
        | (leaderHash << FLUSH_BITS)
        | (flush & ((1L << FLUSH_BITS) - 1));
  }

  private static long mix(long x) {
    x ^= x >>> 33;
    x *= 0xff51afd7ed558ccdL;
    x ^= x >>> 33;
    return x;
  }

  /**
   * Whether {@code a} comes before {@code b} in one leader's sequence of flushes (same term, same
   * leader). Epochs of different leaders do not compare.
   */
  public static boolean earlierFlushOfSameLeader(long a, long b) {
    return (a >>> FLUSH_BITS) == (b >>> FLUSH_BITS) && a < b;
  }

  /** The election term that started {@code epoch} (modulo 2^24). */
  public static long term(long epoch) {
    return epoch >>> (LEADER_BITS + FLUSH_BITS);
  }

  /** Readable form: {@code 3.1@a4f2c1} is the second flush of term 3 by the leader hashed a4f2c1. */
  public static String format(long epoch) {
    return term(epoch)
        + "."
        + (epoch & ((1L << FLUSH_BITS) - 1))
        + "@"
        + Long.toHexString((epoch >>> FLUSH_BITS) & ((1L << LEADER_BITS) - 1));
  }
}
