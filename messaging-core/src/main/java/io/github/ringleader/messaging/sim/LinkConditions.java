package io.github.ringleader.messaging.sim;

import java.time.Duration;

/**
 * How a simulated link treats each message: a latency drawn uniformly from
 * {@code [minLatency, maxLatency]} (so messages overtake each other), and independent chances of
 * loss, duplication (a second copy with its own latency) and reordering (an extra delay of up to
 * ten times {@code maxLatency}, so later messages overtake it).
 *
 * @param minLatency the least one-way latency
 * @param maxLatency the most one-way latency before any reordering delay
 * @param lossRate chance in [0, 1] that a message is lost
 * @param duplicateRate chance in [0, 1] that a message arrives twice
 * @param reorderRate chance in [0, 1] that a message is held back
 */
public record LinkConditions(
    Duration minLatency,
    Duration maxLatency,
    double lossRate,
    double duplicateRate,
    double reorderRate) {

  /** One millisecond of latency, no loss, no duplication, no reordering. */
  public static final LinkConditions PERFECT =
      new LinkConditions(Duration.ofMillis(1), Duration.ofMillis(1), 0, 0, 0);

  public LinkConditions {
    if (minLatency.isNegative()) {
      throw new IllegalArgumentException("minLatency must be >= 0, was " + minLatency);
    }
    if (maxLatency.compareTo(minLatency) < 0) {
      throw new IllegalArgumentException(
          "maxLatency must be >= minLatency (" + minLatency + "), was " + maxLatency);
    }
    probability("lossRate", lossRate);
    probability("duplicateRate", duplicateRate);
    probability("reorderRate", reorderRate);
  }

  private static void probability(String name, double value) {
    if (!(value >= 0 && value <= 1)) {
      throw new IllegalArgumentException(name + " must be in [0, 1], was " + value);
    }
  }

  public LinkConditions withLatency(Duration min, Duration max) {
    return new LinkConditions(min, max, lossRate, duplicateRate, reorderRate);
  }

  public LinkConditions withLossRate(double rate) {
    return new LinkConditions(minLatency, maxLatency, rate, duplicateRate, reorderRate);
  }

  public LinkConditions withDuplicateRate(double rate) {
    return new LinkConditions(minLatency, maxLatency, lossRate, rate, reorderRate);
  }

  public LinkConditions withReorderRate(double rate) {
    return new LinkConditions(minLatency, maxLatency, lossRate, duplicateRate, rate);
  }
}
