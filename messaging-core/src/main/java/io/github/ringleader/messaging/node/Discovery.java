package io.github.ringleader.messaging.node;

import io.github.ringleader.messaging.loop.Ticking;

/**
 * A starting node's discovery window: it probes {@link #PROBES} times, spread over the window
 * (against loss), so that running servers answer with their heartbeats, and when the window closes
 * the node runs. What it sends and what closing the window does are its {@link Host}'s.
 */
final class Discovery implements Ticking {
  /** How many times the start-up probe is sent during the discovery window, against loss. */
  static final int PROBES = 3;

  /** What discovery asks of its node. */
  interface Host {
    /** Sends the probe (a {@code Discover}) to all. */
    void sendProbe();

    /** The window is over: the node runs. */
    void windowClosed(long nowNanos);
  }

  private final long windowNanos;
  private final Host host;
  private long endsNanos = NONE;
  private long nextProbeNanos = NONE;
  private int probesLeft;

  /** @param windowNanos how long a starting node listens, {@code >= 0} (0: it runs at once) */
  Discovery(long windowNanos, Host host) {
    if (windowNanos < 0) {
      throw new IllegalArgumentException("windowNanos must be >= 0, was " + windowNanos);
    }
    this.windowNanos = windowNanos;
    this.host = host;
  }

  /** Opens the window and sends the first probe; with a window of 0 the node runs at once. */
  void start(long nowNanos) {
    if (windowNanos == 0) {
      host.windowClosed(nowNanos);
      return;
    }
    endsNanos = nowNanos + windowNanos;
    probesLeft = PROBES;
    probe(nowNanos);
  }

  /** Whether the window is open. */
  boolean isOpen() {
    return endsNanos != NONE;
  }

  @Override
  public long nextDeadlineNanos() {
    return Math.min(endsNanos, nextProbeNanos);
  }

  /** Closes the window once it has passed; until then sends the probes that are due. */
  @Override
  public void onTick(long nowNanos) {
    if (nowNanos >= endsNanos) {
      endsNanos = NONE;
      nextProbeNanos = NONE;
      host.windowClosed(nowNanos);
    } else if (nowNanos >= nextProbeNanos) {
      probe(nowNanos);
    }
  }

  private void probe(long nowNanos) {
    probesLeft--;
    nextProbeNanos = probesLeft > 0 ? nowNanos + windowNanos / PROBES : NONE;
    host.sendProbe();
  }
}
