package io.github.ringleader.messaging.transport;

import io.github.ringleader.messaging.node.NodeId;
import io.github.ringleader.messaging.protocol.ClusterEnvelope;
import java.io.IOException;

/**
 * Carries cluster messages between servers: send to one member, send to all, deliver inbound.
 *
 * <p><b>What a transport does not promise.</b> Like UDP, a cluster transport may lose, duplicate,
 * delay and reorder messages, and it does not tell the sender. The protocol above it
 * (acknowledgements, retransmission, heartbeats, terms) is written for exactly that. A transport
 * may also hand a server its own {@link #sendToAll} messages back; the node ignores them.
 *
 * <p><b>What it does promise.</b> A delivered envelope is one that some server sent to this
 * cluster, decoded by the shared codec; malformed or foreign input is dropped (and counted by the
 * implementation) before it reaches the receiver. {@code send} and {@code sendToAll} never block
 * the caller for long: an implementation whose outbound buffer is full drops the message.
 *
 * <p><b>Threads.</b> The node calls {@code send} and {@code sendToAll} from its event loop. The
 * receiver may be called on any thread (a transport's I/O thread); the node moves the message onto
 * its event loop itself.
 */
public interface ClusterTransport extends AutoCloseable {

  /** Receives inbound messages. */
  @FunctionalInterface
  interface Receiver {
    /** Called for each inbound envelope; must be quick and must not throw. */
    void onMessage(ClusterEnvelope envelope);
  }

  /**
   * Starts delivering inbound messages to {@code receiver}. Called once, before any send.
   *
   * @throws IOException if the transport cannot bind or join its group
   */
  void start(Receiver receiver) throws IOException;

  /**
   * Sends to one member. A member the transport cannot reach (unknown, crashed, partitioned) is
   * not an error: the message is dropped, as the network would.
   */
  void send(NodeId to, ClusterEnvelope envelope);

  /** Sends to every member of the cluster (multicast). */
  void sendToAll(ClusterEnvelope envelope);

  /**
   * Frames this transport dropped so far, by reason — malformed input, an unknown destination, a
   * full outbound queue — for the node's metrics. Keys are stable lower-case names made of
   * {@code [a-z0-9_]}. Safe to call from any thread. Default: none counted.
   */
  default java.util.Map<String, Long> droppedFrames() {
    return java.util.Map.of();
  }

  /**
   * Frames this transport refused because they failed the cluster key check, by reason (keys as
   * for {@link #droppedFrames}). Safe to call from any thread. Default: none counted.
   */
  default java.util.Map<String, Long> authenticationFailures() {
    return java.util.Map.of();
  }

  /** Stops sending and delivering and releases the transport's resources. Idempotent. */
  @Override
  void close();
}
