package io.github.ringleader.messaging.node;

import io.github.ringleader.messaging.loop.Ticking;

/**
 * When a running node heartbeats: once when it starts running, then every interval. The schedule
 * keeps to the interval's grid (a late beat does not push the next ones back) unless the node fell
 * a whole interval behind, when it starts afresh from now rather than sending a burst. What a
 * heartbeat says, and sending it, are the node's.
 */
final class Heartbeater implements Ticking {
  private final long intervalNanos;
  private final Runnable sendHeartbeat;
  private long nextNanos = NONE;

  /**
   * @param intervalNanos the heartbeat interval, {@code > 0}
   * @param sendHeartbeat sends one heartbeat to all
   */
  Heartbeater(long intervalNanos, Runnable sendHeartbeat) {
    if (intervalNanos <= 0) {
      throw new IllegalArgumentException("intervalNanos must be > 0, was " + intervalNanos);
    }
    this.intervalNanos = intervalNanos;
    this.sendHeartbeat = sendHeartbeat;
  }

  /** The node runs: the first heartbeat goes now. */
  void start(long nowNanos) {
    beat(nowNanos);
  }

  @Override
  public long nextDeadlineNanos() {
    return nextNanos;
  }

  @Override
  public void onTick(long nowNanos) {
    if (nowNanos >= nextNanos) {
      beat(nowNanos);
    }
  }

  private void beat(long nowNanos) {
    sendHeartbeat.run();
    nextNanos = nextNanos == NONE || nowNanos - nextNanos >= intervalNanos
        ? nowNanos + intervalNanos
        : nextNanos + intervalNanos;
  }
}
