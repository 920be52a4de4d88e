package io.github.ringleader.messaging.protocol;

/**
 * A server passes one of its clients' requests to the leader to be sequenced; it sends it again
 * until the request shows up in the stream. The leader ignores a request it has sequenced before.
 *
 * @param request a {@link StreamEntry.Joined}, {@link StreamEntry.Chat} or {@link
 *     StreamEntry.Left}
 */
public record Forward(StreamEntry request) implements ClusterMessage {
  public static final byte TYPE = 8;

  @Override
  public byte typeCode() {
    return TYPE;
  }
}
