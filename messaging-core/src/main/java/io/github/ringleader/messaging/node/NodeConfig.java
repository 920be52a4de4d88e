package io.github.ringleader.messaging.node;

import io.github.ringleader.messaging.protocol.ClusterEnvelope;
import io.github.ringleader.messaging.protocol.Heartbeat;
import java.time.Duration;

/**
 * The validated settings of one node. Built by {@link MessagingNode.Builder}, where the defaults
 * are documented; every check names the setting and the bad value.
 *
 * @param nodeId this server's id
 * @param clusterName the cluster it belongs to; servers of other clusters are ignored
 * @param clientPort the TCP port it tells others its clients use (0: none)
 * @param capacity the most clients it accepts
 * @param heartbeatInterval how often it heartbeats
 * @param missedHeartbeats how many heartbeat intervals of silence fail a member
 * @param discoveryWindow how long a starting node listens before it joins (0: join at once, and
 *     do not check that the id is free)
 * @param electionAckTimeout how long an election token waits for its acknowledgement
 * @param electionAttempts how often a token is sent to one successor before it is skipped
 * @param electionTimeout how long an election may run without a winner, or the node stay without a
 *     leader, before a new election
 * @param maxMembers the most live members the node tracks
 * @param clientHost the host clients reach this server at, announced in heartbeats so clients
 *     can be sent here; empty: not announced (clients use the host they already know)
 * @param sessionGrace how long the cluster holds the session of a client that lost its
 *     connection or its server, for the client to resume it elsewhere (0: the client leaves at
 *     once). The leader's setting applies.
 * @param rebalance whether this server asks clients to move to a less-loaded server when load is
 *     uneven (only with a grace period, so that they resume)
 */
public record NodeConfig(
    NodeId nodeId,
    String clusterName,
    int clientPort,
    int capacity,
    Duration heartbeatInterval,
    int missedHeartbeats,
    Duration discoveryWindow,
    Duration electionAckTimeout,
    int electionAttempts,
    Duration electionTimeout,
    int maxMembers,
    String clientHost,
    Duration sessionGrace,
    boolean rebalance) {

  public NodeConfig {
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
