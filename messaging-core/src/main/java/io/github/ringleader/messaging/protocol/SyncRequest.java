package io.github.ringleader.messaging.protocol;

/**
 * The leader asks a member for its state before it starts {@code epoch}: the member stops
 * delivering the epoch it is in and answers with {@link SyncReply}. Sent again until answered.
 */
public record SyncRequest(long epoch) implements ClusterMessage {
  public static final byte TYPE = 9;

  public SyncRequest {
    Checks.nonNegative("epoch", epoch);
  }

  @Override
  public byte typeCode() {
    return TYPE;
  }
}
