package io.github.ringleader.messaging.transport.tcp;

import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Settings of a {@link TcpClientServer}. Immutable; build with {@link #builder()}. Every bound has
 * a safe default, so one client cannot exhaust a server.
 */
public final class TcpServerConfig {
  /** Frames queued for one client before it is disconnected as a slow reader. */
  public static final int DEFAULT_MAX_QUEUED_FRAMES = 32_768;

  /** Bytes queued for one client before it is disconnected as a slow reader. */
  public static final long DEFAULT_MAX_QUEUED_BYTES = 4 * 1024 * 1024;

  /** A connection that sends nothing for this long is closed. */
  public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(60);

  /** Open connections beyond which new ones are closed at once. */
  public static final int DEFAULT_MAX_CONNECTIONS = 10_000;

  /**
   * Open connections from one address beyond which new ones from it are refused. Above what one
   * host needs (a person runs a client or two; a test or a benchmark on one machine runs a few
   * dozen), far below {@link #DEFAULT_MAX_CONNECTIONS}, so a single address cannot take a server's
   * every connection. Hosts behind one NAT share it: raise it for them.
   */
  public static final int DEFAULT_MAX_CONNECTIONS_PER_ADDRESS = 64;

  /**
   * New connections one address may open per second on average (after {@link
   * #DEFAULT_JOIN_BURST_PER_ADDRESS} at once). A person (re)connects a few times a minute and a
   * client library retries at most a few times a second; far below what it takes to churn a
   * server's names and connection set from one address (connect, join, leave, again).
   */
  public static final int DEFAULT_MAX_JOINS_PER_SECOND_PER_ADDRESS = 10;

  /** New connections one address may open back to back before its join rate applies. */
  public static final int DEFAULT_JOIN_BURST_PER_ADDRESS = 20;

  /**
   * A connection that has not joined (been welcomed, or resumed its session) this long after it
   * was accepted is closed, whatever it sends meanwhile.
   */
  public static final Duration DEFAULT_HELLO_TIMEOUT = Duration.ofSeconds(10);

  /** How long a closing connection may take to flush its last frames (its goodbye). */
  public static final Duration DEFAULT_CLOSE_GRACE = Duration.ofSeconds(1);

  /**
   * Unanswered sends of one client at which the server stops reading from it. A publisher's
   * throughput is at most this many sends per answer time (256 / 1 ms: 256,000 a second), so the
   * default does not hold back a normal publisher; it bounds the work one client can queue in the
   * cluster (this many times the clients, for a server's clients together).
   */
  public static final int DEFAULT_MAX_IN_FLIGHT_SENDS = 256;

  /**
   * The highest {@link #maxInFlightSends()} allowed: one below the 1,024 unanswered sends per
   * session beyond which a node answers {@code Rejected(BUSY)}, so a client held back by this
   * window is never refused for being too fast.
   */
  public static final int MAX_IN_FLIGHT_SENDS_LIMIT = 1023;

  /**
   * Sends of all a server's clients together that may be in flight (handed to the node, not
   * answered yet); beyond it clients take turns, one send each. Four clients' worth of {@link
   * #DEFAULT_MAX_IN_FLIGHT_SENDS}: enough to keep the node busy (a node takes some tens of
   * thousands of sends a second, and an answer comes in about a millisecond when it is not
   * queued), and so little that a client who sends one message waits behind at most this many
   * sends of this server, plus one per other waiting client, however many clients flood.
   */
  public static final int DEFAULT_MAX_IN_FLIGHT_SENDS_ALL_CLIENTS = 1024;

  /**
   * Requests per second one client may make on average: a guard against a runaway client, far
   * above what one publisher gets through a cluster, so it is never the ceiling of a normal one.
   */
  public static final int DEFAULT_MAX_REQUESTS_PER_SECOND = 200_000;

  /** Requests one client may make at once before its rate applies. */
  public static final int DEFAULT_REQUEST_BURST = 20_000;

  private final String host;
  private final int port;
  private final int maxQueuedFrames;
  private final long maxQueuedBytes;
  private final Duration idleTimeout;
  private final int maxConnections;
  private final int maxConnectionsPerAddress;
  private final int maxJoinsPerSecondPerAddress;
  private final int joinBurstPerAddress;
  private final Duration helloTimeout;
  private final Duration closeGrace;
  private final int socketSendBufferBytes;
  private final int maxInFlightSends;
  private final int maxInFlightSendsAllClients;
  private final int maxRequestsPerSecond;
  private final int requestBurst;
  private final @Nullable TlsServerSettings tls;

  /** A copy of {@code other} with {@code tls} instead of its TLS settings; copies every field. */
  private TcpServerConfig(TcpServerConfig other, @Nullable TlsServerSettings tls) {
    this.host = other.host;
    this.port = other.port;
    this.maxQueuedFrames = other.maxQueuedFrames;
    this.maxQueuedBytes = other.maxQueuedBytes;
    this.idleTimeout = other.idleTimeout;
    this.maxConnections = other.maxConnections;
    this.maxConnectionsPerAddress = other.maxConnectionsPerAddress;
    this.maxJoinsPerSecondPerAddress = other.maxJoinsPerSecondPerAddress;
    this.joinBurstPerAddress = other.joinBurstPerAddress;
    this.helloTimeout = other.helloTimeout;
    this.closeGrace = other.closeGrace;
    this.socketSendBufferBytes = other.socketSendBufferBytes;
    this.maxInFlightSends = other.maxInFlightSends;
    this.maxInFlightSendsAllClients = other.maxInFlightSendsAllClients;
    this.maxRequestsPerSecond = other.maxRequestsPerSecond;
    this.requestBurst = other.requestBurst;
    this.tls = tls;
  }

  private TcpServerConfig(Builder b) {
    this.host = b.host;
    this.port = b.port;
    this.maxQueuedFrames = b.maxQueuedFrames;
    this.maxQueuedBytes = b.maxQueuedBytes;
    this.idleTimeout = b.idleTimeout;
    this.maxConnections = b.maxConnections;
    this.maxConnectionsPerAddress = b.maxConnectionsPerAddress;
    this.maxJoinsPerSecondPerAddress = b.maxJoinsPerSecondPerAddress;
    this.joinBurstPerAddress = b.joinBurstPerAddress;
    this.helloTimeout = b.helloTimeout;
    this.closeGrace = b.closeGrace;
    this.socketSendBufferBytes = b.socketSendBufferBytes;
    this.maxInFlightSends = b.maxInFlightSends;
    this.maxInFlightSendsAllClients = b.maxInFlightSendsAllClients;
    this.maxRequestsPerSecond = b.maxRequestsPerSecond;
    this.requestBurst = b.requestBurst;
    this.tls = b.tls;
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

  /**
   * Open connections from one IP address at most (default {@value
   * #DEFAULT_MAX_CONNECTIONS_PER_ADDRESS}). One more from that address is sent {@code
   * Goodbye("too many connections from <address> (limit <n>)")} and closed at once, before the
   * node hears of it; other addresses are not affected.
   */
  public int maxConnectionsPerAddress() {
    return maxConnectionsPerAddress;
  }

  /**
   * New connections per second one IP address may open on average, counted at accept (default
   * {@value #DEFAULT_MAX_JOINS_PER_SECOND_PER_ADDRESS}; 0 = no limit), after a burst of {@link
   * #joinBurstPerAddress()}. A connection beyond it is sent {@code Goodbye("too many joins from
   * <address>: at most <n> a second")} and closed at once, before the node hears of it; it uses
   * up nothing, so the address gets in again as soon as its rate allows. Every join (Hello or
   * Resume) needs a connection of its own, so this bounds joins too.
   */
  public int maxJoinsPerSecondPerAddress() {
    return maxJoinsPerSecondPerAddress;
  }

  /**
   * New connections one IP address may open back to back before {@link
   * #maxJoinsPerSecondPerAddress()} applies (default {@value #DEFAULT_JOIN_BURST_PER_ADDRESS}).
   * Unused when that rate is unlimited.
   */
  public int joinBurstPerAddress() {
    return joinBurstPerAddress;
  }

  /**
   * How long a connection may take, from being accepted, to join: until the node welcomes it or
   * resumes its session (default 10 s; zero means no deadline). Sending bytes does not extend it,
   * so a connection that never joins cannot be held open by trickling data. A connection past it
   * is sent {@code Goodbye("did not join within <n> ms")} and closed. Separate from {@link
   * #idleTimeout()}, which applies to joined clients too.
   */
  public Duration helloTimeout() {
    return helloTimeout;
  }

  public Duration closeGrace() {
    return closeGrace;
  }

  /** The SO_SNDBUF of each client socket, or 0 for the operating system's default. */
  public int socketSendBufferBytes() {
    return socketSendBufferBytes;
  }

  /**
   * How many of one client's sends may be unanswered at once (default {@value
   * #DEFAULT_MAX_IN_FLIGHT_SENDS}, at most {@value #MAX_IN_FLIGHT_SENDS_LIMIT}). A send counts from
   * when the server hands it to the node until the node answers it ({@code Accepted} or {@code
   * Rejected}). At the bound the server stops reading from that client until answers bring it
   * back below, so TCP flow control slows the client down: nothing is refused, and what the client
   * already sent waits, in order, in its socket.
   */
  public int maxInFlightSends() {
    return maxInFlightSends;
  }

  /**
   * How many sends of all this server's clients together may be unanswered at once (default
   * {@value #DEFAULT_MAX_IN_FLIGHT_SENDS_ALL_CLIENTS}; 0 = no such bound, first come first
   * served). At the bound, and whenever clients are already waiting, a client's next send waits
   * for its turn: turns go round the waiting clients, one send each, as answers come. So a send
   * finds ahead of it in the cluster's queue at most this many sends of this server plus one per
   * client waiting before it, however fast the others send; without turns it was {@link
   * #maxInFlightSends()} per flooding client. A waiting client is not read from, as with {@link
   * #maxInFlightSends()}: nothing is refused.
   */
  public int maxInFlightSendsAllClients() {
    return maxInFlightSendsAllClients;
  }

  /**
   * The average rate, in requests per second, at which the server reads one client's requests
   * (every request counts, whatever its type); 0 means no limit. Default {@value
   * #DEFAULT_MAX_REQUESTS_PER_SECOND}. A client that is faster is not refused: the server stops
   * reading from it until the rate allows its next request.
   */
  public int maxRequestsPerSecond() {
    return maxRequestsPerSecond;
  }

  /**
   * How many requests one client may make back to back before {@link #maxRequestsPerSecond()}
   * applies (the token bucket's size; default {@value #DEFAULT_REQUEST_BURST}). Unused when the
   * rate is unlimited.
   */
  public int requestBurst() {
    return requestBurst;
  }

  /**
   * The port's TLS key material, or null (the default): the port speaks plaintext. With it the
   * port speaks TLS 1.3 only, and the handshake comes before any byte of the client protocol: a
   * connection must finish it within {@link #helloTimeout()} of being accepted (else it is closed,
   * counted as {@code TLS_HANDSHAKE_TIMEOUT}), and then has {@link #helloTimeout()} again to join.
   */
  public @Nullable TlsServerSettings tls() {
    return tls;
  }

  /** These settings with the port speaking TLS as {@code tls} says, or plaintext for null. */
  public TcpServerConfig withTls(@Nullable TlsServerSettings tls) {
    return new TcpServerConfig(this, tls);
  }

  @Override
  public String toString() {
    return "TcpServerConfig{host=" + host + ", port=" + port + ", maxQueuedFrames="
        + maxQueuedFrames + ", maxQueuedBytes=" + maxQueuedBytes + ", idleTimeout=" + idleTimeout
        + ", maxConnections=" + maxConnections + ", maxConnectionsPerAddress="
        + maxConnectionsPerAddress + ", maxJoinsPerSecondPerAddress="
        + maxJoinsPerSecondPerAddress + ", joinBurstPerAddress=" + joinBurstPerAddress
        + ", helloTimeout=" + helloTimeout + ", closeGrace=" + closeGrace
        + ", socketSendBufferBytes=" + socketSendBufferBytes + ", maxInFlightSends="
        + maxInFlightSends + ", maxInFlightSendsAllClients=" + maxInFlightSendsAllClients
        + ", maxRequestsPerSecond=" + maxRequestsPerSecond + ", requestBurst="
        + requestBurst + (tls == null ? "" : ", tls=" + tls) + "}";
  }

  /** Builds a {@link TcpServerConfig}; every setter checks its value and names it when wrong. */
  public static final class Builder {
    private String host = "127.0.0.1";
    private int port;
    private int maxQueuedFrames = DEFAULT_MAX_QUEUED_FRAMES;
    private long maxQueuedBytes = DEFAULT_MAX_QUEUED_BYTES;
    private Duration idleTimeout = DEFAULT_IDLE_TIMEOUT;
    private int maxConnections = DEFAULT_MAX_CONNECTIONS;
    private int maxConnectionsPerAddress = DEFAULT_MAX_CONNECTIONS_PER_ADDRESS;
    private int maxJoinsPerSecondPerAddress = DEFAULT_MAX_JOINS_PER_SECOND_PER_ADDRESS;
    private int joinBurstPerAddress = DEFAULT_JOIN_BURST_PER_ADDRESS;
    private Duration helloTimeout = DEFAULT_HELLO_TIMEOUT;
    private Duration closeGrace = DEFAULT_CLOSE_GRACE;
    private int socketSendBufferBytes;
    private int maxInFlightSends = DEFAULT_MAX_IN_FLIGHT_SENDS;
    private int maxInFlightSendsAllClients = DEFAULT_MAX_IN_FLIGHT_SENDS_ALL_CLIENTS;
    private int maxRequestsPerSecond = DEFAULT_MAX_REQUESTS_PER_SECOND;
    private int requestBurst = DEFAULT_REQUEST_BURST;
    private @Nullable TlsServerSettings tls;

    private Builder() {}

    /** Speak TLS on the port with this key material (see {@link TcpServerConfig#tls()}). */
    public Builder tls(TlsServerSettings tls) {
      this.tls = Objects.requireNonNull(tls, "tls");
      return this;
    }

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
      if (maxQueuedBytes
          < io.github.ringleader.messaging.protocol.ClientCodec.MAX_CLIENT_FRAME_BYTES) {
        throw new IllegalArgumentException(
            "maxQueuedBytes must be >= one frame (16384), was " + maxQueuedBytes);
      }
      this.maxQueuedBytes = maxQueuedBytes;
      return this;
    }

    public Builder idleTimeout(Duration idleTimeout) {
      if (idleTimeout.isNegative()) {
        throw new IllegalArgumentException("idleTimeout must be >= 0, was "
            + io.github.ringleader.messaging.node.NodeConfig.format(idleTimeout));
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

    public Builder maxConnectionsPerAddress(int maxConnectionsPerAddress) {
      if (maxConnectionsPerAddress < 1) {
        throw new IllegalArgumentException(
            "maxConnectionsPerAddress must be >= 1, was " + maxConnectionsPerAddress);
      }
      this.maxConnectionsPerAddress = maxConnectionsPerAddress;
      return this;
    }

    /** 0 turns the join rate limit off. */
    public Builder maxJoinsPerSecondPerAddress(int maxJoinsPerSecondPerAddress) {
      if (maxJoinsPerSecondPerAddress < 0) {
        throw new IllegalArgumentException(
            "maxJoinsPerSecondPerAddress must be >= 0 (0 = unlimited), was "
                + maxJoinsPerSecondPerAddress);
      }
      this.maxJoinsPerSecondPerAddress = maxJoinsPerSecondPerAddress;
      return this;
    }

    public Builder joinBurstPerAddress(int joinBurstPerAddress) {
      if (joinBurstPerAddress < 1) {
        throw new IllegalArgumentException(
            "joinBurstPerAddress must be >= 1, was " + joinBurstPerAddress);
      }
      this.joinBurstPerAddress = joinBurstPerAddress;
      return this;
    }

    /** {@link Duration#ZERO} turns the deadline off. */
    public Builder helloTimeout(Duration helloTimeout) {
      if (helloTimeout.isNegative()) {
        throw new IllegalArgumentException("helloTimeout must be >= 0, was "
            + io.github.ringleader.messaging.node.NodeConfig.format(helloTimeout));
      }
      this.helloTimeout = helloTimeout;
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

    public Builder maxInFlightSends(int maxInFlightSends) {
      if (maxInFlightSends < 1 || maxInFlightSends > MAX_IN_FLIGHT_SENDS_LIMIT) {
        throw new IllegalArgumentException(
            "maxInFlightSends must be in 1.." + MAX_IN_FLIGHT_SENDS_LIMIT
                + " (below the node's " + (MAX_IN_FLIGHT_SENDS_LIMIT + 1)
                + " unanswered sends, beyond which it answers BUSY), was "
                + maxInFlightSends);
      }
      this.maxInFlightSends = maxInFlightSends;
      return this;
    }

    /** 0 turns the bound off: sends go on first come first served. */
    public Builder maxInFlightSendsAllClients(int maxInFlightSendsAllClients) {
      if (maxInFlightSendsAllClients < 0) {
        throw new IllegalArgumentException(
            "maxInFlightSendsAllClients must be >= 0 (0 = no bound), was "
                + maxInFlightSendsAllClients);
      }
      this.maxInFlightSendsAllClients = maxInFlightSendsAllClients;
      return this;
    }

    /** 0 turns the rate limit off. */
    public Builder maxRequestsPerSecond(int maxRequestsPerSecond) {
      if (maxRequestsPerSecond < 0) {
        throw new IllegalArgumentException(
            "maxRequestsPerSecond must be >= 0 (0 = unlimited), was " + maxRequestsPerSecond);
      }
      this.maxRequestsPerSecond = maxRequestsPerSecond;
      return this;
    }

    public Builder requestBurst(int requestBurst) {
      if (requestBurst < 1) {
        throw new IllegalArgumentException("requestBurst must be >= 1, was " + requestBurst);
      }
      this.requestBurst = requestBurst;
      return this;
    }

    public TcpServerConfig build() {
      return new TcpServerConfig(this);
    }
  }
}
