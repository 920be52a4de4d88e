package io.github.ringleader.messaging.protocol;

/**
 * The leader's stream: entry {@code seq} (from 1) of {@code epoch}, sent to all members and again
 * to any member whose {@link StreamAck} shows it missing.
 */
public record Sequenced(long epoch, long seq, StreamEntry entry) implements ClusterMessage {
  public static final byte TYPE = 11;

  public Sequenced {
    Checks.nonNegative("epoch", epoch);
    Checks.nonNegative("seq", seq);
  }

  @Override
  public byte typeCode() {
    return TYPE;
  }
}
