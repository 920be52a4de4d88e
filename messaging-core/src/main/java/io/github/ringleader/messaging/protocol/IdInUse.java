package io.github.ringleader.messaging.protocol;

/**
 * Sent to all members by a running server that heard a {@link Discover} from another server
 * with its own id. The starting server, whose incarnation is named here, refuses to start.
 *
 * @param probingIncarnation the incarnation of the starting server this answers, so an old answer
 *     cannot stop a later start
 */
public record IdInUse(long probingIncarnation) implements ClusterMessage {
  public static final byte TYPE = 3;

  public IdInUse {
    Checks.nonNegative("probingIncarnation", probingIncarnation);
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
