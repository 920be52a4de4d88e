package io.github.ringleader.messaging.transport.udp;

import java.time.Duration;

/**
 * Decides when to log the one "no other server heard" hint: once, if {@code silenceNanos} pass
 * after start without an accepted datagram from any address but the transport's own. Pure: time
 * comes in as {@code nowNanos}, so a test steps it by hand. Not thread-safe; the I/O thread owns
 * it.
 *
 * <p>Only datagrams the node accepted count as "heard": garbage from some other program on the
 * group, or frames of another cluster or under another key, are not a server of this cluster, and
 * a working cluster is what the hint is about.
 */
final class SilenceHint {
  private final long startNanos;
  private final long silenceNanos;
  private boolean heard;
  private boolean warned;

  /**
   * @param startNanos when the transport started, on the same clock as later {@code nowNanos}
   * @param silence how long to wait; zero disables the hint
   */
  SilenceHint(long startNanos, Duration silence) {
    this.startNanos = startNanos;
    this.silenceNanos = silence.toNanos();
  }

  /** The node accepted a datagram from another address than the transport's own. */
  void onHeardOther() {
    heard = true;
  }

  /** Whether the hint is due now; true at most once in the life of this object. */
  boolean shouldWarn(long nowNanos) {
    if (!pending() || nowNanos - startNanos < silenceNanos) {
      return false;
    }
    warned = true;
    return true;
  }

  /** When {@link #shouldWarn} may turn true, or {@link Long#MAX_VALUE} if it never will now. */
  long deadlineNanos() {
    return pending() ? startNanos + silenceNanos : Long.MAX_VALUE;
  }

  private boolean pending() {
    return silenceNanos > 0 && !heard && !warned;
  }

  /** The hint's text, e.g. for the defaults and 10 s: {@code no other server heard on ...}. */
  static String message(String group, int port, String interfaceName, Duration silence) {
    return "no other server heard on "
        + group
        + ":"
        + port
        + " via "
        + interfaceName
        + " for "
        + format(silence)
        + "; if other servers run, multicast may be blocked on this network — see"
        + " docs/operations.md";
  }

  /** "10 s" for whole seconds, "250 ms" otherwise. */
  static String format(Duration duration) {
    long millis = duration.toMillis();
    return millis % 1000 == 0 ? millis / 1000 + " s" : millis + " ms";
  }
}
