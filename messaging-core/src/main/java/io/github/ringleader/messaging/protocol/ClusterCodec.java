package io.github.ringleader.messaging.protocol;

import static io.github.ringleader.messaging.protocol.CodecException.Reason.BAD_MAGIC;
import static io.github.ringleader.messaging.protocol.CodecException.Reason.INVALID_FIELD;
import static io.github.ringleader.messaging.protocol.CodecException.Reason.INVALID_ID;
import static io.github.ringleader.messaging.protocol.CodecException.Reason.LENGTH_MISMATCH;
import static io.github.ringleader.messaging.protocol.CodecException.Reason.OVERSIZED;
import static io.github.ringleader.messaging.protocol.CodecException.Reason.TRUNCATED;
import static io.github.ringleader.messaging.protocol.CodecException.Reason.UNKNOWN_TYPE;
import static io.github.ringleader.messaging.protocol.CodecException.Reason.UNSUPPORTED_VERSION;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
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
 *   <li>{@link #encode} never fails for an envelope the model lets exist, and every frame it
 *       produces is at most {@link #MAX_FRAME_BYTES}.
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

  private ClusterCodec() {}

  /** Encodes {@code envelope} as one frame, length prefix included. */
  public static byte[] encode(ClusterEnvelope envelope) {
    byte[] cluster = ascii(envelope.cluster());
    byte[] sender = ascii(envelope.sender().value());
    ClusterMessage message = envelope.message();
    int size =
        FIXED_HEADER_BYTES + 1 + cluster.length + 1 + sender.length + 8 + bodyBytes(message);

    ByteBuffer out = ByteBuffer.allocate(size); // big-endian
    out.putInt(size - LENGTH_PREFIX_BYTES);
    out.put((byte) MAGIC0).put((byte) MAGIC1).put((byte) VERSION).put(message.typeCode());
    putString(out, cluster);
    putString(out, sender);
    out.putLong(envelope.incarnation());
    writeBody(out, message);
    return out.array();
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
  public static ClusterEnvelope decode(byte[] data, int offset, int length)
      throws CodecException {
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

  private static int bodyBytes(ClusterMessage message) {
    if (message instanceof Heartbeat h) {
      NodeId leader = h.knownLeader();
      return 8 + 2 + 1 + (leader == null ? 0 : leader.value().length()) + 8 + 4 + 4;
    } else if (message instanceof Discover || message instanceof Leave) {
      return 0;
    } else if (message instanceof IdInUse || message instanceof LeaderAnnouncement) {
      return 8;
    } else if (message instanceof Election e) {
      return 8 + 8 + 1 + e.candidate().value().length();
    } else if (message instanceof ElectionAck) {
      return 8 + 8;
    }
    throw unknownType(message);
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
    } else {
      throw unknownType(message);
    }
  }

  /** Unreachable while {@link ClusterMessage} is sealed and every permitted type is handled. */
  private static AssertionError unknownType(ClusterMessage message) {
    return new AssertionError("no encoding for " + message.getClass().getName());
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
            Leave.TYPE -> true;
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
          return valid(
              "Heartbeat",
              () -> new Heartbeat(sequence, clientPort, leader, term, clients, capacity));
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
        default -> throw new CodecException(UNKNOWN_TYPE, "unknown message type " + type);
      }
    }

    /** Builds a record, turning the constructor's rejection of a field into INVALID_FIELD. */
    private static <T> T valid(String what, Supplier<T> constructor) throws CodecException {
      try {
        return constructor.get();
      } catch (IllegalArgumentException e) {
        throw new CodecException(INVALID_FIELD, "invalid " + what + ": " + e.getMessage());
      }
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
