package io.github.ringleader.messaging.metrics;

/**
 * The rate of one growing counter over a sliding window: the owner {@link #sample}s the counter
 * now and then (the node does so at most once a second, on its event loop), and {@link #perSecond}
 * compares the counter's current value with the newest sample at least a window old — or the
 * oldest sample while the window is not yet full. With samples a second apart and a 5 s window, a
 * rate covers the last 5 to 6 seconds (up to a heartbeat interval more when the node is idle and
 * wakes less often).
 *
 * <p><b>Threads.</b> Safe for any thread; the few samples are guarded by this object's lock, which
 * is taken at most once a second by the writer.
 */
public final class RateWindow {
  private final long windowNanos;
  private final long[] times;
  private final long[] values;
  private int size;
  private int newest = -1;

  /**
   * @param windowNanos how far back the rate looks
   * @param samples how many samples to keep: at least window / sampling interval + 2
   */
  public RateWindow(long windowNanos, int samples) {
    if (windowNanos <= 0 || samples < 2) {
      throw new IllegalArgumentException(
          "windowNanos must be > 0 and samples >= 2, were " + windowNanos + " and " + samples);
    }
    this.windowNanos = windowNanos;
    this.times = new long[samples];
    this.values = new long[samples];
  }

  /** Records that the counter was {@code value} at {@code nowNanos} (times must not go back). */
  public synchronized void sample(long nowNanos, long value) {
    newest = (newest + 1) % times.length;
    times[newest] = nowNanos;
    values[newest] = value;
    size = Math.min(size + 1, times.length);
  }

  /** The counter's growth per second up to {@code nowNanos}, when it is {@code current}; 0 if unknown. */
  public synchronized double perSecond(long nowNanos, long current) {
    if (size == 0) {
      return 0;
    }
    int pick = (newest - size + 1 + times.length) % times.length; // the oldest
    for (int k = 0; k < size; k++) {
      int i = (newest - k + times.length) % times.length;
      if (nowNanos - times[i] >= windowNanos) {
        pick = i;
        break;
      }
    }
    long elapsed = nowNanos - times[pick];
    if (elapsed <= 0) {
      return 0;
    }
    return (current - values[pick]) * 1e9 / elapsed;
  }
}
