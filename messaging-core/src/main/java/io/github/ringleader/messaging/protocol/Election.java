package io.github.ringleader.messaging.protocol;

import io.github.ringleader.messaging.node.NodeId;

/**
 * The LCR election token, sent to the sender's successor on the ring and acknowledged with an
 * {@link ElectionAck}.
 *
 * @param term the election round; tokens of an older term than the receiver's are ignored
 * @param messageId identifies this send for its acknowledgement; unique per sender incarnation
 * @param candidate the highest id the token has met so far in this term
 */
public record Election(long term, long messageId, NodeId candidate) implements ClusterMessage {
  public static final byte TYPE = 4;

  public Election {
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
