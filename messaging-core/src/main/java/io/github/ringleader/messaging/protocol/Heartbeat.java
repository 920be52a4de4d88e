package io.github.ringleader.messaging.protocol;

import io.github.ringleader.messaging.node.NodeId;
import org.jspecify.annotations.Nullable;

/**
 * Sent by every running server to all members every heartbeat interval. It says the sender is
 * alive and carries what the others need to know of it.
 *
 * @param sequence counts the sender's heartbeats within one incarnation, from 0
 * @param clientPort the TCP port clients connect to, 0 if the server takes no clients
 * @param knownLeader the leader the sender follows (itself if it leads), or {@code null} if it
 *     knows none (an election is under way)
 * @param term the election term of {@code knownLeader}, or the sender's current term when it knows
 *     no leader
 * @param clients clients connected to the sender now
 * @param capacity the most clients the sender accepts
 * @param clientHost the host name or address clients reach the sender at, or empty when the
 *     sender does not say (a client then uses the host it already knows); see {@link
 *     #problemWithHost}
 * @param intervalMillis how often the sender heartbeats, in milliseconds (rounded up), or 0 if it
 *     does not say; receivers judge the sender's silence by it (see {@code Membership})
 * @param missedHeartbeats how many of its intervals of silence the sender expects to fail a member
 *     (1..{@value #MAX_MISSED}), or 0 exactly when {@code intervalMillis} is 0
 */
public record Heartbeat(
    long sequence,
    int clientPort,
    @Nullable NodeId knownLeader,
    long term,
    int clients,
    int capacity,
    String clientHost,
    int intervalMillis,
    int missedHeartbeats)
    implements ClusterMessage {

  public static final byte TYPE = 1;

  /** The longest client host, in characters (a DNS name's limit). */
  public static final int MAX_HOST_LENGTH = 253;

  /** The most missed heartbeats a heartbeat can announce (its field is a {@code u16}). */
  public static final int MAX_MISSED = 0xFFFF;

  public Heartbeat {
    Checks.nonNegative("sequence", sequence);
    Checks.port("clientPort", clientPort);
    Bounds.term("term", term);
    Checks.nonNegative("clients", clients);
    Checks.nonNegative("capacity", capacity);
    String problem = problemWithHost(clientHost);
    if (problem != null) {
      throw new IllegalArgumentException("clientHost " + problem);
    }
    Checks.nonNegative("intervalMillis", intervalMillis);
    if (missedHeartbeats < 0 || missedHeartbeats > MAX_MISSED) {
      throw new IllegalArgumentException(
          "missedHeartbeats must be in 0.." + MAX_MISSED + ", was " + missedHeartbeats);
    }
    if ((intervalMillis == 0) != (missedHeartbeats == 0)) {
      throw new IllegalArgumentException(
          "intervalMillis and missedHeartbeats are both 0 (timings not said) or both > 0, were "
              + intervalMillis
              + " and "
              + missedHeartbeats);
    }
  }

  /** A heartbeat that does not say the sender's timings. */
  public Heartbeat(
      long sequence,
      int clientPort,
      @Nullable NodeId knownLeader,
      long term,
      int clients,
      int capacity,
      String clientHost) {
    this(sequence, clientPort, knownLeader, term, clients, capacity, clientHost, 0, 0);
  }

  /** A heartbeat that names no client host and does not say the sender's timings. */
  public Heartbeat(
      long sequence,
      int clientPort,
      @Nullable NodeId knownLeader,
      long term,
      int clients,
      int capacity) {
    this(sequence, clientPort, knownLeader, term, clients, capacity, "");
  }

  /** Whether the sender says how often it heartbeats and after how many missed it fails a member. */
  public boolean saysTimings() {
    return intervalMillis > 0;
  }

  /**
   * What is wrong with {@code host} as an advertised client host, or null if nothing: at most
   * {@value #MAX_HOST_LENGTH} characters, each a letter, digit, or one of {@code . - _ : % [ ]}
   * (a DNS name, an IPv4 address or an IPv6 literal). Empty is allowed: it means "not said".
   */
  public static @Nullable String problemWithHost(String host) {
    if (host.length() > MAX_HOST_LENGTH) {
      return "is " + host.length() + " characters, limit is " + MAX_HOST_LENGTH;
    }
    for (int i = 0; i < host.length(); i++) {
      char c = host.charAt(i);
      boolean ok = (c >= 'a' && c <= 'z')
          || (c >= 'A' && c <= 'Z')
          || (c >= '0' && c <= '9')
          || ".-_:%[]".indexOf(c) >= 0;
      if (!ok) {
        return String.format("has invalid character U+%04X at index %d", (int) c, i);
      }
    }
    return null;
  }

  /** Whether the sender says it is the leader. */
  public boolean senderLeads(NodeId sender) {
    return sender.equals(knownLeader);
  }

  @Override
  public byte typeCode() {
    return TYPE;
  }

  @Override
  public boolean isControl() {
    return true;
  }
}
