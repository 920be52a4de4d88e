package io.github.ringleader.messaging.node;

import io.github.ringleader.messaging.protocol.ClusterEnvelope;
import io.github.ringleader.messaging.protocol.Heartbeat;
import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The validated settings of one node: immutable, made by {@link #builder()} (or {@link
 * MessagingNode.Builder}, which takes the same settings), and read back through its accessors. The
 * builder owns the defaults; {@link Builder#build()} checks every setting and names the first bad
 * one and its value ({@code "heartbeatInterval must be > 0, was 0s"}).
 *
 * <p>A final class rather than a record, so that a new setting is a new builder method and not a
 * new constructor parameter that breaks every caller.
 */
public final class NodeConfig {
  /** The cluster a node belongs to unless configured. */
  public static final String DEFAULT_CLUSTER_NAME = "ringleader";

  /** The most clients a server accepts unless configured. */
  public static final int DEFAULT_CAPACITY = 100;

  /** How often a server heartbeats unless configured. */
  public static final Duration DEFAULT_HEARTBEAT_INTERVAL = Duration.ofSeconds(2);

  /** How many heartbeat intervals of silence fail a member unless configured. */
  public static final int DEFAULT_MISSED_HEARTBEATS = 3;

  /** Sends of an election token to one successor before it is skipped, unless configured. */
  public static final int DEFAULT_ELECTION_ATTEMPTS = 5;

  /** The most live members a node tracks unless configured. */
  public static final int DEFAULT_MAX_MEMBERS = 256;

  /** How long a session waits for its client to resume it, unless configured. */
  public static final Duration DEFAULT_SESSION_GRACE = Duration.ofSeconds(30);

  private final NodeId nodeId;
  private final String clusterName;
  private final int clientPort;
  private final int capacity;
  private final Duration heartbeatInterval;
  private final int missedHeartbeats;
  private final Duration discoveryWindow;
  private final Duration electionAckTimeout;
  private final int electionAttempts;
  private final Duration electionTimeout;
  private final int maxMembers;
  private final String clientHost;
  private final Duration sessionGrace;
  private final boolean rebalance;

  private NodeConfig(Builder b, NodeId nodeId) {
    this.nodeId = nodeId;
    this.clusterName = b.clusterName;
    this.clientPort = b.clientPort;
    this.capacity = b.capacity;
    this.heartbeatInterval = b.heartbeatInterval;
    this.missedHeartbeats = b.missedHeartbeats;
    Duration discovery = b.discoveryWindow;
    Duration ack = b.electionAckTimeout;
    Duration timeout = b.electionTimeout;
    this.discoveryWindow = discovery != null ? discovery : heartbeatInterval.dividedBy(2);
    this.electionAckTimeout = ack != null ? ack : heartbeatInterval.dividedBy(10);
    this.electionAttempts = b.electionAttempts;
    this.electionTimeout = timeout != null ? timeout : heartbeatInterval.multipliedBy(2);
    this.maxMembers = b.maxMembers;
    this.clientHost = b.clientHost;
    this.sessionGrace = b.sessionGrace;
    this.rebalance = b.rebalance;
  }

  /** A builder with every default; only {@link Builder#nodeId} is required. */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder holding these settings, to change a few. */
  public Builder toBuilder() {
    return new Builder()
        .nodeId(nodeId)
        .clusterName(clusterName)
        .clientPort(clientPort)
        .capacity(capacity)
        .heartbeatInterval(heartbeatInterval)
        .missedHeartbeats(missedHeartbeats)
        .discoveryWindow(discoveryWindow)
        .electionAckTimeout(electionAckTimeout)
        .electionAttempts(electionAttempts)
        .electionTimeout(electionTimeout)
        .maxMembers(maxMembers)
        .clientHost(clientHost)
        .sessionGrace(sessionGrace)
        .rebalance(rebalance);
  }

  /** This server's id. */
  public NodeId nodeId() {
    return nodeId;
  }

  /** The cluster it belongs to; servers of other clusters are ignored. */
  public String clusterName() {
    return clusterName;
  }

  /** The TCP port it tells others its clients use (0: none). */
  public int clientPort() {
    return clientPort;
  }

  /** The most clients it accepts. */
  public int capacity() {
    return capacity;
  }

  /** How often it heartbeats. */
  public Duration heartbeatInterval() {
    return heartbeatInterval;
  }

  /** How many heartbeat intervals of silence fail a member. */
  public int missedHeartbeats() {
    return missedHeartbeats;
  }

  /**
   * How long a starting node listens before it joins (0: join at once, and do not check that the
   * id is free).
   */
  public Duration discoveryWindow() {
    return discoveryWindow;
  }

  /** How long an election token waits for its acknowledgement. */
  public Duration electionAckTimeout() {
    return electionAckTimeout;
  }

  /** How often a token is sent to one successor before it is skipped. */
  public int electionAttempts() {
    return electionAttempts;
  }

  /**
   * How long an election may run without a winner, or the node stay without a leader, before a
   * new election.
   */
  public Duration electionTimeout() {
    return electionTimeout;
  }

  /** The most live members the node tracks. */
  public int maxMembers() {
    return maxMembers;
  }

  /**
   * The host clients reach this server at, announced in heartbeats so clients can be sent here;
   * empty: not announced (clients use the host they already know).
   */
  public String clientHost() {
    return clientHost;
  }

  /**
   * How long the cluster holds the session of a client that lost its connection or its server,
   * for the client to resume it elsewhere (0: the client leaves at once). The leader's setting
   * applies.
   */
  public Duration sessionGrace() {
    return sessionGrace;
  }

  /**
   * Whether this server asks clients to move to a less-loaded server when load is uneven (only
   * with a grace period, so that they resume).
   */
  public boolean rebalance() {
    return rebalance;
  }

  /** The silence after which a member is failed: {@code missedHeartbeats × heartbeatInterval}. */
  public Duration failureTimeout() {
    return heartbeatInterval.multipliedBy(missedHeartbeats);
  }

  /**
   * A duration as people write it on a command line: {@code 500ms}, {@code 2s}, {@code 1.5s},
   * {@code 0s}; a part of a millisecond as {@code 250us} or {@code 1.5ms}; never ISO-8601's
   * {@code PT2S}.
   */
  public static String format(Duration duration) {
    if (duration.isNegative()) {
      return "-" + format(duration.negated());
    }
    if (duration.isZero()) {
      return "0s";
    }
    if (duration.compareTo(Duration.ofMillis(1)) < 0) {
      long nanos = duration.toNanos();
      return nanos % 1000 == 0 ? nanos / 1000 + "us" : nanos + "ns";
    }
    if (duration.getNano() % 1_000_000 != 0 && duration.compareTo(Duration.ofSeconds(1)) < 0) {
      return String.format(java.util.Locale.ROOT, "%.3fms", duration.toNanos() / 1e6)
          .replaceFirst("\\.?0+ms$", "ms");
    }
    long millis = duration.toMillis();
    if (millis < 1000 || millis % 100 != 0) {
      return millis + "ms";
    }
    return millis % 1000 == 0
        ? millis / 1000 + "s"
        : String.format(java.util.Locale.ROOT, "%.1fs", millis / 1000.0);
  }

  @Override
  public boolean equals(@Nullable Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof NodeConfig)) {
      return false;
    }
    NodeConfig c = (NodeConfig) o;
    return nodeId.equals(c.nodeId)
        && clusterName.equals(c.clusterName)
        && clientPort == c.clientPort
        && capacity == c.capacity
        && heartbeatInterval.equals(c.heartbeatInterval)
        && missedHeartbeats == c.missedHeartbeats
        && discoveryWindow.equals(c.discoveryWindow)
        && electionAckTimeout.equals(c.electionAckTimeout)
        && electionAttempts == c.electionAttempts
        && electionTimeout.equals(c.electionTimeout)
        && maxMembers == c.maxMembers
        && clientHost.equals(c.clientHost)
        && sessionGrace.equals(c.sessionGrace)
        && rebalance == c.rebalance;
  }

  @Override
  public int hashCode() {
    return Objects.hash(
        nodeId,
        clusterName,
        clientPort,
        capacity,
        heartbeatInterval,
        missedHeartbeats,
        discoveryWindow,
        electionAckTimeout,
        electionAttempts,
        electionTimeout,
        maxMembers,
        clientHost,
        sessionGrace,
        rebalance);
  }

  @Override
  public String toString() {
    return "NodeConfig[nodeId=" + nodeId
        + ", clusterName=" + clusterName
        + ", clientPort=" + clientPort
        + ", capacity=" + capacity
        + ", heartbeatInterval=" + format(heartbeatInterval)
        + ", missedHeartbeats=" + missedHeartbeats
        + ", discoveryWindow=" + format(discoveryWindow)
        + ", electionAckTimeout=" + format(electionAckTimeout)
        + ", electionAttempts=" + electionAttempts
        + ", electionTimeout=" + format(electionTimeout)
        + ", maxMembers=" + maxMembers
        + ", clientHost=" + clientHost
        + ", sessionGrace=" + format(sessionGrace)
        + ", rebalance=" + rebalance
        + "]";
  }

  /**
   * Builds a {@link NodeConfig}. The same rule for every setting: a setter rejects null at once
   * ({@link NullPointerException} naming the setting) and takes any other value; {@link #build()}
   * checks them all and throws {@link IllegalArgumentException} naming the first bad setting and
   * its value. The timings left unset are derived from the heartbeat interval.
   */
  public static final class Builder {
    private @Nullable NodeId nodeId;
    private @Nullable String nodeIdText;
    private String clusterName = DEFAULT_CLUSTER_NAME;
    private int clientPort;
    private int capacity = DEFAULT_CAPACITY;
    private Duration heartbeatInterval = DEFAULT_HEARTBEAT_INTERVAL;
    private int missedHeartbeats = DEFAULT_MISSED_HEARTBEATS;
    private @Nullable Duration discoveryWindow;
    private @Nullable Duration electionAckTimeout;
    private int electionAttempts = DEFAULT_ELECTION_ATTEMPTS;
    private @Nullable Duration electionTimeout;
    private int maxMembers = DEFAULT_MAX_MEMBERS;
    private String clientHost = "";
    private Duration sessionGrace = DEFAULT_SESSION_GRACE;
    private boolean rebalance = true;

    private Builder() {}

    /** Required: this server's id (1–64 of {@code [A-Za-z0-9._-]}), checked by {@link #build}. */
    public Builder nodeId(String nodeId) {
      this.nodeIdText = Objects.requireNonNull(nodeId, "nodeId");
      this.nodeId = null;
      return this;
    }

    /** Required: this server's id. */
    public Builder nodeId(NodeId nodeId) {
      this.nodeId = Objects.requireNonNull(nodeId, "nodeId");
      this.nodeIdText = null;
      return this;
    }

    /** The cluster name (default {@value #DEFAULT_CLUSTER_NAME}); others' servers are ignored. */
    public Builder clusterName(String clusterName) {
      this.clusterName = Objects.requireNonNull(clusterName, "clusterName");
      return this;
    }

    /** The TCP port this server's clients connect to, announced in heartbeats (default 0). */
    public Builder clientPort(int clientPort) {
      this.clientPort = clientPort;
      return this;
    }

    /** The most clients this server accepts (default {@value #DEFAULT_CAPACITY}). */
    public Builder capacity(int capacity) {
      this.capacity = capacity;
      return this;
    }

    /** How often this server heartbeats (default 2 s). */
    public Builder heartbeatInterval(Duration heartbeatInterval) {
      this.heartbeatInterval = Objects.requireNonNull(heartbeatInterval, "heartbeatInterval");
      return this;
    }

    /** How many heartbeat intervals of silence fail a member (default 3). */
    public Builder missedHeartbeats(int missedHeartbeats) {
      this.missedHeartbeats = missedHeartbeats;
      return this;
    }

    /** How long a starting server listens before it joins (default: half a heartbeat interval). */
    public Builder discoveryWindow(Duration discoveryWindow) {
      this.discoveryWindow = Objects.requireNonNull(discoveryWindow, "discoveryWindow");
      return this;
    }

    /** How long an election token waits for its acknowledgement (default: interval / 10). */
    public Builder electionAckTimeout(Duration electionAckTimeout) {
      this.electionAckTimeout = Objects.requireNonNull(electionAckTimeout, "electionAckTimeout");
      return this;
    }

    /** Sends of a token to one successor before it is skipped (default 5). */
    public Builder electionAttempts(int electionAttempts) {
      this.electionAttempts = electionAttempts;
      return this;
    }

    /**
     * How long an election may run without a winner, or the node stay without a leader, before a
     * new election (default: 2 heartbeat intervals).
     */
    public Builder electionTimeout(Duration electionTimeout) {
      this.electionTimeout = Objects.requireNonNull(electionTimeout, "electionTimeout");
      return this;
    }

    /** The most live members tracked (default 256); heartbeats of further servers are ignored. */
    public Builder maxMembers(int maxMembers) {
      this.maxMembers = maxMembers;
      return this;
    }

    /**
     * The host this server's clients reach it at, announced in heartbeats so that clients can be
     * sent here (default empty: not announced; clients then use the host they already know).
     */
    public Builder clientHost(String clientHost) {
      this.clientHost = Objects.requireNonNull(clientHost, "clientHost");
      return this;
    }

    /**
     * How long the cluster holds the session of a client that lost its connection or its server,
     * so that the client can resume it on any server with nothing lost (default 30 s; 0: such a
     * client leaves at once). Meanwhile its name stays taken and messages to it are kept. The
     * leader's setting applies, so give every server the same.
     */
    public Builder sessionGrace(Duration sessionGrace) {
      this.sessionGrace = Objects.requireNonNull(sessionGrace, "sessionGrace");
      return this;
    }

    /**
     * Whether this server evens out the load by asking clients to move to a less-loaded server
     * (default on; needs a {@link #sessionGrace} so that they resume there). Damped: only after
     * the membership has been steady for 5 heartbeat intervals, at most one client per interval,
     * only while this server would stay at least as loaded as the other, and never a client that
     * joined or moved here within the last 10 intervals.
     */
    public Builder rebalance(boolean rebalance) {
      this.rebalance = rebalance;
      return this;
    }

    /**
     * The settings, validated.
     *
     * @throws IllegalStateException if the node id is missing
     * @throws IllegalArgumentException naming the first invalid setting and its value
     */
    public NodeConfig build() {
      NodeId id = nodeId;
      String idText = nodeIdText;
      if (id == null && idText != null) {
        id = NodeId.of(idText);
      }
      if (id == null) {
        throw new IllegalStateException("nodeId is required");
      }
      // Checked before the timings derived from it.
      positive("heartbeatInterval", heartbeatInterval);
      NodeConfig config = new NodeConfig(this, id);
      config.check();
      return config;
    }
  }

  private void check() {
    ClusterEnvelope.checkClusterName(clusterName);
    if (clientPort < 0 || clientPort > 0xFFFF) {
      throw new IllegalArgumentException("clientPort must be in 0..65535, was " + clientPort);
    }
    atLeast("capacity", capacity, 0);
    positive("heartbeatInterval", heartbeatInterval);
    atLeast("missedHeartbeats", missedHeartbeats, 1);
    if (missedHeartbeats > Heartbeat.MAX_MISSED) {
      throw new IllegalArgumentException(
          "missedHeartbeats must be <= " + Heartbeat.MAX_MISSED + ", was " + missedHeartbeats);
    }
    notNegative("discoveryWindow", discoveryWindow);
    positive("electionAckTimeout", electionAckTimeout);
    atLeast("electionAttempts", electionAttempts, 1);
    positive("electionTimeout", electionTimeout);
    atLeast("maxMembers", maxMembers, 1);
    notNegative("sessionGrace", sessionGrace);
    String hostProblem = Heartbeat.problemWithHost(clientHost);
    if (hostProblem != null) {
      throw new IllegalArgumentException("clientHost " + hostProblem + ": '" + clientHost + "'");
    }
  }

  static void positive(String name, Duration value) {
    if (value.isNegative() || value.isZero()) {
      throw new IllegalArgumentException(name + " must be > 0, was " + format(value));
    }
  }

  static void notNegative(String name, Duration value) {
    if (value.isNegative()) {
      throw new IllegalArgumentException(name + " must be >= 0, was " + format(value));
    }
  }

  static void atLeast(String name, int value, int min) {
    if (value < min) {
      throw new IllegalArgumentException(name + " must be >= " + min + ", was " + value);
    }
  }
}
