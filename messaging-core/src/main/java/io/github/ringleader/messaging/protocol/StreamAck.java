package io.github.ringleader.messaging.protocol;

/**
 * A member tells the leader how far it has the stream of {@code epoch}: every entry up to
 * {@code received} is in hand, up to {@code delivered} delivered. The leader re-sends what is
 * missing.
 */
public record StreamAck(long epoch, long received, long delivered) implements ClusterMessage {
  public static final byte TYPE = 12;

  public StreamAck {
    Checks.nonNegative("epoch", epoch);
    Checks.nonNegative("received", received);
    Checks.nonNegative("delivered", delivered);
  }

  @Override
  public byte typeCode() {
    return TYPE;
  }
}
