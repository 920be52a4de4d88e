package io.github.ringleader.messaging.session;

/**
 * A server's side of one client's connection, as a client transport provides it (TCP, or the
 * in-memory link of the simulation). The node calls it on its event loop; an implementation must
 * not block (queue, and close the connection if the queue is full).
 */
public interface ClientLink {

  /** Sends an event to the client. */
  void send(ServerEvent event);

  /** Closes the connection (after the events already sent). */
  void close();

  /**
   * Where the client connects from, for the audit log and for slowing down repeated failed
   * sign-ins from one place: an IP address for a TCP client. Default {@code "in-process"}.
   */
  default String peer() {
    return "in-process";
  }
}
