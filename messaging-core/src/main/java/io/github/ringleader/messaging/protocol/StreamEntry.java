package io.github.ringleader.messaging.protocol;

/**
 * One entry of the cluster's sequenced stream (see {@link Sequenced}): a client request as the
 * leader decided it. Entries are also what servers propose to the leader ({@link Forward}), in
 * which case only {@link Joined}, {@link Chat} and {@link Left} make sense.
 *
 * <p>Each type has a fixed one-byte code inside the frame ({@link #entryCode()}).
 */
public sealed interface StreamEntry
    permits StreamEntry.Joined,
        StreamEntry.JoinRefused,
        StreamEntry.Chat,
        StreamEntry.ChatRejected,
        StreamEntry.Left,
        StreamEntry.Carried,
        StreamEntry.Directory {

  /** The most bytes of UTF-8 text in one chat message. */
  int MAX_TEXT_BYTES = 4096;

  /** The most bytes of UTF-8 in a reason. */
  int MAX_REASON_BYTES = 512;

  byte entryCode();

  /**
   * A client joined with {@code name} on {@code server}; its session is {@code session}.
   *
   * @param name the client's name (see routing.ClientNames)
   * @param session the session's id, chosen by {@code server}, unique in the cluster
   * @param server the server the client is connected to
   */
  record Joined(String name, long session, NodeId server) implements StreamEntry {
    public static final byte CODE = 1;

    @Override
    public byte entryCode() {
      return CODE;
    }
  }

  /** A join refused, with the reason (the name is taken). */
  record JoinRefused(String name, long session, NodeId server, String reason) implements StreamEntry {
    public static final byte CODE = 2;

    @Override
    public byte entryCode() {
      return CODE;
    }
  }

  /**
   * A chat message from session {@code session} of client {@code from}; {@code clientSeq} counts
   * the session's requests from 1. A broadcast when {@code to} is null, private otherwise.
   */
  record Chat(String from, long session, long clientSeq, @org.jspecify.annotations.Nullable String to, String text)
      implements StreamEntry {
    public static final byte CODE = 3;

    @Override
    public byte entryCode() {
      return CODE;
    }
  }

  /** A chat message refused, with the reason (an unknown recipient). */
  record ChatRejected(String from, long session, long clientSeq, String reason) implements StreamEntry {
    public static final byte CODE = 4;

    @Override
    public byte entryCode() {
      return CODE;
    }
  }

  /** A client left (said goodbye, lost its server, or lost its name), with the reason. */
  record Left(String name, long session, String reason) implements StreamEntry {
    public static final byte CODE = 5;

    @Override
    public byte entryCode() {
      return CODE;
    }
  }

  /**
   * An entry of an earlier epoch that some server delivered and others may not have, carried into
   * a new epoch by the flush. A server that delivered {@code seq} of {@code epoch} already, or
   * that was not in that epoch, skips it.
   */
  record Carried(long epoch, long seq, StreamEntry entry) implements StreamEntry {
    public static final byte CODE = 6;

    @Override
    public byte entryCode() {
      return CODE;
    }
  }

  /**
   * Part {@code part} (from 0) of {@code parts} of the directory a new epoch starts with: every
   * connected client and its server. A server replaces its directory once it has delivered every
   * part.
   */
  record Directory(int part, int parts, java.util.List<Session> sessions) implements StreamEntry {
    public static final byte CODE = 7;

    public Directory {
      sessions = java.util.List.copyOf(sessions);
    }

    @Override
    public byte entryCode() {
      return CODE;
    }
  }

  /**
   * A connected client as a server reports it in a flush.
   *
   * @param name the client's name
   * @param session its session id
   * @param server its server
   * @param lastClientSeq the highest request number of the session the server has delivered
   */
  record Session(String name, long session, NodeId server, long lastClientSeq) {}
}
