package io.github.ringleader.messaging.transport.tcp;

/**
 * A token bucket of {@code burst} tokens refilled at {@code perSecond}, kept as one number: the
 * time at which the bucket would be full again if nothing more were taken (the "theoretical
 * arrival time" of the generic cell rate algorithm). Pure arithmetic on the nanosecond times it is
 * given; not thread-safe (one connection's bucket belongs to the selector thread).
 *
 * <p>Times are {@link System#nanoTime()}-style: only differences count, and they may wrap.
 */
final class TokenBucket {
  private final long intervalNanos;
  private final long toleranceNanos;
  /** When the bucket would be full again if nothing more were taken; at or before now: full. */
  private long fullAtNanos;

  /**
   * A full bucket at {@code nowNanos}.
   *
   * @param perSecond tokens added per second, at least 1
   * @param burst tokens the bucket holds, at least 1
   */
  TokenBucket(int perSecond, int burst, long nowNanos) {
    if (perSecond < 1 || burst < 1) {
      throw new IllegalArgumentException(
          "perSecond and burst must be >= 1, were " + perSecond + " and " + burst);
    }
    this.intervalNanos = Math.max(1, 1_000_000_000L / perSecond);
    this.toleranceNanos = (burst - 1) * intervalNanos;
    this.fullAtNanos = nowNanos;
  }

  /**
   * Takes a token if there is one.
   *
   * @return 0 when a token was taken; otherwise how many nanoseconds from {@code nowNanos} until
   *     one will be there (and nothing was taken)
   */
  long take(long nowNanos) {
    long from = fullAtNanos - nowNanos < 0 ? nowNanos : fullAtNanos;
    long wait = from - nowNanos - toleranceNanos;
    if (wait > 0) {
      return wait;
    }
    fullAtNanos = from + intervalNanos;
    return 0;
  }

  /** Whether the bucket holds all its tokens at {@code nowNanos}: as if it had never been used. */
  boolean isFull(long nowNanos) {
    return fullAtNanos - nowNanos <= 0;
  }
}
