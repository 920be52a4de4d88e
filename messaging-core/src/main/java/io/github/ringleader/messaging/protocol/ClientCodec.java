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
import io.github.ringleader.messaging.routing.ClientNames;
import io.github.ringleader.messaging.session.ClientRequest;
import io.github.ringleader.messaging.session.Credential;
import io.github.ringleader.messaging.session.ResumeToken;
import io.github.ringleader.messaging.session.ServerEvent;
import io.github.ringleader.messaging.transport.CodecException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Turns {@link ClientRequest}s and {@link ServerEvent}s into frames for a client's TCP stream and
 * back. The format is specified in {@code docs/wire-protocol.md}, section "Client protocol (TCP)";
 * it follows the conventions of {@link ClusterCodec} (u32 length prefix, big-endian, strict
 * UTF-8, bounded counts) with the magic {@code 'R' 'C'}.
 *
 * <p>Requests (client to server) have type codes 1–8, events (server to client) 65–75, so a frame
 * sent the wrong way is an {@link CodecException.Reason#UNKNOWN_TYPE}, not a misread.
 *
 * <p>A position in the cluster's stream (the {@code epoch} and {@code seq} of a {@link
 * ServerEvent.Welcome}, {@link ServerEvent.Message}, {@link ServerEvent.Resumed} and {@link
 * ClientRequest.Resume}) travels as two 64-bit numbers. The {@code seq} must be {@code >= 0} like
 * every other number; the {@code epoch} is an identifier whose top bit may be set, so any 64-bit
 * value travels as it is (a negative {@code long} in Java).
 *
 * <p>What it promises:
 *
 * <ul>
 *   <li>{@link #encodeRequest} and {@link #encodeEvent} produce one frame of at most {@link
 *       #MAX_CLIENT_FRAME_BYTES}, or throw {@link IllegalArgumentException} naming the field when a
 *       value cannot travel: a name that breaks {@link ClientNames}, a text over its limit or with
 *       an unpaired surrogate, a negative number other than an epoch, a {@link ServerEvent.Users}
 *       too long for one frame (see {@link #maxUsersThatFit}). The client model records do not
 *       check these.
 *   <li>The encoding is canonical: decoding accepts exactly the frames encoding produces.
 *   <li>Decoding rejects every other input with a {@link CodecException} and never throws anything
 *       unchecked for any input bytes; it reads only its range and never allocates according to
 *       an announced length.
 *   <li>It holds no state, so any thread may call it.
 * </ul>
 */
public final class ClientCodec {
  /** The largest client frame, length prefix included. */
  public static final int MAX_CLIENT_FRAME_BYTES = 16 * 1024;

  /** The bytes of the length prefix that starts every frame. */
  public static final int LENGTH_PREFIX_BYTES = 4;

  /** The protocol version this codec writes and reads. */
  public static final int VERSION = 1;

  /** The most bytes of UTF-8 in a reason (a refusal, rejection, presence or goodbye). */
  public static final int MAX_REASON_BYTES = StreamEntry.MAX_REASON_BYTES;

  /** The most bytes of UTF-8 in a chat text. */
  public static final int MAX_TEXT_BYTES = StreamEntry.MAX_TEXT_BYTES;

  // Request type codes.
  static final int HELLO = 1;
  static final int SEND = 2;
  static final int LIST_USERS = 3;
  static final int BYE = 4;
  static final int LIST_SERVERS = 5;
  static final int RESUME = 6;
  /** A Hello with a credential after its name. */
  static final int HELLO_SIGNED = 7;
  /** A Resume with a credential after its token. */
  static final int RESUME_SIGNED = 8;

  // Event type codes.
  static final int WELCOME = 65;
  static final int REFUSED = 66;
  static final int ACCEPTED = 67;
  static final int REJECTED = 68;
  static final int MESSAGE = 69;
  static final int PRESENCE = 70;
  static final int USERS = 71;
  static final int GOODBYE = 72;
  static final int SERVERS = 73;
  static final int RESUMED = 74;
  static final int POSITION = 75;

  private static final int MAGIC0 = 0x52; // 'R'
  private static final int MAGIC1 = 0x43; // 'C'

  /** Length prefix, magic, version, type. */
  static final int HEADER_BYTES = LENGTH_PREFIX_BYTES + 2 + 1 + 1;

  /** The only kind of credential in version 1: a user name and that user's secret. */
  static final int CREDENTIAL_USER_SECRET = 1;

  /** The fewest bytes a name in a Users list takes. */
  private static final int MIN_NAME_BYTES = 2;

  /** The fewest bytes a server in a Servers list takes. */
  private static final int MIN_SERVER_BYTES = 2 + 1 + 2 + 4 + 4 + 1;

  private ClientCodec() {}

  // ---------------------------------------------------------------- reason codes

  /** The wire code of a refusal or rejection reason; codes are never reused. */
  public static int reasonCode(ServerEvent.Reason reason) {
    return switch (reason) {
      case INVALID_NAME -> 1;
      case NAME_TAKEN -> 2;
      case SERVER_FULL -> 3;
      case UNKNOWN_RECIPIENT -> 4;
      case BAD_MESSAGE -> 5;
      case PROTOCOL_ERROR -> 6;
      case BUSY -> 7;
      case SESSION_ENDED -> 8;
      case NOT_AUTHENTICATED -> 9;
      case NOT_AUTHORIZED -> 10;
    };
  }

  private static ServerEvent.@Nullable Reason reasonOf(int code) {
    for (ServerEvent.Reason reason : ServerEvent.Reason.values()) {
      if (reasonCode(reason) == code) {
        return reason;
      }
    }
    return null;
  }

  // ---------------------------------------------------------------- encoding

  /**
   * Checks that a send to {@code to} (null: everyone) of {@code text} can travel, without encoding
   * it: the same rules, and the same messages, as {@link #encodeRequest} applies to a {@link
   * ClientRequest.Send}.
   *
   * @throws IllegalArgumentException naming the field that cannot travel
   */
  public static void checkSend(@Nullable String to, String text) {
    if (to != null) {
      String problem = ClientNames.problemWith(to);
      if (problem != null) {
        throw new IllegalArgumentException("send to is invalid: " + problem);
      }
    }
    int length = utf8Length("send text", text); // throws for an unpaired surrogate
    if (length > MAX_TEXT_BYTES) {
      throw new IllegalArgumentException(
          "send text is " + length + " bytes of UTF-8, limit is " + MAX_TEXT_BYTES);
    }
  }

  /**
   * Encodes a client's request as one frame, length prefix included.
   *
   * @throws IllegalArgumentException if a field cannot travel (the message names it)
   */
  public static byte[] encodeRequest(ClientRequest request) {
    Writer out = new Writer();
    if (request instanceof ClientRequest.Hello h) {
      Credential credential = h.credential();
      out.header(credential == null ? HELLO : HELLO_SIGNED).name("hello name", h.name());
      if (credential != null) {
        out.credential("hello", credential);
      }
    } else if (request instanceof ClientRequest.Send s) {
      if (s.seq() > Bounds.MAX_CLIENT_SEQ) {
        throw new IllegalArgumentException(
            "send seq must be at most " + Bounds.MAX_CLIENT_SEQ + ", was " + s.seq());
      }
      out.header(SEND)
          .i64("send seq", s.seq())
          .optName("send to", s.to())
          .text("send text", s.text(), MAX_TEXT_BYTES);
    } else if (request instanceof ClientRequest.ListUsers) {
      out.header(LIST_USERS);
    } else if (request instanceof ClientRequest.Bye) {
      out.header(BYE);
    } else if (request instanceof ClientRequest.ListServers) {
      out.header(LIST_SERVERS);
    } else if (request instanceof ClientRequest.Resume r) {
      out.header(r.credential() == null ? RESUME : RESUME_SIGNED)
          .name("resume name", r.name())
          .i64("resume session", r.session())
          .u64(r.epoch())
          .i64("resume seq", r.seq())
          .u64(r.token().high())
          .u64(r.token().low());
      Credential credential = r.credential();
      if (credential != null) {
        out.credential("resume", credential);
      }
    } else {
      throw new AssertionError("no encoding for " + request.getClass().getName());
    }
    return out.finish(request.getClass().getSimpleName());
  }

  /**
   * Encodes a server's event as one frame, length prefix included.
   *
   * @throws IllegalArgumentException if a field cannot travel (the message names it)
   */
  public static byte[] encodeEvent(ServerEvent event) {
    Writer out = new Writer();
    if (event instanceof ServerEvent.Welcome w) {
      out.header(WELCOME)
          .name("welcome name", w.name())
          .i64("welcome session", w.session())
          .id(w.server().value())
          .u64(w.epoch())
          .i64("welcome seq", w.seq())
          .u64(w.token().high())
          .u64(w.token().low());
    } else if (event instanceof ServerEvent.Refused r) {
      NodeId redirect = r.redirect();
      out.header(REFUSED)
          .u8(reasonCode(r.code()))
          .text("refused reason", r.reason(), MAX_REASON_BYTES)
          .id(redirect == null ? "" : redirect.value());
    } else if (event instanceof ServerEvent.Accepted a) {
      out.header(ACCEPTED).i64("accepted seq", a.seq());
    } else if (event instanceof ServerEvent.Rejected r) {
      out.header(REJECTED)
          .i64("rejected seq", r.seq())
          .u8(reasonCode(r.code()))
          .text("rejected reason", r.reason(), MAX_REASON_BYTES);
    } else if (event instanceof ServerEvent.Message m) {
      out.header(MESSAGE)
          .name("message from", m.from())
          .optName("message to", m.to())
          .text("message text", m.text(), MAX_TEXT_BYTES)
          .u64(m.epoch())
          .i64("message seq", m.seq())
          .i64("message fromSession", m.fromSession())
          .i64("message fromSeq", m.fromSeq());
    } else if (event instanceof ServerEvent.Presence p) {
      out.header(PRESENCE)
          .name("presence name", p.name())
          .u8(p.joined() ? 1 : 0)
          .text("presence reason", p.reason(), MAX_REASON_BYTES);
    } else if (event instanceof ServerEvent.Users u) {
      out.header(USERS).u16(u.names().size());
      for (int i = 0; i < u.names().size(); i++) {
        out.name("users names[" + i + "]", u.names().get(i));
      }
    } else if (event instanceof ServerEvent.Goodbye g) {
      out.header(GOODBYE).text("goodbye reason", g.reason(), MAX_REASON_BYTES);
    } else if (event instanceof ServerEvent.Servers list) {
      out.header(SERVERS).id(list.self().value()).u16(list.servers().size());
      for (int i = 0; i < list.servers().size(); i++) {
        ServerEvent.ServerInfo server = list.servers().get(i);
        String field = "servers[" + i + "]";
        String hostProblem = Heartbeat.problemWithHost(server.host());
        if (hostProblem != null) {
          throw new IllegalArgumentException(field + " host " + hostProblem);
        }
        if (server.port() < 0 || server.port() > 0xFFFF) {
          throw new IllegalArgumentException(
              field + " port must be in 0..65535, was " + server.port());
        }
        out.id(server.id().value())
            .ascii(server.host())
            .u16(server.port())
            .i32(field + " clients", server.clients())
            .i32(field + " capacity", server.capacity())
            .u8(server.leader() ? 1 : 0);
      }
    } else if (event instanceof ServerEvent.Position position) {
      out.header(POSITION).u64(position.epoch()).i64("position seq", position.seq());
    } else if (event instanceof ServerEvent.Resumed r) {
      out.header(RESUMED)
          .name("resumed name", r.name())
          .i64("resumed session", r.session())
          .id(r.server().value())
          .i64("resumed lastSendSeq", r.lastSendSeq())
          .u64(r.epoch())
          .i64("resumed seq", r.seq())
          .u8(r.complete() ? 1 : 0);
    } else {
      throw new AssertionError("no encoding for " + event.getClass().getName());
    }
    return out.finish(event.getClass().getSimpleName());
  }

  /**
   * How many of {@code names}, from the first, fit in one {@link ServerEvent.Users} frame. A server
   * whose directory is larger than one frame holds (about 480 names of 32 characters) sends the
   * names that fit; see {@code docs/wire-protocol.md}.
   */
  public static int maxUsersThatFit(List<String> names) {
    int size = HEADER_BYTES + 2;
    int count = 0;
    for (String name : names) {
      size += 1 + name.length();
      if (size > MAX_CLIENT_FRAME_BYTES) {
        break;
      }
      count++;
    }
    return count;
  }

  /**
   * How many of {@code servers}, from the first, fit in one {@link ServerEvent.Servers} frame (all
   * of them unless a cluster has hundreds of servers with long ids and host names).
   */
  public static int maxServersThatFit(NodeId self, List<ServerEvent.ServerInfo> servers) {
    int size = HEADER_BYTES + 1 + self.value().length() + 2;
    int count = 0;
    for (ServerEvent.ServerInfo server : servers) {
      size += 1 + server.id().value().length() + 1 + server.host().length() + 2 + 4 + 4 + 1;
      if (size > MAX_CLIENT_FRAME_BYTES) {
        break;
      }
      count++;
    }
    return count;
  }

  /** Builds one frame; the length prefix is filled in at the end. */
  private static final class Writer {
    private byte[] buf = new byte[256]; // a message of 128 bytes and its fields fit at once
    private int pos = LENGTH_PREFIX_BYTES;
    /** Whether a secret was written: the working buffers are then wiped once copied out. */
    private boolean holdsSecret;

    Writer header(int type) {
      ensure(4);
      buf[pos++] = (byte) MAGIC0;
      buf[pos++] = (byte) MAGIC1;
      buf[pos++] = (byte) VERSION;
      buf[pos++] = (byte) type;
      return this;
    }

    Writer u8(int value) {
      ensure(1);
      buf[pos++] = (byte) value;
      return this;
    }

    Writer u16(int value) {
      if (value > 0xFFFF) {
        throw new IllegalArgumentException("count " + value + " does not fit a u16");
      }
      ensure(2);
      buf[pos++] = (byte) (value >>> 8);
      buf[pos++] = (byte) value;
      return this;
    }

    Writer i64(String field, long value) {
      if (value < 0) {
        throw new IllegalArgumentException(field + " must be >= 0, was " + value);
      }
      ensure(8);
      for (int shift = 56; shift >= 0; shift -= 8) {
        buf[pos++] = (byte) (value >>> shift);
      }
      return this;
    }

    /** Any 64-bit value, sign bit included (an epoch id). */
    Writer u64(long value) {
      ensure(8);
      for (int shift = 56; shift >= 0; shift -= 8) {
        buf[pos++] = (byte) (value >>> shift);
      }
      return this;
    }

    Writer name(String field, String name) {
      String problem = ClientNames.problemWith(name);
      if (problem != null) {
        throw new IllegalArgumentException(field + " is invalid: " + problem);
      }
      return ascii(name);
    }

    Writer optName(String field, @Nullable String name) {
      return name == null ? u8(0) : name(field, name);
    }

    /** A node id the model has checked, or "" for none. */
    Writer id(String id) {
      return ascii(id);
    }

    Writer i32(String field, int value) {
      if (value < 0) {
        throw new IllegalArgumentException(field + " must be >= 0, was " + value);
      }
      ensure(4);
      for (int shift = 24; shift >= 0; shift -= 8) {
        buf[pos++] = (byte) (value >>> shift);
      }
      return this;
    }

    Writer ascii(String checked) {
      ensure(1 + checked.length());
      buf[pos++] = (byte) checked.length();
      for (int i = 0; i < checked.length(); i++) {
        buf[pos++] = (byte) checked.charAt(i);
      }
      return this;
    }

    /**
     * The credential that ends a Hello or Resume of the signed types: a kind byte, the user's name
     * and the secret as a u16 count and that many bytes of UTF-8.
     */
    Writer credential(String request, Credential credential) {
      u8(CREDENTIAL_USER_SECRET).name(request + " credential user", credential.user());
      byte[] secret = credential.utf8();
      try {
        if (secret.length == 0 || secret.length > Credential.MAX_SECRET_BYTES) {
          throw new IllegalArgumentException(request + " credential secret is "
              + bytes(secret.length) + " of UTF-8, must be 1.." + Credential.MAX_SECRET_BYTES);
        }
        u16(secret.length);
        holdsSecret = true;
        ensure(secret.length);
        System.arraycopy(secret, 0, buf, pos, secret.length);
        pos += secret.length;
      } finally {
        Arrays.fill(secret, (byte) 0);
      }
      return this;
    }

    Writer text(String field, String text, int limit) {
      int length = utf8Length(field, text);
      if (length > limit) {
        throw new IllegalArgumentException(
            field + " is " + length + " bytes of UTF-8, limit is " + limit);
      }
      u16(length);
      ensure(length);
      if (length == text.length()) {
        for (int i = 0; i < length; i++) {
          buf[pos++] = (byte) text.charAt(i); // ASCII: one byte per char, no intermediate array
        }
        return this;
      }
      byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
      System.arraycopy(utf8, 0, buf, pos, utf8.length);
      pos += utf8.length;
      return this;
    }

    private void ensure(int more) {
      int needed = pos + more;
      if (needed > MAX_CLIENT_FRAME_BYTES) {
        // Keep going only far enough to say so: no frame may exceed the limit.
        throw new IllegalArgumentException(
            "frame would exceed " + MAX_CLIENT_FRAME_BYTES + " bytes");
      }
      if (needed > buf.length) {
        byte[] old = buf;
        buf =
            Arrays.copyOf(buf, Math.min(MAX_CLIENT_FRAME_BYTES, Math.max(needed, buf.length * 2)));
        if (holdsSecret) {
          Arrays.fill(old, (byte) 0);
        }
      }
    }

    byte[] finish(String what) {
      int length = pos - LENGTH_PREFIX_BYTES;
      buf[0] = (byte) (length >>> 24);
      buf[1] = (byte) (length >>> 16);
      buf[2] = (byte) (length >>> 8);
      buf[3] = (byte) length;
      if (pos > MAX_CLIENT_FRAME_BYTES) {
        throw new IllegalArgumentException(what + " frame would exceed " + MAX_CLIENT_FRAME_BYTES);
      }
      byte[] frame = Arrays.copyOf(buf, pos);
      if (holdsSecret) {
        Arrays.fill(buf, (byte) 0);
      }
      return frame;
    }
  }

  /** UTF-8 length of {@code text}; rejects an unpaired surrogate, which UTF-8 cannot carry. */
  private static int utf8Length(String field, String text) {
    int bytes = 0;
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
    return bytes;
  }

  // ---------------------------------------------------------------- stream framing

  /**
   * For reading frames off a stream: the size of the frame that starts at {@code data[offset]},
   * length prefix included, once its prefix has arrived. Only the prefix is looked at.
   *
   * @return the frame's size in bytes, or -1 if fewer than 4 bytes are available
   * @throws CodecException {@link CodecException.Reason#OVERSIZED} if the prefix announces a frame
   *     larger than {@link #MAX_CLIENT_FRAME_BYTES}, so a reader never allocates for it
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
    if (announced > MAX_CLIENT_FRAME_BYTES - LENGTH_PREFIX_BYTES) {
      throw new CodecException(
          OVERSIZED,
          "frame announces " + announced + " bytes after its length prefix ("
              + (announced + LENGTH_PREFIX_BYTES) + " in all), limit is "
              + MAX_CLIENT_FRAME_BYTES + " in all");
    }
    return announced;
  }

  private static long readU32(byte[] data, int at) {
    return ((data[at] & 0xFFL) << 24)
        | ((data[at + 1] & 0xFFL) << 16)
        | ((data[at + 2] & 0xFFL) << 8)
        | (data[at + 3] & 0xFFL);
  }

  // ---------------------------------------------------------------- decoding

  /** Decodes {@code data}, which must hold exactly one request frame. */
  public static ClientRequest decodeRequest(byte[] data) throws CodecException {
    return decodeRequest(data, 0, data.length);
  }

  /**
   * Decodes the one request frame that occupies exactly {@code data[offset, offset + length)}.
   *
   * @throws CodecException if those bytes are not exactly one valid request frame
   * @throws IndexOutOfBoundsException if the range does not lie within {@code data}
   */
  public static ClientRequest decodeRequest(byte[] data, int offset, int length)
      throws CodecException {
    Reader in = reader(data, offset, length);
    int type = in.header();
    ClientRequest request = switch (type) {
      case HELLO -> new ClientRequest.Hello(in.name("hello name"));
      case HELLO_SIGNED -> {
        String name = in.name("hello name");
        yield new ClientRequest.Hello(name, in.credential("hello"));
      }
      case SEND -> {
        long seq = in.nonNegative("send seq");
        if (seq > Bounds.MAX_CLIENT_SEQ) {
          throw new CodecException(
              INVALID_FIELD, "send seq must be at most " + Bounds.MAX_CLIENT_SEQ + ", was " + seq);
        }
        String to = in.optName("send to");
        String text = in.utf8("send text", MAX_TEXT_BYTES);
        yield new ClientRequest.Send(seq, to, text);
      }
      case LIST_USERS -> new ClientRequest.ListUsers();
      case BYE -> new ClientRequest.Bye();
      case LIST_SERVERS -> new ClientRequest.ListServers();
      case RESUME, RESUME_SIGNED -> {
        String name = in.name("resume name");
        long session = in.nonNegative("resume session");
        long epoch = in.u64("resume epoch");
        long seq = in.nonNegative("resume seq");
        ResumeToken token =
            new ResumeToken(in.u64("resume token high"), in.u64("resume token low"));
        yield new ClientRequest.Resume(
            name,
            session,
            epoch,
            seq,
            token,
            type == RESUME_SIGNED ? in.credential("resume") : null);
      }
      default -> throw in.unknownType(type, "request", "1..8");
    };
    in.end(request.getClass().getSimpleName());
    return request;
  }

  /** Decodes {@code data}, which must hold exactly one event frame. */
  public static ServerEvent decodeEvent(byte[] data) throws CodecException {
    return decodeEvent(data, 0, data.length);
  }

  /**
   * Decodes the one event frame that occupies exactly {@code data[offset, offset + length)}.
   *
   * @throws CodecException if those bytes are not exactly one valid event frame
   * @throws IndexOutOfBoundsException if the range does not lie within {@code data}
   */
  public static ServerEvent decodeEvent(byte[] data, int offset, int length) throws CodecException {
    Reader in = reader(data, offset, length);
    int type = in.header();
    ServerEvent event = switch (type) {
      case WELCOME -> {
        String name = in.name("welcome name");
        long session = in.nonNegative("welcome session");
        NodeId server = in.nodeId("welcome server");
        long epoch = in.u64("welcome epoch");
        long seq = in.nonNegative("welcome seq");
        ResumeToken token =
            new ResumeToken(in.u64("welcome token high"), in.u64("welcome token low"));
        yield new ServerEvent.Welcome(name, session, server, epoch, seq, token);
      }
      case REFUSED -> {
        ServerEvent.Reason code = in.reason("refused code");
        String reason = in.utf8("refused reason", MAX_REASON_BYTES);
        NodeId redirect = in.optionalNodeId("refused redirect");
        yield new ServerEvent.Refused(code, reason, redirect);
      }
      case ACCEPTED -> new ServerEvent.Accepted(in.nonNegative("accepted seq"));
      case REJECTED -> {
        long seq = in.nonNegative("rejected seq");
        ServerEvent.Reason code = in.reason("rejected code");
        String reason = in.utf8("rejected reason", MAX_REASON_BYTES);
        yield new ServerEvent.Rejected(seq, code, reason);
      }
      case MESSAGE -> {
        String from = in.name("message from");
        String to = in.optName("message to");
        String text = in.utf8("message text", MAX_TEXT_BYTES);
        long epoch = in.u64("message epoch");
        long seq = in.nonNegative("message seq");
        long fromSession = in.nonNegative("message fromSession");
        long fromSeq = in.nonNegative("message fromSeq");
        yield new ServerEvent.Message(from, to, text, epoch, seq, fromSession, fromSeq);
      }
      case PRESENCE -> {
        String name = in.name("presence name");
        int joined = in.u8("presence joined");
        if (joined > 1) {
          throw new CodecException(INVALID_FIELD, "presence joined must be 0 or 1, was " + joined);
        }
        String reason = in.utf8("presence reason", MAX_REASON_BYTES);
        yield new ServerEvent.Presence(name, joined == 1, reason);
      }
      case USERS -> {
        int count = in.listCount("users count", "users names", MIN_NAME_BYTES);
        List<String> names = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
          names.add(in.name("users names[" + i + "]"));
        }
        yield new ServerEvent.Users(names);
      }
      case GOODBYE -> new ServerEvent.Goodbye(in.utf8("goodbye reason", MAX_REASON_BYTES));
      case SERVERS -> {
        NodeId self = in.nodeId("servers self");
        int count = in.listCount("servers count", "servers", MIN_SERVER_BYTES);
        List<ServerEvent.ServerInfo> servers = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
          String field = "servers[" + i + "]";
          NodeId id = in.nodeId(field + " id");
          String host = in.host(field + " host");
          int port = in.u16(field + " port");
          int clients = in.nonNegativeI32(field + " clients");
          int capacity = in.nonNegativeI32(field + " capacity");
          int leader = in.u8(field + " leader");
          if (leader > 1) {
            throw new CodecException(
                INVALID_FIELD, field + " leader must be 0 or 1, was " + leader);
          }
          servers.add(new ServerEvent.ServerInfo(id, host, port, clients, capacity, leader == 1));
        }
        yield new ServerEvent.Servers(self, servers);
      }
      case RESUMED -> {
        String name = in.name("resumed name");
        long session = in.nonNegative("resumed session");
        NodeId server = in.nodeId("resumed server");
        long lastSendSeq = in.nonNegative("resumed lastSendSeq");
        long epoch = in.u64("resumed epoch");
        long seq = in.nonNegative("resumed seq");
        int complete = in.u8("resumed complete");
        if (complete > 1) {
          throw new CodecException(
              INVALID_FIELD, "resumed complete must be 0 or 1, was " + complete);
        }
        yield new ServerEvent.Resumed(
            name, session, server, lastSendSeq, epoch, seq, complete == 1);
      }
      case POSITION -> {
        long epoch = in.u64("position epoch");
        long seq = in.nonNegative("position seq");
        yield new ServerEvent.Position(epoch, seq);
      }
      default -> throw in.unknownType(type, "event", "65..75");
    };
    in.end(event.getClass().getSimpleName());
    return event;
  }

  private static Reader reader(byte[] data, int offset, int length) throws CodecException {
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
          "frame announces " + bytes(announced) + " after its length prefix, only " + following
              + " follow");
    }
    if (announced < following) {
      throw new CodecException(
          LENGTH_MISMATCH,
          "frame announces " + bytes(announced) + " after its length prefix, but " + following
              + " follow");
    }
    return new Reader(data, offset, offset + length);
  }

  private static String bytes(long count) {
    return count == 1 ? "1 byte" : count + " bytes";
  }

  /** Reads the fields of one frame; every read first checks that its bytes are there. */
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

    /** Checks magic and version; returns the type code. */
    int header() throws CodecException {
      need(2, "magic");
      int magic0 = data[pos] & 0xFF;
      int magic1 = data[pos + 1] & 0xFF;
      if (magic0 != MAGIC0 || magic1 != MAGIC1) {
        throw new CodecException(
            BAD_MAGIC,
            String.format(
                "frame starts with magic 0x%02X 0x%02X, expected 0x52 0x43 (\"RC\")",
                magic0, magic1));
      }
      pos += 2;
      int version = u8("version");
      if (version != VERSION) {
        throw new CodecException(
            UNSUPPORTED_VERSION,
            "frame is protocol version " + version + ", this codec speaks version " + VERSION);
      }
      return u8("type");
    }

    CodecException unknownType(int type, String kind, String range) {
      return new CodecException(
          UNKNOWN_TYPE, "unknown " + kind + " type " + type + " (" + kind + "s are " + range + ")");
    }

    void end(String what) throws CodecException {
      if (pos != end) {
        throw new CodecException(
            LENGTH_MISMATCH,
            bytes(end - pos) + (end - pos == 1 ? " follows" : " follow") + " the end of the " + what
                + " body at byte " + (pos - frameStart));
      }
    }

    ServerEvent.Reason reason(String field) throws CodecException {
      int code = u8(field);
      ServerEvent.Reason reason = reasonOf(code);
      if (reason == null) {
        throw new CodecException(INVALID_FIELD, field + " " + code + " is not a known reason");
      }
      return reason;
    }

    int listCount(String field, String elements, int minElementBytes) throws CodecException {
      int count = u16(field);
      long needed = (long) count * minElementBytes;
      int left = end - pos;
      if (needed > left) {
        throw new CodecException(
            TRUNCATED,
            "frame ends inside " + elements + " at byte " + (pos - frameStart) + ": " + count
                + " of them need at least " + bytes(needed) + ", " + left + " left");
      }
      return count;
    }

    String name(String field) throws CodecException {
      String name = ascii(field, INVALID_FIELD);
      String problem = ClientNames.problemWith(name);
      if (problem != null) {
        throw new CodecException(INVALID_FIELD, field + " is invalid: " + problem);
      }
      return name;
    }

    @Nullable
    String optName(String field) throws CodecException {
      int at = pos;
      if (u8(field + " length") == 0) {
        return null;
      }
      pos = at;
      return name(field);
    }

    /**
     * The credential that ends a signed Hello or Resume. Its secret is decoded strictly into a
     * char array, never a String, and the intermediate buffers wiped; an error never quotes it.
     */
    Credential credential(String request) throws CodecException {
      int kind = u8(request + " credential kind");
      if (kind != CREDENTIAL_USER_SECRET) {
        throw new CodecException(
            INVALID_FIELD,
            request + " credential kind " + kind + " is not known (version 1 has kind "
                + CREDENTIAL_USER_SECRET + ", a user name and secret)");
      }
      String user = name(request + " credential user");
      String field = request + " credential secret";
      int count = u16(field + " length");
      if (count == 0 || count > Credential.MAX_SECRET_BYTES) {
        throw new CodecException(
            INVALID_FIELD,
            field + " is " + bytes(count) + ", must be 1.." + Credential.MAX_SECRET_BYTES);
      }
      need(count, field);
      ByteBuffer in = ByteBuffer.wrap(data, pos, count);
      CharsetDecoder decoder = StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT);
      java.nio.CharBuffer chars = java.nio.CharBuffer.allocate(count);
      try {
        java.nio.charset.CoderResult result = decoder.decode(in, chars, true);
        if (!result.isUnderflow()) {
          result.throwException();
        }
        result = decoder.flush(chars);
        if (!result.isUnderflow()) {
          result.throwException();
        }
      } catch (CharacterCodingException e) {
        Arrays.fill(chars.array(), '\0');
        // Never the bytes: they are (most of) a secret.
        throw new CodecException(
            INVALID_FIELD, field + " is not well-formed UTF-8 at index " + (in.position() - pos));
      }
      char[] secret = Arrays.copyOf(chars.array(), chars.position());
      Arrays.fill(chars.array(), '\0');
      pos += count;
      try {
        return new Credential(user, secret);
      } finally {
        Arrays.fill(secret, '\0');
      }
    }

    NodeId nodeId(String field) throws CodecException {
      NodeId id = optionalNodeId(field);
      if (id == null) {
        throw new CodecException(INVALID_ID, field + " is empty");
      }
      return id;
    }

    @Nullable
    NodeId optionalNodeId(String field) throws CodecException {
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

    /** A host name or address as {@link Heartbeat#problemWithHost} allows; may be empty. */
    String host(String field) throws CodecException {
      String host = ascii(field, INVALID_FIELD);
      String problem = Heartbeat.problemWithHost(host);
      if (problem != null) {
        throw new CodecException(INVALID_FIELD, field + " " + problem);
      }
      return host;
    }

    int nonNegativeI32(String field) throws CodecException {
      need(4, field);
      int value = 0;
      for (int i = 0; i < 4; i++) {
        value = (value << 8) | (data[pos + i] & 0xFF);
      }
      pos += 4;
      if (value < 0) {
        throw new CodecException(INVALID_FIELD, field + " must be >= 0, was " + value);
      }
      return value;
    }

    /** A u8 count, then that many bytes of printable ASCII (checked by position, never quoted). */
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

    /** A u16 byte count checked against {@code limit}, then strictly decoded UTF-8. */
    String utf8(String field, int limit) throws CodecException {
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
            field + " is not well-formed UTF-8: invalid sequence at index "
                + (in.position() - pos));
      }
      pos += count;
      return text;
    }

    /** Any 64-bit value, sign bit included (an epoch id). */
    long u64(String field) throws CodecException {
      need(8, field);
      long value = 0;
      for (int i = 0; i < 8; i++) {
        value = (value << 8) | (data[pos + i] & 0xFFL);
      }
      pos += 8;
      return value;
    }

    long nonNegative(String field) throws CodecException {
      long value = u64(field);
      if (value < 0) {
        throw new CodecException(INVALID_FIELD, field + " must be >= 0, was " + value);
      }
      return value;
    }

    int u8(String field) throws CodecException {
      need(1, field);
      return data[pos++] & 0xFF;
    }

    int u16(String field) throws CodecException {
      need(2, field);
      int value = ((data[pos] & 0xFF) << 8) | (data[pos + 1] & 0xFF);
      pos += 2;
      return value;
    }

    private void need(int count, String field) throws CodecException {
      int left = end - pos;
      if (left < count) {
        throw new CodecException(
            TRUNCATED,
            "frame ends inside " + field + " at byte " + (pos - frameStart) + ": needs "
                + bytes(count) + ", " + left + " left");
      }
    }
  }
}
