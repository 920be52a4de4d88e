package io.github.ringleader.messaging.transport;

import io.github.ringleader.messaging.node.NodeId;
import java.io.IOException;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Carries frames between servers: send to one member, send to all, deliver inbound. A transport
 * moves opaque bytes ({@link OutboundFrame}); the node encodes, seals with the cluster key,
 * opens, authenticates and decodes them, so a transport needs nothing of Ringleader's internals
 * and gets encryption for free. Implementations: UDP multicast in {@code messaging-transport}, the
 * simulated network in {@code sim}; docs/architecture.md ("Writing a cluster transport") has the
 * checklist.
 *
 * <p><b>What a transport does not promise.</b> Like UDP, a cluster transport may lose, duplicate,
 * delay and reorder frames, and it does not tell the sender. The protocol above it
 * (acknowledgements, retransmission, heartbeats, terms) is written for exactly that. A transport
 * may also hand a server its own {@link #sendToAll} frames back; the node ignores them.
 *
 * <p><b>What it does promise.</b> It delivers whole frames, as sent: one delivery ({@link
 * Receiver#onFrames}) is one or more frames back to back, never part of one. {@code send} and
 * {@code sendToAll} never block the caller for long: an implementation whose outbound buffer is
 * full drops the frame (and counts it in {@link #droppedFrames}). Control frames ({@link
 * OutboundFrame#isControl()}) go before queued data.
 *
 * <p><b>Threads.</b> The node calls {@code send} and {@code sendToAll} from its event loop. The
 * receiver may be called on any thread (a transport's I/O threads, several at once); it decodes
 * there and moves the messages onto the node's event loop itself.
 */
public interface ClusterTransport extends AutoCloseable {

  /** Receives inbound frames: the node's side. */
  @FunctionalInterface
  interface Receiver {
    /**
     * Called for each inbound delivery: {@code data[offset, offset + length)} holds one or more
     * whole frames back to back (a datagram, say). The receiver opens and decodes them at once
     * (the array may be reused after the call) and drops what is malformed, forged, replayed or of
     * another cluster, counting it in the node's metrics. Quick; never throws for bad input.
     *
     * @param source where the bytes came from, for logs only (its {@code toString()} is shown
     *     when a frame is dropped), such as the sender's socket address
     * @return the member that sent the frames, if they were accepted — authentic (with a cluster
     *     key), well formed and of this cluster — or null if they were dropped. A transport that
     *     learns members' addresses from what it hears (as UDP does) learns it from this only.
     */
    @Nullable
    NodeId onFrames(byte[] data, int offset, int length, Object source);
  }

  /**
   * Starts delivering inbound frames to {@code receiver}. Called once, before any send.
   *
   * @throws IOException if the transport cannot bind or join its group
   */
  void start(Receiver receiver) throws IOException;

  /**
   * Sends to one member. A member the transport cannot reach (unknown, crashed, partitioned) is
   * not an error: the frame is dropped, as the network would.
   */
  void send(NodeId to, OutboundFrame frame);

  /** Sends to every member of the cluster (multicast, or one copy to each). */
  void sendToAll(OutboundFrame frame);

  /**
   * Frames this transport dropped so far, by reason — an unknown destination, a full outbound
   * queue, a send error — for the node's metrics. Keys are stable lower-case names made of {@code
   * [a-z0-9_]}. Frames the node itself drops on receipt (malformed, refused by the key check) are
   * counted by the node, not here. Safe to call from any thread. Default: none counted.
   */
  default Map<String, Long> droppedFrames() {
    return Map.of();
  }

  /** Stops sending and delivering and releases the transport's resources. Idempotent. */
  @Override
  void close();
}
