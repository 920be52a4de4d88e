package io.github.ringleader.messaging.protocol;

/**
 * A message between servers. The sender's id, its incarnation and the cluster name travel in the
 * {@link ClusterEnvelope} around it; the message holds only what is particular to its type.
 *
 * <p>Each type has a fixed one-byte code on the wire ({@link #typeCode()}); codes are never
 * reused, so an old server rejects a new type as unknown instead of misreading it.
 */
public sealed interface ClusterMessage
    permits Heartbeat,
        Discover,
        IdInUse,
        Election,
        ElectionAck,
        LeaderAnnouncement,
        Leave,
        Forward,
        SyncRequest,
        SyncReply,
        Sequenced,
        StreamAck,
        StreamState {

  /** The message's type code on the wire. */
  byte typeCode();

  /**
   * Whether the message belongs to the control plane — discovery, heartbeats, the election,
   * leaving — which goes ahead of the data (forwards and the stream) on a node's loop and in a
   * transport's queue, so that a flood of data cannot make a server miss its heartbeats.
   */
  default boolean isControl() {
    return false;
  }
}
