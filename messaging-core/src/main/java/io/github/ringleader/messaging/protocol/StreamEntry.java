package io.github.ringleader.messaging.protocol;

import io.github.ringleader.messaging.node.NodeId;
import io.github.ringleader.messaging.routing.ClientNames;
import io.github.ringleader.messaging.session.ResumeToken;

/**
 * One entry of the cluster's sequenced stream (see {@link Sequenced}): a client request as the
 * leader decided it. Entries are also what servers propose to the leader ({@link Forward}), in
 * which case only {@link Joined}, {@link Chat} and {@link Left} make sense.
 *
 * <p>Each type has a fixed one-byte code inside the frame ({@link #entryCode()}).
 *
 * <p>The constructors enforce what the wire can carry, so every entry that exists can be encoded
 * (see {@link ClusterCodec}): client names follow {@link ClientNames}, session ids, request
 * numbers, epochs and sequence numbers are {@code >= 0}, texts and reasons are well-formed
 * UTF-16 (no unpaired surrogate) of at most {@link #MAX_TEXT_BYTES} or {@link #MAX_REASON_BYTES}
 * bytes of UTF-8. They throw {@link IllegalArgumentException} naming the field otherwise.
 */
public sealed interface StreamEntry
    permits StreamEntry.Joined,
        StreamEntry.JoinRefused,
        StreamEntry.Chat,
        StreamEntry.ChatRejected,
        StreamEntry.Left,
        StreamEntry.Carried,
        StreamEntry.Directory,
        StreamEntry.Detached,
        StreamEntry.Resumed {

  /** The most bytes of UTF-8 text in one chat message. */
  int MAX_TEXT_BYTES = 4096;

  /** The most bytes of UTF-8 in a reason. */
  int MAX_REASON_BYTES = 512;

  /** The most parts a directory may have. */
  int MAX_DIRECTORY_PARTS = 65_535;

  byte entryCode();

  /**
   * A client joined with {@code name} on {@code server}; its session is {@code session}.
   *
   * @param name the client's name (see routing.ClientNames)
   * @param session the session's id, chosen by {@code server}, unique in the cluster
   * @param server the server the client is connected to
   * @param token the secret its client must show to resume the session (see {@link ResumeToken})
   */
  record Joined(String name, long session, NodeId server, ResumeToken token)
      implements StreamEntry {
    public static final byte CODE = 1;

    public Joined {
      checkName("name", name);
      Checks.nonNegative("session", session);
    }

    /** A join whose session cannot be resumed (it has no token). */
    public Joined(String name, long session, NodeId server) {
      this(name, session, server, ResumeToken.NONE);
    }

    @Override
    public byte entryCode() {
      return CODE;
    }
  }

  /** A join refused, with the reason (the name is taken). */
  record JoinRefused(String name, long session, NodeId server, String reason)
      implements StreamEntry {
    public static final byte CODE = 2;

    public JoinRefused {
      checkName("name", name);
      Checks.nonNegative("session", session);
      checkUtf8("reason", reason, MAX_REASON_BYTES);
    }

    @Override
    public byte entryCode() {
      return CODE;
    }
  }

  /**
   * A chat message from session {@code session} of client {@code from}. A broadcast when {@code
   * to} is null, private otherwise.
   *
   * @param clientSeq the client's own number for the send ({@code ClientRequest.Send.seq}): it
   *     only grows within a session, whichever server the client is on, so a chat sequenced
   *     before (sent again after a resume, say) is recognised by it
   * @param previous the number of the session's chat its server passed on before this one (0 for
   *     none): the leader takes a chat only once that one is sequenced, so each sender's chats
   *     keep their order whatever the network does to them
   */
  record Chat(
      String from,
      long session,
      long clientSeq,
      @org.jspecify.annotations.Nullable String to,
      String text,
      long previous)
      implements StreamEntry {
    public static final byte CODE = 3;

    public Chat {
      checkName("from", from);
      Checks.nonNegative("session", session);
      Bounds.clientSeq("clientSeq", clientSeq);
      if (to != null) {
        checkName("to", to);
      }
      checkUtf8("text", text, MAX_TEXT_BYTES);
      Checks.nonNegative("previous", previous);
      if (previous > 0 && previous >= clientSeq) {
        throw new IllegalArgumentException(
            "previous must be below clientSeq " + clientSeq + ", was " + previous);
      }
    }

    /** A chat whose predecessor is numbered one less (a client that numbers 1, 2, 3, ...). */
    public Chat(
        String from,
        long session,
        long clientSeq,
        @org.jspecify.annotations.Nullable String to,
        String text) {
      this(from, session, clientSeq, to, text, Math.max(0, clientSeq - 1));
    }

    @Override
    public byte entryCode() {
      return CODE;
    }
  }

  /** A chat message refused, with the reason (an unknown recipient); numbered as {@link Chat}. */
  record ChatRejected(String from, long session, long clientSeq, String reason)
      implements StreamEntry {
    public static final byte CODE = 4;

    public ChatRejected {
      checkName("from", from);
      Checks.nonNegative("session", session);
      Bounds.clientSeq("clientSeq", clientSeq);
      checkUtf8("reason", reason, MAX_REASON_BYTES);
    }

    @Override
    public byte entryCode() {
      return CODE;
    }
  }

  /** A client left (said goodbye, lost its server, or lost its name), with the reason. */
  record Left(String name, long session, String reason) implements StreamEntry {
    public static final byte CODE = 5;

    public Left {
      checkName("name", name);
      Checks.nonNegative("session", session);
      checkUtf8("reason", reason, MAX_REASON_BYTES);
    }

    @Override
    public byte entryCode() {
      return CODE;
    }
  }

  /**
   * An entry of an earlier epoch that some server delivered and others may not have, carried into
   * a new epoch by the flush. A server that delivered {@code seq} of {@code epoch} already, or
   * that was not in that epoch, skips it. The carried entry is never itself a {@code Carried}.
   */
  record Carried(long epoch, long seq, StreamEntry entry) implements StreamEntry {
    public static final byte CODE = 6;

    public Carried {
      Checks.nonNegative("epoch", epoch);
      Checks.nonNegative("seq", seq);
      if (entry instanceof Carried) {
        throw new IllegalArgumentException("a carried entry cannot carry another");
      }
    }

    @Override
    public byte entryCode() {
      return CODE;
    }
  }

  /**
   * Part {@code part} (from 0) of {@code parts} of the directory a new epoch starts with: every
   * connected client and its server. A server replaces its directory once it has delivered every
   * part. {@code parts} is at most {@link #MAX_DIRECTORY_PARTS}.
   */
  record Directory(int part, int parts, java.util.List<Session> sessions) implements StreamEntry {
    public static final byte CODE = 7;

    public Directory {
      if (parts < 1 || parts > MAX_DIRECTORY_PARTS) {
        throw new IllegalArgumentException(
            "parts must be in 1.." + MAX_DIRECTORY_PARTS + ", was " + parts);
      }
      if (part < 0 || part >= parts) {
        throw new IllegalArgumentException("part must be in 0.." + (parts - 1) + ", was " + part);
      }
      sessions = java.util.List.copyOf(sessions);
    }

    @Override
    public byte entryCode() {
      return CODE;
    }
  }

  /**
   * The session of client {@code name} lost its connection or its server: the cluster holds its
   * name, and keeps what is sent to it, for a grace period in which the client may resume it on
   * any server ({@link Resumed}); after that, it leaves ({@link Left}).
   */
  record Detached(String name, long session, String reason) implements StreamEntry {
    public static final byte CODE = 8;

    public Detached {
      checkName("name", name);
      Checks.nonNegative("session", session);
      checkUtf8("reason", reason, MAX_REASON_BYTES);
    }

    @Override
    public byte entryCode() {
      return CODE;
    }
  }

  /**
   * The client resumed session {@code session} on {@code server}. As a proposal, {@code
   * lastClientSeq} is 0 and {@code token} is the one the client showed: the leader refuses the
   * resume unless it is the session's. The leader fills in the number of the session's last chat
   * it has sequenced, which tells the client what not to send again, and the new server where its
   * chats' chain starts; and the session's token.
   */
  record Resumed(String name, long session, NodeId server, long lastClientSeq, ResumeToken token)
      implements StreamEntry {
    public static final byte CODE = 9;

    public Resumed {
      checkName("name", name);
      Checks.nonNegative("session", session);
      Bounds.clientSeq("lastClientSeq", lastClientSeq);
    }

    /** A resumption without a token (which the leader refuses as a proposal). */
    public Resumed(String name, long session, NodeId server, long lastClientSeq) {
      this(name, session, server, lastClientSeq, ResumeToken.NONE);
    }

    @Override
    public byte entryCode() {
      return CODE;
    }
  }

  /**
   * A client's session as a server reports it in a flush, and as a directory lists it.
   *
   * @param name the client's name
   * @param session its session id
   * @param server its server (for a detached session, the last one)
   * @param lastClientSeq the highest chat number of the session the reporting server has
   *     delivered
   * @param detached whether the session is waiting for its client to resume it
   * @param past whether the session is over as far as the reporting server knows (it is not in
   *     its directory): reported in a flush only for what the server delivered of it
   * @param token the secret its client must show to resume it ({@link ResumeToken#NONE}: it
   *     cannot be resumed)
   */
  record Session(
      String name,
      long session,
      NodeId server,
      long lastClientSeq,
      boolean detached,
      boolean past,
      ResumeToken token) {
    public Session {
      checkName("name", name);
      Checks.nonNegative("session", session);
      Bounds.clientSeq("lastClientSeq", lastClientSeq);
    }

    /** A session without a token. */
    public Session(
        String name,
        long session,
        NodeId server,
        long lastClientSeq,
        boolean detached,
        boolean past) {
      this(name, session, server, lastClientSeq, detached, past, ResumeToken.NONE);
    }

    /** An attached, current session without a token. */
    public Session(String name, long session, NodeId server, long lastClientSeq) {
      this(name, session, server, lastClientSeq, false, false);
    }

    /** An attached, current session with its token. */
    public Session(
        String name, long session, NodeId server, long lastClientSeq, ResumeToken token) {
      this(name, session, server, lastClientSeq, false, false, token);
    }

    /** The session on {@code newServer}, attached or not. */
    public Session withServer(NodeId newServer, boolean nowDetached) {
      return new Session(name, session, newServer, lastClientSeq, nowDetached, past, token);
    }

    /** The session with this last chat number. */
    public Session withLastClientSeq(long newLastClientSeq) {
      return new Session(name, session, server, newLastClientSeq, detached, past, token);
    }

    /** The session marked as over (or not) for the reporting server. */
    public Session asPast(boolean isPast) {
      return new Session(name, session, server, lastClientSeq, detached, isPast, token);
    }
  }

  private static void checkName(String field, String name) {
    String problem = ClientNames.problemWith(name);
    if (problem != null) {
      throw new IllegalArgumentException(field + " is invalid: " + problem);
    }
  }

  /**
   * Checks that {@code text} can be encoded as UTF-8 (it has no unpaired surrogate) in at most
   * {@code limit} bytes.
   */
  private static void checkUtf8(String field, String text, int limit) {
    long bytes = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < 0x80) {
        bytes += 1;
      } else if (c < 0x800) {
        bytes += 2;
      } else if (Character.isHighSurrogate(c)
          && i + 1 < text.length()
          && Character.isLowSurrogate(text.charAt(i + 1))) {
        bytes += 4;
        i++;
      } else if (Character.isSurrogate(c)) {
        throw new IllegalArgumentException(
            field + " has an unpaired surrogate at index " + i + ", which UTF-8 cannot encode");
      } else {
        bytes += 3;
      }
    }
    if (bytes > limit) {
      throw new IllegalArgumentException(
          field + " is " + bytes + " bytes of UTF-8, limit is " + limit);
    }
  }
}
