package io.github.ringleader.messaging.node;

/**
 * What a node knows of one live server, from that server's latest heartbeat (or, for the node
 * itself, from its own state).
 *
 * @param id the server's id
 * @param incarnation which life of the server this is; a restart gives a new, higher one
 * @param clientPort the TCP port clients connect to, 0 if none
 * @param clients clients connected to it
 * @param capacity the most clients it accepts
 * @param clientHost the host clients reach it at, or empty if it does not say
 */
public record MemberInfo(
    NodeId id, long incarnation, int clientPort, int clients, int capacity, String clientHost) {

  /** A member that does not say at which host its clients reach it. */
  public MemberInfo(NodeId id, long incarnation, int clientPort, int clients, int capacity) {
    this(id, incarnation, clientPort, clients, capacity, "");
  }

  /**
   * The fraction of capacity in use, {@code clients / capacity}: 0 for an empty server, 1 or more
   * for a full one. A server with capacity 0 counts as full.
   */
  public double load() {
    return capacity == 0 ? Double.POSITIVE_INFINITY : (double) clients / capacity;
  }

  /** Whether the server accepts another client. */
  public boolean hasRoom() {
    return clients < capacity;
  }
}
