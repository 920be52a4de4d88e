package io.github.ringleader.messaging.protocol;

/**
 * Sent to all members by a server that is starting. Members answer with a heartbeat at once, so
 * the newcomer learns the cluster without waiting a full interval; a running server with the
 * newcomer's own id answers {@link IdInUse}.
 */
public record Discover() implements ClusterMessage {
  public static final byte TYPE = 2;

  @Override
  public byte typeCode() {
    return TYPE;
  }

  @Override
  public boolean isControl() {
    return true;
  }
}
