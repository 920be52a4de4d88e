package io.github.ringleader.messaging.routing;

import io.github.ringleader.messaging.node.NodeId;
import java.util.Objects;

/**
 * The settings of one server's {@link Router}: who it is, how many clients it takes, and its
 * timings in nanoseconds. Immutable; made with {@link #builder(NodeId)}.
 *
 * <p>The router's collaborators (where it sends, what it asks the node) are not settings and are
 * passed to {@link Router#Router} beside this.
 */
public final class RoutingConfig {
  private final NodeId self;
  private final int capacity;
  private final long retryNanos;
  private final long stateIntervalNanos;
  private final long graceNanos;

  private RoutingConfig(Builder builder) {
    this.self = builder.self;
    this.capacity = builder.capacity;
    this.retryNanos = builder.retryNanos;
    this.stateIntervalNanos = builder.stateIntervalNanos;
    this.graceNanos = builder.graceNanos;
  }

  /** A builder for the server {@code self}; capacity, retry and state interval must be set. */
  public static Builder builder(NodeId self) {
    return new Builder(self);
  }

  /** This server. */
  public NodeId self() {
    return self;
  }

  /** The most clients this server takes; beyond it, it turns clients away. */
  public int capacity() {
    return capacity;
  }

  /**
   * The retry interval: how long before a request not yet delivered is forwarded to the leader
   * again, a gap in the stream is asked for again, and (while leading) a stream message resent.
   */
  public long retryNanos() {
    return retryNanos;
  }

  /**
   * While this server leads: how often its sequencer announces the stream's state when all is
   * stable and delivered (otherwise it does so every retry interval).
   */
  public long stateIntervalNanos() {
    return stateIntervalNanos;
  }

  /**
   * How long the cluster holds the session of a client that lost its connection or its server,
   * for the client to resume it; 0 (the default) ends such sessions at once.
   */
  public long graceNanos() {
    return graceNanos;
  }

  @Override
  public String toString() {
    return "RoutingConfig[self=" + self + ", capacity=" + capacity + ", retryNanos=" + retryNanos
        + ", stateIntervalNanos=" + stateIntervalNanos + ", graceNanos=" + graceNanos + "]";
  }

  /** Builds a {@link RoutingConfig}. */
  public static final class Builder {
    private static final long UNSET = -1;

    private final NodeId self;
    private int capacity = (int) UNSET;
    private long retryNanos = UNSET;
    private long stateIntervalNanos = UNSET;
    private long graceNanos;

    private Builder(NodeId self) {
      this.self = Objects.requireNonNull(self, "self");
    }

    /** Required; at least 0. */
    public Builder capacity(int capacity) {
      if (capacity < 0) {
        throw new IllegalArgumentException("capacity must be at least 0, was " + capacity);
      }
      this.capacity = capacity;
      return this;
    }

    /** Required; positive. */
    public Builder retryNanos(long retryNanos) {
      this.retryNanos = positive("retryNanos", retryNanos);
      return this;
    }

    /** Required; positive. */
    public Builder stateIntervalNanos(long stateIntervalNanos) {
      this.stateIntervalNanos = positive("stateIntervalNanos", stateIntervalNanos);
      return this;
    }

    /** Optional, 0 unless set; at least 0. */
    public Builder graceNanos(long graceNanos) {
      if (graceNanos < 0) {
        throw new IllegalArgumentException("graceNanos must be at least 0, was " + graceNanos);
      }
      this.graceNanos = graceNanos;
      return this;
    }

    /**
     * @throws IllegalStateException if capacity, retry or state interval was not set
     */
    public RoutingConfig build() {
      if (capacity == UNSET || retryNanos == UNSET || stateIntervalNanos == UNSET) {
        throw new IllegalStateException(
            "capacity, retryNanos and stateIntervalNanos must be set: capacity=" + capacity
                + ", retryNanos=" + retryNanos + ", stateIntervalNanos=" + stateIntervalNanos);
      }
      return new RoutingConfig(this);
    }

    private static long positive(String name, long value) {
      if (value <= 0) {
        throw new IllegalArgumentException(name + " must be positive, was " + value);
      }
      return value;
    }
  }
}
