package io.github.ringleader.messaging.transport.tcp;

import java.time.Duration;
import java.util.Objects;

/**
 * Settings of a {@link TcpClientServer}. Immutable; build with {@link #builder()}. Every bound has
 * a safe default, so one client cannot exhaust a server.
 */
public final class TcpServerConfig {
  /** Frames queued for one client before it is disconnected as a slow reader. */
  public static final int DEFAULT_MAX_QUEUED_FRAMES = 1024;

  /** Bytes queued for one client before it is disconnected as a slow reader. */
  public static final long DEFAULT_MAX_QUEUED_BYTES = 1024 * 1024;

  /** A connection that sends nothing for this long is closed. */
  public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(60);

  /** Open connections beyond which new ones are closed at once. */
  public static final int DEFAULT_MAX_CONNECTIONS = 10_000;

  /** How long a closing connection may take to flush its last frames (its goodbye). */
  public static final Duration DEFAULT_CLOSE_GRACE = Duration.ofSeconds(1);

  private final String host;
  private final int port;
  private final int maxQueuedFrames;
  private final long maxQueuedBytes;
  private final Duration idleTimeout;
  private final int maxConnections;
  private final Duration closeGrace;
  private final int socketSendBufferBytes;

  private TcpServerConfig(Builder b) {
    this.host = b.host;
    this.port = b.port;
    this.maxQueuedFrames = b.maxQueuedFrames;
    this.maxQueuedBytes = b.maxQueuedBytes;
    this.idleTimeout = b.idleTimeout;
    this.maxConnections = b.maxConnections;
    this.closeGrace = b.closeGrace;
    this.socketSendBufferBytes = b.socketSendBufferBytes;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The address to bind; {@code 127.0.0.1} by default, so nothing is exposed by accident. */
  public String host() {
    return host;
  }

  /** The port to bind; 0 picks a free one (see {@link TcpClientServer#localPort()}). */
  public int port() {
    return port;
  }

  public int maxQueuedFrames() {
    return maxQueuedFrames;
  }

  public long maxQueuedBytes() {
    return maxQueuedBytes;
  }

  /** Zero means connections are never closed for being quiet. */
  public Duration idleTimeout() {
    return idleTimeout;
  }

  public int maxConnections() {
    return maxConnections;
  }

  public Duration closeGrace() {
    return closeGrace;
  }

  /** The SO_SNDBUF of each client socket, or 0 for the operating system's default. */
  public int socketSendBufferBytes() {
    return socketSendBufferBytes;
  }

  @Override
  public String toString() {
    return "TcpServerConfig{host=" + host + ", port=" + port + ", maxQueuedFrames="
        + maxQueuedFrames + ", maxQueuedBytes=" + maxQueuedBytes + ", idleTimeout=" + idleTimeout
        + ", maxConnections=" + maxConnections + ", closeGrace=" + closeGrace
        + ", socketSendBufferBytes=" + socketSendBufferBytes + "}";
  }

  /** Builds a {@link TcpServerConfig}; every setter checks its value and names it when wrong. */
  public static final class Builder {
    private String host = "127.0.0.1";
    private int port;
    private int maxQueuedFrames = DEFAULT_MAX_QUEUED_FRAMES;
    private long maxQueuedBytes = DEFAULT_MAX_QUEUED_BYTES;
    private Duration idleTimeout = DEFAULT_IDLE_TIMEOUT;
    private int maxConnections = DEFAULT_MAX_CONNECTIONS;
    private Duration closeGrace = DEFAULT_CLOSE_GRACE;
    private int socketSendBufferBytes;

    private Builder() {}

    public Builder host(String host) {
      this.host = Objects.requireNonNull(host, "host");
      return this;
    }

    public Builder port(int port) {
      if (port < 0 || port > 65_535) {
        throw new IllegalArgumentException("port must be in 0..65535, was " + port);
      }
      this.port = port;
      return this;
    }

    public Builder maxQueuedFrames(int maxQueuedFrames) {
      if (maxQueuedFrames < 1) {
        throw new IllegalArgumentException("maxQueuedFrames must be >= 1, was " + maxQueuedFrames);
      }
      this.maxQueuedFrames = maxQueuedFrames;
      return this;
    }

    public Builder maxQueuedBytes(long maxQueuedBytes) {
      if (maxQueuedBytes < io.github.ringleader.messaging.protocol.ClientCodec.MAX_CLIENT_FRAME_BYTES) {
        throw new IllegalArgumentException(
            "maxQueuedBytes must be >= one frame (16384), was " + maxQueuedBytes);
      }
      this.maxQueuedBytes = maxQueuedBytes;
      return this;
    }

    public Builder idleTimeout(Duration idleTimeout) {
      if (idleTimeout.isNegative()) {
        throw new IllegalArgumentException("idleTimeout must be >= 0, was " + idleTimeout);
      }
      this.idleTimeout = idleTimeout;
      return this;
    }

    public Builder maxConnections(int maxConnections) {
      if (maxConnections < 1) {
        throw new IllegalArgumentException("maxConnections must be >= 1, was " + maxConnections);
      }
      this.maxConnections = maxConnections;
      return this;
    }

    public Builder closeGrace(Duration closeGrace) {
      if (closeGrace.isNegative() || closeGrace.isZero()) {
        throw new IllegalArgumentException("closeGrace must be > 0, was " + closeGrace);
      }
      this.closeGrace = closeGrace;
      return this;
    }

    public Builder socketSendBufferBytes(int socketSendBufferBytes) {
      if (socketSendBufferBytes < 0) {
        throw new IllegalArgumentException(
            "socketSendBufferBytes must be >= 0, was " + socketSendBufferBytes);
      }
      this.socketSendBufferBytes = socketSendBufferBytes;
      return this;
    }

    public TcpServerConfig build() {
      return new TcpServerConfig(this);
    }
  }
}
