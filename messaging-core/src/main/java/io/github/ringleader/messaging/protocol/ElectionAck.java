package io.github.ringleader.messaging.protocol;

/**
 * Acknowledges an {@link Election} token to the server that sent it, which stops retransmitting.
 *
 * @param term the term of the acknowledged token
 * @param messageId the acknowledged token's {@link Election#messageId()}
 */
public record ElectionAck(long term, long messageId) implements ClusterMessage {
  public static final byte TYPE = 5;

  public ElectionAck {
    Bounds.term("term", term);
    Checks.nonNegative("messageId", messageId);
  }

  @Override
  public byte typeCode() {
    return TYPE;
  }

  @Override
  public boolean isControl() {
    return true;
  }
}
