package io.github.ringleader.messaging.protocol;

/**
 * The leader's word on the stream of {@code epoch}, sent to all when it changes and every
 * heartbeat interval: entries up to {@code head} exist; every member has received those up to
 * {@code stable}, which may therefore be delivered; every member has delivered those up to
 * {@code delivered}.
 */
public record StreamState(long epoch, long head, long stable, long delivered)
    implements ClusterMessage {
  public static final byte TYPE = 13;

  public StreamState {
    Checks.nonNegative("epoch", epoch);
    Checks.nonNegative("head", head);
    Checks.nonNegative("stable", stable);
    Checks.nonNegative("delivered", delivered);
  }

  @Override
  public byte typeCode() {
    return TYPE;
  }
}
