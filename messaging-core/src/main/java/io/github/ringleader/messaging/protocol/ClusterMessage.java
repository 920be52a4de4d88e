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
}
