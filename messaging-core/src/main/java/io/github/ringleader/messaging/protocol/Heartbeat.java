package io.github.ringleader.messaging.protocol;

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
 */
public record Heartbeat(
    long sequence,
    int clientPort,
    @Nullable NodeId knownLeader,
    long term,
    int clients,
    int capacity,
    String clientHost)
    implements ClusterMessage {

  public static final byte TYPE = 1;

  /** The longest client host, in characters (a DNS name's limit). */
  public static final int MAX_HOST_LENGTH = 253;

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
  }

  /** A heartbeat that names no client host. */
  public Heartbeat(
      long sequence, int clientPort, @Nullable NodeId knownLeader, long term, int clients, int capacity) {
    this(sequence, clientPort, knownLeader, term, clients, capacity, "");
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
      boolean ok =
          (c >= 'a' && c <= 'z')
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
