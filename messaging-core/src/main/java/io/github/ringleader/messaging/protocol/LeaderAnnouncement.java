package io.github.ringleader.messaging.protocol;

/**
 * Sent to all members by the winner of an election: the sender leads from {@code term} on.
 *
 * @param term the term the sender won
 */
public record LeaderAnnouncement(long term) implements ClusterMessage {
  public static final byte TYPE = 6;

  public LeaderAnnouncement {
    Bounds.term("term", term);
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
