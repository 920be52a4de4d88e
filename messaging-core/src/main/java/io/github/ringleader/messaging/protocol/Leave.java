package io.github.ringleader.messaging.protocol;

/**
 * Sent to all members by a server that is stopping cleanly, so they drop it at once instead of
 * waiting for the failure detector.
 */
public record Leave() implements ClusterMessage {
  public static final byte TYPE = 7;

  @Override
  public byte typeCode() {
    return TYPE;
  }

  @Override
  public boolean isControl() {
    return true;
  }
}
