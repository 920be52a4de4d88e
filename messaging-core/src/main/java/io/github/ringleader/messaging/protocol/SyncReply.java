package io.github.ringleader.messaging.protocol;

import java.util.List;

/**
 * A member's state for the flush into {@code epoch}, in {@code parts} datagrams.
 *
 * @param epoch the epoch the leader is starting
 * @param previousEpoch the epoch the member was in (0: none)
 * @param delivered the last sequence number of {@code previousEpoch} the member delivered
 * @param part this part's index, from 0
 * @param parts how many parts the reply has
 * @param entries delivered entries of {@code previousEpoch} that not every member may have
 *     delivered yet
 * @param sessions the member's connected clients
 */
public record SyncReply(
    long epoch,
    long previousEpoch,
    long delivered,
    int part,
    int parts,
    List<SequencedEntry> entries,
    List<StreamEntry.Session> sessions)
    implements ClusterMessage {
  public static final byte TYPE = 10;

  public SyncReply {
    Checks.nonNegative("epoch", epoch);
    Checks.nonNegative("previousEpoch", previousEpoch);
    Checks.nonNegative("delivered", delivered);
    if (part < 0 || parts < 1 || part >= parts) {
      throw new IllegalArgumentException("part must be in 0.." + (parts - 1) + ", was " + part);
    }
    entries = List.copyOf(entries);
    sessions = List.copyOf(sessions);
  }

  @Override
  public byte typeCode() {
    return TYPE;
  }

  /** An entry with its sequence number in its epoch. */
  public record SequencedEntry(long seq, StreamEntry entry) {}
}
