package io.github.ringleader.messaging.metrics;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A latency histogram with fixed, log-scale buckets (1-2.5-5 steps from 100 µs to 10 s, then
 * everything longer): cheap enough to record on the event loop — no allocation, no lock, a short
 * scan of 16 bounds.
 *
 * <p><b>Threads.</b> One writer: {@link #record} must be called from one thread at a time (the
 * node's event loop). {@link #snapshot} may be called from any thread; it reads each bucket on its
 * own, so a snapshot taken while values are recorded may be off by the values recorded meanwhile
 * (its {@code count} is read last and so is never less than the sum of the buckets read).
 */
public final class LatencyHistogram {
  /** The buckets' upper bounds (inclusive), in nanoseconds; a last bucket takes the rest. */
  static final long[] BOUNDS_NANOS = {
    100_000L, 250_000L, 500_000L,
    1_000_000L, 2_500_000L, 5_000_000L,
    10_000_000L, 25_000_000L, 50_000_000L,
    100_000_000L, 250_000_000L, 500_000_000L,
    1_000_000_000L, 2_500_000_000L, 5_000_000_000L,
    10_000_000_000L
  };

  private static final List<Long> BOUNDS = boundsList();

  private final AtomicLongArray buckets = new AtomicLongArray(BOUNDS_NANOS.length + 1);
  private final AtomicLong sumNanos = new AtomicLong();
  private final AtomicLong count = new AtomicLong();

  /** An empty histogram (the examples' bench records its own round trips in one). */
  public LatencyHistogram() {}

  /** Records one latency; a negative one (a clock that went back) counts as 0. */
  public void record(long nanos) {
    long value = Math.max(0, nanos);
    int i = 0;
    while (i < BOUNDS_NANOS.length && value > BOUNDS_NANOS[i]) {
      i++;
    }
    // Single writer: a plain read-modify-write published with release semantics is enough.
    buckets.lazySet(i, buckets.get(i) + 1);
    sumNanos.lazySet(sumNanos.get() + value);
    count.lazySet(count.get() + 1);
  }

  /** The counts so far. */
  public Snapshot snapshot() {
    List<Long> counts = new ArrayList<>(BOUNDS_NANOS.length + 1);
    long total = 0;
    for (int i = 0; i < BOUNDS_NANOS.length + 1; i++) {
      long c = buckets.get(i);
      counts.add(c);
      total += c;
    }
    return new Snapshot(BOUNDS, counts, sumNanos.get(), Math.max(total, count.get()));
  }

  private static List<Long> boundsList() {
    List<Long> bounds = new ArrayList<>(BOUNDS_NANOS.length);
    for (long bound : BOUNDS_NANOS) {
      bounds.add(bound);
    }
    return Collections.unmodifiableList(bounds);
  }

  /**
   * The histogram at one moment.
   *
   * @param boundsNanos the buckets' upper bounds, inclusive, ascending, in nanoseconds
   * @param counts values per bucket (not cumulative): one more than there are bounds, the last
   *     for values above the highest bound
   * @param sumNanos the sum of all values recorded
   * @param count how many values were recorded
   */
  public record Snapshot(List<Long> boundsNanos, List<Long> counts, long sumNanos, long count) {
    public Snapshot {
      boundsNanos = List.copyOf(boundsNanos);
      counts = List.copyOf(counts);
      if (counts.size() != boundsNanos.size() + 1) {
        throw new IllegalArgumentException("counts must have one more entry than boundsNanos, had "
            + counts.size() + " for " + boundsNanos.size() + " bounds");
      }
    }

    /** An empty histogram with the standard buckets. */
    public static Snapshot empty() {
      return new LatencyHistogram().snapshot();
    }

    /** Values at most {@code boundsNanos().get(i)} (Prometheus' {@code le} buckets). */
    public long cumulative(int i) {
      long sum = 0;
      for (int j = 0; j <= i; j++) {
        sum += counts.get(j);
      }
      return sum;
    }

    /**
     * The upper bound of the bucket that holds quantile {@code q} (0..1) — an upper estimate of
     * that quantile — or -1 if nothing was recorded or it lies above the highest bound.
     */
    public long quantileUpperBoundNanos(double q) {
      long total = cumulative(counts.size() - 1);
      if (total == 0) {
        return -1;
      }
      long rank = (long) Math.ceil(q * total);
      long seen = 0;
      for (int i = 0; i < boundsNanos.size(); i++) {
        seen += counts.get(i);
        if (seen >= Math.max(1, rank)) {
          return boundsNanos.get(i);
        }
      }
      return -1;
    }
  }
}
