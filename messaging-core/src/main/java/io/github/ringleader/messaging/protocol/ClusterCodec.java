package io.github.ringleader.messaging.protocol;

import static io.github.ringleader.messaging.transport.CodecException.Reason.BAD_MAGIC;
import static io.github.ringleader.messaging.transport.CodecException.Reason.INVALID_FIELD;
import static io.github.ringleader.messaging.transport.CodecException.Reason.INVALID_ID;
import static io.github.ringleader.messaging.transport.CodecException.Reason.LENGTH_MISMATCH;
import static io.github.ringleader.messaging.transport.CodecException.Reason.OVERSIZED;
import static io.github.ringleader.messaging.transport.CodecException.Reason.TRUNCATED;
import static io.github.ringleader.messaging.transport.CodecException.Reason.UNKNOWN_TYPE;
import static io.github.ringleader.messaging.transport.CodecException.Reason.UNSUPPORTED_VERSION;

import io.github.ringleader.messaging.node.NodeId;
import io.github.ringleader.messaging.protocol.StreamEntry.Carried;
import io.github.ringleader.messaging.protocol.StreamEntry.Chat;
import io.github.ringleader.messaging.protocol.StreamEntry.ChatRejected;
import io.github.ringleader.messaging.protocol.StreamEntry.Detached;
import io.github.ringleader.messaging.protocol.StreamEntry.Directory;
import io.github.ringleader.messaging.protocol.StreamEntry.JoinRefused;
import io.github.ringleader.messaging.protocol.StreamEntry.Joined;
import io.github.ringleader.messaging.protocol.StreamEntry.Left;
import io.github.ringleader.messaging.protocol.StreamEntry.Resumed;
import io.github.ringleader.messaging.protocol.StreamEntry.Session;
import io.github.ringleader.messaging.protocol.SyncReply.SequencedEntry;
import io.github.ringleader.messaging.routing.ClientNames;
import io.github.ringleader.messaging.session.ResumeToken;
import io.github.ringleader.messaging.transport.CodecException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Turns {@link ClusterEnvelope}s into frames and back: the one codec every cluster transport uses
 * (UDP datagrams, the simulated network, TCP streams). The format is specified in
 * {@code docs/wire-protocol.md}.
 *
 * <p>What it promises:
 *
 * <ul>
 *   <li>{@link #encode} never fails for an envelope the model lets exist whose frame fits in
 *       {@link #MAX_FRAME_BYTES}, and never produces a larger frame. Only a {@link
 *       StreamEntry.Directory} and a {@link SyncReply} (or a message carrying a directory) can
 *       grow that large; their senders split them into parts, measuring with {@link
 *       #frameSize}, {@link #encodedSize(StreamEntry)} and {@link
 *       #encodedSize(StreamEntry.Session)}.
 *   <li>The encoding is canonical: {@link #decode} accepts exactly the frames {@code encode}
 *       produces, so a frame that decodes re-encodes to the same bytes.
 *   <li>{@code decode} rejects every other input with a {@link CodecException} naming the broken
 *       rule, and never throws anything unchecked for any input bytes. It reads only the bytes in
 *       the range it is given, and never allocates for a length the input merely announces: what
 *       it allocates is bounded by the bytes actually there.
 *   <li>It holds no state, so any thread may call it.
 * </ul>
 */
public final class ClusterCodec {
  /**
   * The largest frame, length prefix included: the largest UDP payload over IPv4, so a frame
   * always fits one datagram.
   */
  public static final int MAX_FRAME_BYTES = 65_507;

  /** The bytes of the length prefix that starts every frame. */
  public static final int LENGTH_PREFIX_BYTES = 4;

  /** The protocol version this codec writes and reads. */
  public static final int VERSION = 1;

  private static final int MAGIC0 = 0x52; // 'R'
  private static final int MAGIC1 = 0x4C; // 'L'

  /** Length prefix, magic, version, type. */
  private static final int FIXED_HEADER_BYTES = LENGTH_PREFIX_BYTES + 2 + 1 + 1;

  /** Session flag bits. */
  static final int SESSION_DETACHED = 1;

  static final int SESSION_PAST = 2;

  /**
   * The fewest bytes a session takes: a one-character name, session id, a one-character server
   * id, lastClientSeq, flags.
   */
  static final int MIN_SESSION_BYTES = (1 + 1) + 8 + (1 + 1) + 8 + 1 + ResumeToken.BYTES;

  /** The fewest bytes an entry takes: a directory part without sessions. */
  static final int MIN_ENTRY_BYTES = 1 + 4 + 4 + 2;

  /** The fewest bytes an entry of a sync reply takes: its sequence number and an entry. */
  static final int MIN_SEQUENCED_ENTRY_BYTES = 8 + MIN_ENTRY_BYTES;

  private ClusterCodec() {}

  /**
   * Encodes {@code envelope} as one frame, length prefix included.
   *
   * @throws IllegalArgumentException if the frame would be larger than {@link #MAX_FRAME_BYTES}
   *     (a directory or sync reply that should have been split into more parts; see {@link
   *     #frameSize}), or if a {@link SyncReply.SequencedEntry} has a negative {@code seq}, which
   *     that record does not itself reject
   */
  public static byte[] encode(ClusterEnvelope envelope) {
    ClusterMessage message = envelope.message();
    long frameBytes = frameBytes(envelope);
    if (frameBytes > MAX_FRAME_BYTES) {
      throw new IllegalArgumentException(message.getClass().getSimpleName()
          + " frame would be "
          + frameBytes
          + " bytes, limit is "
          + MAX_FRAME_BYTES
          + "; split it into more parts");
    }
    // So every list in the frame has fewer than 65507 / MIN_SEQUENCED_ENTRY_BYTES (3447)
    // elements, and its count fits its u16.
    int size = (int) frameBytes;

    ByteBuffer out = ByteBuffer.allocate(size); // big-endian
    out.putInt(size - LENGTH_PREFIX_BYTES);
    out.put((byte) MAGIC0).put((byte) MAGIC1).put((byte) VERSION).put(message.typeCode());
    putString(out, ascii(envelope.cluster()));
    putString(out, ascii(envelope.sender().value()));
    out.putLong(envelope.incarnation());
    writeBody(out, message);
    if (out.hasRemaining()) {
      throw new AssertionError("computed " + size + " bytes for a "
          + message.getClass().getSimpleName() + ", wrote " + out.position());
    }
    return out.array();
  }

  /**
   * The size of the frame {@link #encode} produces for {@code envelope}, length prefix included.
   * A sender that splits a directory or a sync reply into parts can measure a part without its
   * sessions and entries with this, then add {@link #encodedSize(StreamEntry.Session)} per
   * session and {@link #encodedSize(StreamEntry)} (plus 8 for its {@code seq} in a sync reply)
   * per entry, and keep the sum at most {@link #MAX_FRAME_BYTES}.
   *
   * @return the size in bytes, exact up to {@code Integer.MAX_VALUE} (a larger size is reported
   *     as {@code Integer.MAX_VALUE}); anything above {@link #MAX_FRAME_BYTES} does not fit
   * @throws IllegalArgumentException if a {@link SyncReply.SequencedEntry} has a negative {@code
   *     seq}
   */
  public static int frameSize(ClusterEnvelope envelope) {
    return saturated(frameBytes(envelope));
  }

  /**
   * The bytes {@code entry} takes inside a frame: its entry code and its fields. That is what it
   * adds to a {@link Forward}, a {@link Sequenced} or a {@link StreamEntry.Carried}; in a {@link
   * SyncReply} it takes 8 more, for its {@code seq}.
   *
   * @return the size in bytes, exact up to {@code Integer.MAX_VALUE} (only a directory of
   *     millions of sessions is larger, and is reported as {@code Integer.MAX_VALUE})
   */
  public static int encodedSize(StreamEntry entry) {
    return saturated(entryBytes(entry));
  }

  /** The bytes {@code session} takes inside a frame, in a directory or a sync reply. */
  public static int encodedSize(StreamEntry.Session session) {
    return saturated(sessionBytes(session));
  }

  private static int saturated(long size) {
    return (int) Math.min(size, Integer.MAX_VALUE);
  }

  private static long frameBytes(ClusterEnvelope envelope) {
    return FIXED_HEADER_BYTES
        + 1
        + envelope.cluster().length()
        + 1
        + envelope.sender().value().length()
        + 8
        + bodyBytes(envelope.message());
  }

  /** Decodes {@code data}, which must hold exactly one frame. */
  public static ClusterEnvelope decode(byte[] data) throws CodecException {
    return decode(data, 0, data.length);
  }

  /**
   * Decodes the one frame that occupies exactly {@code data[offset, offset + length)}.
   *
   * @throws CodecException if those bytes are not exactly one valid frame
   * @throws IndexOutOfBoundsException if the range does not lie within {@code data} (a fault of
   *     the caller, not of the input)
   */
  public static ClusterEnvelope decode(byte[] data, int offset, int length) throws CodecException {
    Objects.checkFromIndexSize(offset, length, data.length);
    if (length < LENGTH_PREFIX_BYTES) {
      throw new CodecException(
          TRUNCATED, "frame has " + bytes(length) + ", fewer than its 4-byte length prefix");
    }
    long announced = checkAnnouncedLength(readU32(data, offset));
    int following = length - LENGTH_PREFIX_BYTES;
    if (announced > following) {
      throw new CodecException(
          TRUNCATED,
          "frame announces " + bytes(announced) + " after its length prefix, only "
              + follow(following));
    }
    if (announced < following) {
      throw new CodecException(
          LENGTH_MISMATCH,
          "frame announces " + bytes(announced) + " after its length prefix, but "
              + follow(following));
    }
    return new Reader(data, offset, offset + length).envelope();
  }

  /**
   * Decodes frames that lie back to back in {@code data[offset, offset + length)} — a datagram
   * that carries several — adding them to {@code out} in order. The range is whole frames or
   * nothing: if any part fails to decode, {@code out} is left as it was and the exception names
   * the first rule broken.
   *
   * @throws CodecException if the range is not one or more whole valid frames
   * @throws IndexOutOfBoundsException if the range does not lie within {@code data}
   */
  public static void decodeAll(byte[] data, int offset, int length, List<ClusterEnvelope> out)
      throws CodecException {
    Objects.checkFromIndexSize(offset, length, data.length);
    int before = out.size();
    int at = offset;
    int end = offset + length;
    try {
      do {
        int remaining = end - at;
        if (at > offset && remaining < LENGTH_PREFIX_BYTES) {
          throw new CodecException(
              LENGTH_MISMATCH,
              "datagram has " + bytes(remaining)
                  + " after its last frame, fewer than a length prefix");
        }
        int frame = frameLength(data, at, remaining);
        // A frame announcing more than is there: decode names what is missing.
        int take = frame < 0 || frame > remaining ? remaining : frame;
        out.add(decode(data, at, take));
        at += take;
      } while (at < end);
    } catch (CodecException e) {
      out.subList(before, out.size()).clear();
      throw e;
    }
  }

  /**
   * For reading frames off a stream: the size of the frame that starts at {@code data[offset]},
   * length prefix included, once its prefix has arrived. Only the prefix is looked at; the rest
   * is checked by {@link #decode} when the whole frame is there.
   *
   * @param available how many bytes from {@code offset} on have arrived
   * @return the frame's size in bytes, or -1 if fewer than 4 bytes are available
   * @throws CodecException with {@link CodecException.Reason#OVERSIZED} if the prefix announces a
   *     frame larger than {@link #MAX_FRAME_BYTES}, so a reader never allocates for it
   * @throws IndexOutOfBoundsException if the range does not lie within {@code data}
   */
  public static int frameLength(byte[] data, int offset, int available) throws CodecException {
    Objects.checkFromIndexSize(offset, available, data.length);
    if (available < LENGTH_PREFIX_BYTES) {
      return -1;
    }
    return (int) checkAnnouncedLength(readU32(data, offset)) + LENGTH_PREFIX_BYTES;
  }

  private static long checkAnnouncedLength(long announced) throws CodecException {
    if (announced > MAX_FRAME_BYTES - LENGTH_PREFIX_BYTES) {
      throw new CodecException(
          OVERSIZED,
          "frame announces "
              + announced
              + " bytes after its length prefix ("
              + (announced + LENGTH_PREFIX_BYTES)
              + " in all), limit is "
              + MAX_FRAME_BYTES
              + " in all");
    }
    return announced;
  }

  private static String bytes(long count) {
    return count == 1 ? "1 byte" : count + " bytes";
  }

  private static String follow(long count) {
    return count == 1 ? "1 follows" : count + " follow";
  }

  private static long readU32(byte[] data, int at) {
    return ((data[at] & 0xFFL) << 24)
        | ((data[at + 1] & 0xFFL) << 16)
        | ((data[at + 2] & 0xFFL) << 8)
        | (data[at + 3] & 0xFFL);
  }

  // ---------------------------------------------------------------- encoding

  private static long bodyBytes(ClusterMessage message) {
    if (message instanceof Heartbeat h) {
      NodeId leader = h.knownLeader();
      return 8
          + 2
          + 1
          + (leader == null ? 0 : leader.value().length())
          + 8
          + 4
          + 4
          + 1
          + h.clientHost().length()
          + 4
          + 2;
    } else if (message instanceof Discover || message instanceof Leave) {
      return 0;
    } else if (message instanceof IdInUse || message instanceof LeaderAnnouncement) {
      return 8;
    } else if (message instanceof Election e) {
      return 8 + 8 + 1 + e.candidate().value().length();
    } else if (message instanceof ElectionAck) {
      return 8 + 8;
    } else if (message instanceof Forward f) {
      return entryBytes(f.request());
    } else if (message instanceof SyncRequest) {
      return 8;
    } else if (message instanceof SyncReply r) {
      long size = 8 + 8 + 8 + 4 + 4 + 2 + 2;
      for (SequencedEntry e : r.entries()) {
        Checks.nonNegative("sync reply entry seq", e.seq());
        size += 8 + entryBytes(e.entry());
      }
      for (Session s : r.sessions()) {
        size += sessionBytes(s);
      }
      return size;
    } else if (message instanceof Sequenced s) {
      return 8 + 8 + entryBytes(s.entry());
    } else if (message instanceof StreamAck) {
      return 8 + 8 + 8;
    } else if (message instanceof StreamState) {
      return 8 + 8 + 8 + 8;
    }
    throw unknownType(message);
  }

  private static long entryBytes(StreamEntry entry) {
    long fields;
    if (entry instanceof Joined j) {
      fields = nameBytes(j.name()) + 8 + idBytes(j.server()) + ResumeToken.BYTES;
    } else if (entry instanceof JoinRefused r) {
      fields = nameBytes(r.name()) + 8 + idBytes(r.server()) + textBytes(r.reason());
    } else if (entry instanceof Chat c) {
      String to = c.to();
      fields =
          nameBytes(c.from()) + 8 + 8 + (to == null ? 1 : nameBytes(to)) + textBytes(c.text()) + 8;
    } else if (entry instanceof ChatRejected r) {
      fields = nameBytes(r.from()) + 8 + 8 + textBytes(r.reason());
    } else if (entry instanceof Left l) {
      fields = nameBytes(l.name()) + 8 + textBytes(l.reason());
    } else if (entry instanceof Detached d) {
      fields = nameBytes(d.name()) + 8 + textBytes(d.reason());
    } else if (entry instanceof Resumed r) {
      fields = nameBytes(r.name()) + 8 + idBytes(r.server()) + 8 + ResumeToken.BYTES;
    } else if (entry instanceof Carried c) {
      fields = 8 + 8 + entryBytes(c.entry()); // once: a carried entry is never a Carried
    } else if (entry instanceof Directory d) {
      fields = 4 + 4 + 2;
      for (Session s : d.sessions()) {
        fields += sessionBytes(s);
      }
    } else {
      throw unknownEntry(entry);
    }
    return 1 + fields;
  }

  private static long sessionBytes(Session session) {
    return nameBytes(session.name()) + 8 + idBytes(session.server()) + 8 + 1 + ResumeToken.BYTES;
  }

  /** A client name: a u8 count and ASCII (the model has checked the name). */
  private static int nameBytes(String name) {
    return 1 + name.length();
  }

  private static int idBytes(NodeId id) {
    return 1 + id.value().length();
  }

  /** A text or reason: a u16 count and UTF-8. */
  private static int textBytes(String text) {
    return 2 + utf8Length(text);
  }

  /**
   * The UTF-8 length of a text the model has checked: one with no unpaired surrogate, so a
   * high surrogate always starts a pair, which takes 4 bytes.
   */
  private static int utf8Length(String text) {
    int bytes = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < 0x80) {
        bytes += 1;
      } else if (c < 0x800) {
        bytes += 2;
      } else if (Character.isHighSurrogate(c)) {
        bytes += 4;
        i++;
      } else {
        bytes += 3;
      }
    }
    return bytes;
  }

  private static void writeBody(ByteBuffer out, ClusterMessage message) {
    if (message instanceof Heartbeat h) {
      NodeId leader = h.knownLeader();
      out.putLong(h.sequence());
      out.putShort((short) h.clientPort());
      putString(out, leader == null ? new byte[0] : ascii(leader.value()));
      out.putLong(h.term());
      out.putInt(h.clients());
      out.putInt(h.capacity());
      putString(out, ascii(h.clientHost()));
      out.putInt(h.intervalMillis());
      out.putShort((short) h.missedHeartbeats());
    } else if (message instanceof Discover || message instanceof Leave) {
      // no body
    } else if (message instanceof IdInUse i) {
      out.putLong(i.probingIncarnation());
    } else if (message instanceof Election e) {
      out.putLong(e.term());
      out.putLong(e.messageId());
      putString(out, ascii(e.candidate().value()));
    } else if (message instanceof ElectionAck a) {
      out.putLong(a.term());
      out.putLong(a.messageId());
    } else if (message instanceof LeaderAnnouncement l) {
      out.putLong(l.term());
    } else if (message instanceof Forward f) {
      writeEntry(out, f.request());
    } else if (message instanceof SyncRequest r) {
      out.putLong(r.epoch());
    } else if (message instanceof SyncReply r) {
      out.putLong(r.epoch());
      out.putLong(r.previousEpoch());
      out.putLong(r.delivered());
      out.putInt(r.part());
      out.putInt(r.parts());
      out.putShort((short) r.entries().size());
      for (SequencedEntry e : r.entries()) {
        out.putLong(e.seq());
        writeEntry(out, e.entry());
      }
      writeSessions(out, r.sessions());
    } else if (message instanceof Sequenced s) {
      out.putLong(s.epoch());
      out.putLong(s.seq());
      writeEntry(out, s.entry());
    } else if (message instanceof StreamAck a) {
      out.putLong(a.epoch());
      out.putLong(a.received());
      out.putLong(a.delivered());
    } else if (message instanceof StreamState s) {
      out.putLong(s.epoch());
      out.putLong(s.head());
      out.putLong(s.stable());
      out.putLong(s.delivered());
    } else {
      throw unknownType(message);
    }
  }

  private static void writeEntry(ByteBuffer out, StreamEntry entry) {
    out.put(entry.entryCode());
    if (entry instanceof Joined j) {
      putString(out, ascii(j.name()));
      out.putLong(j.session());
      putString(out, ascii(j.server().value()));
      putToken(out, j.token());
    } else if (entry instanceof JoinRefused r) {
      putString(out, ascii(r.name()));
      out.putLong(r.session());
      putString(out, ascii(r.server().value()));
      putText(out, r.reason());
    } else if (entry instanceof Chat c) {
      String to = c.to();
      putString(out, ascii(c.from()));
      out.putLong(c.session());
      out.putLong(c.clientSeq());
      putString(out, to == null ? new byte[0] : ascii(to));
      putText(out, c.text());
      out.putLong(c.previous());
    } else if (entry instanceof ChatRejected r) {
      putString(out, ascii(r.from()));
      out.putLong(r.session());
      out.putLong(r.clientSeq());
      putText(out, r.reason());
    } else if (entry instanceof Left l) {
      putString(out, ascii(l.name()));
      out.putLong(l.session());
      putText(out, l.reason());
    } else if (entry instanceof Detached d) {
      putString(out, ascii(d.name()));
      out.putLong(d.session());
      putText(out, d.reason());
    } else if (entry instanceof Resumed r) {
      putString(out, ascii(r.name()));
      out.putLong(r.session());
      putString(out, ascii(r.server().value()));
      out.putLong(r.lastClientSeq());
      putToken(out, r.token());
    } else if (entry instanceof Carried c) {
      out.putLong(c.epoch());
      out.putLong(c.seq());
      writeEntry(out, c.entry());
    } else if (entry instanceof Directory d) {
      out.putInt(d.part());
      out.putInt(d.parts());
      writeSessions(out, d.sessions());
    } else {
      throw unknownEntry(entry);
    }
  }

  private static void writeSessions(ByteBuffer out, List<Session> sessions) {
    out.putShort((short) sessions.size());
    for (Session s : sessions) {
      putString(out, ascii(s.name()));
      out.putLong(s.session());
      putString(out, ascii(s.server().value()));
      out.putLong(s.lastClientSeq());
      out.put((byte) ((s.detached() ? SESSION_DETACHED : 0) | (s.past() ? SESSION_PAST : 0)));
      putToken(out, s.token());
    }
  }

  private static void putToken(ByteBuffer out, ResumeToken token) {
    out.putLong(token.high());
    out.putLong(token.low());
  }

  private static void putText(ByteBuffer out, String checkedText) {
    int length = checkedText.length();
    if (Utf8.length(checkedText) == length) {
      out.putShort((short) length); // ASCII: one byte per char, no intermediate array
      for (int i = 0; i < length; i++) {
        out.put((byte) checkedText.charAt(i));
      }
      return;
    }
    byte[] utf8 = checkedText.getBytes(StandardCharsets.UTF_8);
    out.putShort((short) utf8.length);
    out.put(utf8);
  }

  /** Unreachable while {@link ClusterMessage} is sealed and every permitted type is handled. */
  private static AssertionError unknownType(ClusterMessage message) {
    return new AssertionError("no encoding for " + message.getClass().getName());
  }

  /** Unreachable while {@link StreamEntry} is sealed and every permitted type is handled. */
  private static AssertionError unknownEntry(StreamEntry entry) {
    return new AssertionError("no encoding for " + entry.getClass().getName());
  }

  private static byte[] ascii(String validatedText) {
    return validatedText.getBytes(StandardCharsets.US_ASCII);
  }

  private static void putString(ByteBuffer out, byte[] ascii) {
    out.put((byte) ascii.length);
    out.put(ascii);
  }

  // ---------------------------------------------------------------- decoding

  /**
   * Reads the fields of one frame whose length prefix has been checked against its range. Every
   * read first checks that the bytes are there, so nothing here can index out of the range.
   */
  private static final class Reader {
    private final byte[] data;
    private final int frameStart;
    private final int end;
    private int pos;

    Reader(byte[] data, int frameStart, int end) {
      this.data = data;
      this.frameStart = frameStart;
      this.end = end;
      this.pos = frameStart + LENGTH_PREFIX_BYTES;
    }

    ClusterEnvelope envelope() throws CodecException {
      need(2, "magic");
      int magic0 = data[pos] & 0xFF;
      int magic1 = data[pos + 1] & 0xFF;
      if (magic0 != MAGIC0 || magic1 != MAGIC1) {
        throw new CodecException(
            BAD_MAGIC,
            String.format(
                "frame starts with magic 0x%02X 0x%02X, expected 0x52 0x4C (\"RL\")",
                magic0, magic1));
      }
      pos += 2;
      int version = u8("version");
      if (version != VERSION) {
        throw new CodecException(
            UNSUPPORTED_VERSION,
            "frame is protocol version " + version + ", this codec speaks version " + VERSION);
      }
      int type = u8("type");
      if (!isKnownType(type)) {
        throw new CodecException(UNKNOWN_TYPE, "unknown message type " + type);
      }

      String cluster = ascii("cluster name", INVALID_FIELD);
      try {
        ClusterEnvelope.checkClusterName(cluster);
      } catch (IllegalArgumentException e) {
        throw new CodecException(INVALID_FIELD, String.valueOf(e.getMessage()));
      }
      NodeId sender = nodeId("sender id");
      long incarnation = i64("incarnation");
      ClusterMessage message = body(type);
      if (pos != end) {
        throw new CodecException(
            LENGTH_MISMATCH,
            bytes(end - pos)
                + (end - pos == 1 ? " follows" : " follow")
                + " the end of the "
                + message.getClass().getSimpleName()
                + " body at byte "
                + (pos - frameStart));
      }
      return valid("envelope", () -> new ClusterEnvelope(cluster, sender, incarnation, message));
    }

    private static boolean isKnownType(int type) {
      return switch (type) {
        case Heartbeat.TYPE,
            Discover.TYPE,
            IdInUse.TYPE,
            Election.TYPE,
            ElectionAck.TYPE,
            LeaderAnnouncement.TYPE,
            Leave.TYPE,
            Forward.TYPE,
            SyncRequest.TYPE,
            SyncReply.TYPE,
            Sequenced.TYPE,
            StreamAck.TYPE,
            StreamState.TYPE -> true;
        default -> false;
      };
    }

    private ClusterMessage body(int type) throws CodecException {
      switch (type) {
        case Heartbeat.TYPE -> {
          long sequence = i64("heartbeat sequence");
          int clientPort = u16("heartbeat clientPort");
          NodeId leader = optionalNodeId("heartbeat knownLeader id");
          long term = i64("heartbeat term");
          int clients = i32("heartbeat clients");
          int capacity = i32("heartbeat capacity");
          String clientHost = ascii("heartbeat clientHost", INVALID_FIELD);
          int intervalMillis = i32("heartbeat intervalMillis");
          int missed = u16("heartbeat missedHeartbeats");
          return valid(
              "Heartbeat",
              () -> new Heartbeat(
                  sequence,
                  clientPort,
                  leader,
                  term,
                  clients,
                  capacity,
                  clientHost,
                  intervalMillis,
                  missed));
        }
        case Discover.TYPE -> {
          return new Discover();
        }
        case IdInUse.TYPE -> {
          long probingIncarnation = i64("probingIncarnation");
          return valid("IdInUse", () -> new IdInUse(probingIncarnation));
        }
        case Election.TYPE -> {
          long term = i64("election term");
          long messageId = i64("election messageId");
          NodeId candidate = nodeId("candidate id");
          return valid("Election", () -> new Election(term, messageId, candidate));
        }
        case ElectionAck.TYPE -> {
          long term = i64("election ack term");
          long messageId = i64("election ack messageId");
          return valid("ElectionAck", () -> new ElectionAck(term, messageId));
        }
        case LeaderAnnouncement.TYPE -> {
          long term = i64("leader announcement term");
          return valid("LeaderAnnouncement", () -> new LeaderAnnouncement(term));
        }
        case Leave.TYPE -> {
          return new Leave();
        }
        case Forward.TYPE -> {
          StreamEntry request = entry("forward request", true);
          return valid("Forward", () -> new Forward(request));
        }
        case SyncRequest.TYPE -> {
          long epoch = nonNegative("sync request epoch");
          return valid("SyncRequest", () -> new SyncRequest(epoch));
        }
        case SyncReply.TYPE -> {
          return syncReply();
        }
        case Sequenced.TYPE -> {
          long epoch = nonNegative("sequenced epoch");
          long seq = nonNegative("sequenced seq");
          StreamEntry entry = entry("sequenced entry", true);
          return valid("Sequenced", () -> new Sequenced(epoch, seq, entry));
        }
        case StreamAck.TYPE -> {
          long epoch = nonNegative("stream ack epoch");
          long received = nonNegative("stream ack received");
          long delivered = nonNegative("stream ack delivered");
          return valid("StreamAck", () -> new StreamAck(epoch, received, delivered));
        }
        case StreamState.TYPE -> {
          long epoch = nonNegative("stream state epoch");
          long head = nonNegative("stream state head");
          long stable = nonNegative("stream state stable");
          long delivered = nonNegative("stream state delivered");
          return valid("StreamState", () -> new StreamState(epoch, head, stable, delivered));
        }
        default -> throw new CodecException(UNKNOWN_TYPE, "unknown message type " + type);
      }
    }

    private SyncReply syncReply() throws CodecException {
      long epoch = nonNegative("sync reply epoch");
      long previousEpoch = nonNegative("sync reply previousEpoch");
      long delivered = nonNegative("sync reply delivered");
      int part = i32("sync reply part");
      int parts = i32("sync reply parts");
      if (parts < 1) {
        throw new CodecException(INVALID_FIELD, "sync reply parts must be >= 1, was " + parts);
      }
      if (part < 0 || part >= parts) {
        throw new CodecException(
            INVALID_FIELD, "sync reply part must be in 0.." + (parts - 1) + ", was " + part);
      }
      int count =
          listCount("sync reply entry count", "sync reply entries", MIN_SEQUENCED_ENTRY_BYTES);
      List<SequencedEntry> entries = new ArrayList<>(count);
      for (int i = 0; i < count; i++) {
        String element = "sync reply entries[" + i + "]";
        long seq = nonNegative(element + ".seq");
        StreamEntry entry = entry(element, true);
        entries.add(new SequencedEntry(seq, entry));
      }
      List<Session> sessions = sessions("sync reply");
      return valid(
          "SyncReply",
          () -> new SyncReply(epoch, previousEpoch, delivered, part, parts, entries, sessions));
    }

    /**
     * One stream entry: its code, then its fields. A {@link Carried} entry holds one entry that is
     * not itself carried, so this recurses at most once.
     */
    private StreamEntry entry(String field, boolean carriedAllowed) throws CodecException {
      int code = u8(field + " code");
      switch (code) {
        case Joined.CODE -> {
          String name = clientName("joined name");
          long session = nonNegative("joined session");
          NodeId server = nodeId("joined server id");
          ResumeToken token = token("joined token");
          return valid("Joined", () -> new Joined(name, session, server, token));
        }
        case JoinRefused.CODE -> {
          String name = clientName("join refused name");
          long session = nonNegative("join refused session");
          NodeId server = nodeId("join refused server id");
          String reason = utf8("join refused reason", StreamEntry.MAX_REASON_BYTES);
          return valid("JoinRefused", () -> new JoinRefused(name, session, server, reason));
        }
        case Chat.CODE -> {
          String from = clientName("chat from");
          long session = nonNegative("chat session");
          long clientSeq = nonNegative("chat clientSeq");
          String to = optionalClientName("chat to");
          String text = utf8("chat text", StreamEntry.MAX_TEXT_BYTES);
          long previous = nonNegative("chat previous");
          return valid("Chat", () -> new Chat(from, session, clientSeq, to, text, previous));
        }
        case ChatRejected.CODE -> {
          String from = clientName("chat rejected from");
          long session = nonNegative("chat rejected session");
          long clientSeq = nonNegative("chat rejected clientSeq");
          String reason = utf8("chat rejected reason", StreamEntry.MAX_REASON_BYTES);
          return valid("ChatRejected", () -> new ChatRejected(from, session, clientSeq, reason));
        }
        case Left.CODE -> {
          String name = clientName("left name");
          long session = nonNegative("left session");
          String reason = utf8("left reason", StreamEntry.MAX_REASON_BYTES);
          return valid("Left", () -> new Left(name, session, reason));
        }
        case Detached.CODE -> {
          String name = clientName("detached name");
          long session = nonNegative("detached session");
          String reason = utf8("detached reason", StreamEntry.MAX_REASON_BYTES);
          return valid("Detached", () -> new Detached(name, session, reason));
        }
        case Resumed.CODE -> {
          String name = clientName("resumed name");
          long session = nonNegative("resumed session");
          NodeId server = nodeId("resumed server id");
          long lastClientSeq = nonNegative("resumed lastClientSeq");
          ResumeToken token = token("resumed token");
          return valid("Resumed", () -> new Resumed(name, session, server, lastClientSeq, token));
        }
        case Carried.CODE -> {
          if (!carriedAllowed) {
            throw new CodecException(INVALID_FIELD, "a carried entry cannot carry another");
          }
          long epoch = nonNegative("carried epoch");
          long seq = nonNegative("carried seq");
          StreamEntry carried = entry("carried entry", false);
          return valid("Carried", () -> new Carried(epoch, seq, carried));
        }
        case Directory.CODE -> {
          int part = i32("directory part");
          int parts = i32("directory parts");
          if (parts < 1 || parts > StreamEntry.MAX_DIRECTORY_PARTS) {
            throw new CodecException(
                INVALID_FIELD,
                "directory parts must be in 1.."
                    + StreamEntry.MAX_DIRECTORY_PARTS
                    + ", was "
                    + parts);
          }
          if (part < 0 || part >= parts) {
            throw new CodecException(
                INVALID_FIELD, "directory part must be in 0.." + (parts - 1) + ", was " + part);
          }
          List<Session> sessions = sessions("directory");
          return valid("Directory", () -> new Directory(part, parts, sessions));
        }
        default ->
          throw new CodecException(INVALID_FIELD, field + " has unknown entry code " + code);
      }
    }

    /** A u16 count, then that many sessions. */
    private List<Session> sessions(String owner) throws CodecException {
      int count = listCount(owner + " session count", owner + " sessions", MIN_SESSION_BYTES);
      List<Session> sessions = new ArrayList<>(count);
      for (int i = 0; i < count; i++) {
        String element = owner + " sessions[" + i + "]";
        String name = clientName(element + ".name");
        long session = nonNegative(element + ".session");
        NodeId server = nodeId(element + ".server id");
        long lastClientSeq = nonNegative(element + ".lastClientSeq");
        int flags = u8(element + ".flags");
        if ((flags & ~(SESSION_DETACHED | SESSION_PAST)) != 0) {
          throw new CodecException(
              INVALID_FIELD, element + ".flags has unknown bits set: " + flags);
        }
        boolean detached = (flags & SESSION_DETACHED) != 0;
        boolean past = (flags & SESSION_PAST) != 0;
        ResumeToken token = token(element + ".token");
        sessions.add(valid(
            "Session",
            () -> new Session(name, session, server, lastClientSeq, detached, past, token)));
      }
      return sessions;
    }

    /**
     * A u16 element count, checked against the bytes left before anything is allocated for the
     * elements: each takes at least {@code minElementBytes}.
     */
    private int listCount(String field, String elements, int minElementBytes)
        throws CodecException {
      int count = u16(field);
      long needed = (long) count * minElementBytes;
      int left = end - pos;
      if (needed > left) {
        throw new CodecException(
            TRUNCATED,
            "frame ends inside "
                + elements
                + " at byte "
                + (pos - frameStart)
                + ": "
                + count
                + " of them need at least "
                + bytes(needed)
                + ", "
                + left
                + " left");
      }
      return count;
    }

    /** Builds a record, turning the constructor's rejection of a field into INVALID_FIELD. */
    private static <T> T valid(String what, Supplier<T> constructor) throws CodecException {
      try {
        return constructor.get();
      } catch (IllegalArgumentException e) {
        throw new CodecException(INVALID_FIELD, "invalid " + what + ": " + e.getMessage());
      }
    }

    /** A client name: a {@code str} that follows {@link ClientNames}. */
    private String clientName(String field) throws CodecException {
      String name = ascii(field, INVALID_FIELD);
      String problem = ClientNames.problemWith(name);
      if (problem != null) {
        throw new CodecException(INVALID_FIELD, field + " is invalid: " + problem);
      }
      return name;
    }

    /** A client name, or null for an empty string (which no valid name is). */
    private @Nullable String optionalClientName(String field) throws CodecException {
      int at = pos;
      if (u8(field + " length") == 0) {
        return null;
      }
      pos = at;
      return clientName(field);
    }

    /**
     * A text: a u16 byte count, then that many bytes of well-formed UTF-8. The count is checked
     * against {@code limit} first, so a text is never longer than its field allows, and the bytes
     * are decoded strictly (an overlong form, an encoded surrogate or a truncated sequence is
     * rejected), so decoding and encoding again gives the same bytes.
     */
    private String utf8(String field, int limit) throws CodecException {
      int count = u16(field + " length");
      if (count > limit) {
        throw new CodecException(
            INVALID_FIELD, field + " is " + bytes(count) + ", limit is " + limit);
      }
      need(count, field);
      if (Utf8.isAscii(data, pos, count)) {
        String ascii = Utf8.fromAscii(data, pos, count);
        pos += count;
        return ascii;
      }
      ByteBuffer in = ByteBuffer.wrap(data, pos, count);
      CharsetDecoder decoder = StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT);
      String text;
      try {
        text = decoder.decode(in).toString();
      } catch (CharacterCodingException e) {
        throw new CodecException(
            INVALID_FIELD,
            field
                + " is not well-formed UTF-8: invalid sequence at index "
                + (in.position() - pos));
      }
      pos += count;
      return text;
    }

    /** An i64 that must be {@code >= 0}. */
    private long nonNegative(String field) throws CodecException {
      long value = i64(field);
      if (value < 0) {
        throw new CodecException(INVALID_FIELD, field + " must be >= 0, was " + value);
      }
      return value;
    }

    private NodeId nodeId(String field) throws CodecException {
      NodeId id = optionalNodeId(field);
      if (id == null) {
        throw new CodecException(INVALID_ID, field + " is empty");
      }
      return id;
    }

    /** A node id, or null for an empty string (which no valid id is). */
    private @Nullable NodeId optionalNodeId(String field) throws CodecException {
      String text = ascii(field, INVALID_ID);
      if (text.isEmpty()) {
        return null;
      }
      String problem = NodeId.problemWith(text);
      if (problem != null) {
        throw new CodecException(INVALID_ID, field + " is invalid: " + problem);
      }
      return NodeId.of(text);
    }

    /**
     * A string: a one-byte count, then that many bytes of printable ASCII. Control characters
     * and non-ASCII bytes are rejected here, by position, so that no message ever quotes them;
     * which printable characters a field allows is up to the field's own rule.
     */
    private String ascii(String field, CodecException.Reason invalid) throws CodecException {
      int count = u8(field + " length");
      need(count, field);
      for (int i = 0; i < count; i++) {
        int b = data[pos + i] & 0xFF;
        if (b >= 0x80) {
          throw new CodecException(
              invalid, String.format("%s has non-ASCII byte 0x%02X at index %d", field, b, i));
        }
        if (b < 0x20 || b == 0x7F) {
          throw new CodecException(
              invalid, String.format("%s has invalid character U+%04X at index %d", field, b, i));
        }
      }
      String text = new String(data, pos, count, StandardCharsets.US_ASCII);
      pos += count;
      return text;
    }

    private int u8(String field) throws CodecException {
      need(1, field);
      return data[pos++] & 0xFF;
    }

    private int u16(String field) throws CodecException {
      need(2, field);
      int value = ((data[pos] & 0xFF) << 8) | (data[pos + 1] & 0xFF);
      pos += 2;
      return value;
    }

    private int i32(String field) throws CodecException {
      need(4, field);
      int value = 0;
      for (int i = 0; i < 4; i++) {
        value = (value << 8) | (data[pos + i] & 0xFF);
      }
      pos += 4;
      return value;
    }

    /** A resume token: two 64-bit numbers, any bits. */
    private ResumeToken token(String field) throws CodecException {
      long high = i64(field + " high");
      return new ResumeToken(high, i64(field + " low"));
    }

    private long i64(String field) throws CodecException {
      need(8, field);
      long value = 0;
      for (int i = 0; i < 8; i++) {
        value = (value << 8) | (data[pos + i] & 0xFFL);
      }
      pos += 8;
      return value;
    }

    private void need(int count, String field) throws CodecException {
      int left = end - pos;
      if (left < count) {
        throw new CodecException(
            TRUNCATED,
            "frame ends inside "
                + field
                + " at byte "
                + (pos - frameStart)
                + ": needs "
                + bytes(count)
                + ", "
                + left
                + " left");
      }
    }
  }
}
