package io.github.ringleader.messaging.routing;

/**
 * Stream epochs: a leader of election term {@code t} starts epochs {@code t·2^20 + k}, k = 0, 1,
 * 2, … — one at each flush (on winning, and at every membership change it sees). So epochs grow
 * with terms, and a leader can start many without an election.
 */
public final class Epochs {
  static final int FLUSH_BITS = 20;

  private Epochs() {}

  /** The {@code flush}-th epoch of term {@code term}. */
  public static long of(long term, int flush) {
    return (term << FLUSH_BITS) + flush;
  }

  /** The election term that started {@code epoch}. */
  public static long term(long epoch) {
    return epoch >>> FLUSH_BITS;
  }

  /** Readable form: {@code 3.1} is the second epoch of term 3. */
  public static String format(long epoch) {
    return term(epoch) + "." + (epoch & ((1L << FLUSH_BITS) - 1));
  }
}
