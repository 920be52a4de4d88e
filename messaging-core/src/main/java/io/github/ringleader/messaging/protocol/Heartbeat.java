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
 */
public record Heartbeat(
    long sequence, int clientPort, @Nullable NodeId knownLeader, long term, int clients, int capacity)
    implements ClusterMessage {

  public static final byte TYPE = 1;

  public Heartbeat {
    Checks.nonNegative("sequence", sequence);
    Checks.port("clientPort", clientPort);
    Checks.nonNegative("term", term);
    Checks.nonNegative("clients", clients);
    Checks.nonNegative("capacity", capacity);
  }

  /** Whether the sender says it is the leader. */
  public boolean senderLeads(NodeId sender) {
    return sender.equals(knownLeader);
  }

  @Override
  public byte typeCode() {
    return TYPE;
  }
}
