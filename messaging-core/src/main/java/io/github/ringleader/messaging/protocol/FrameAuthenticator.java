package io.github.ringleader.messaging.protocol;

import static io.github.ringleader.messaging.transport.CodecException.Reason.BAD_MAGIC;
import static io.github.ringleader.messaging.transport.CodecException.Reason.INVALID_FIELD;
import static io.github.ringleader.messaging.transport.CodecException.Reason.LENGTH_MISMATCH;
import static io.github.ringleader.messaging.transport.CodecException.Reason.TRUNCATED;
import static io.github.ringleader.messaging.transport.CodecException.Reason.UNSUPPORTED_VERSION;

import io.github.ringleader.messaging.transport.AuthFailure;
import io.github.ringleader.messaging.transport.ClusterKey;
import io.github.ringleader.messaging.transport.CodecException;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.jspecify.annotations.Nullable;

/**
 * Encrypts and authenticates cluster frames under a {@link ClusterKey}: {@link #seal} wraps a
 * frame of {@link ClusterCodec} in a <em>sealed frame</em> (AES-256-GCM) with a frame sequence
 * number, and {@link #openAll} checks the tag of each sealed frame of a datagram <em>before</em>
 * anything of its plaintext is used or decoded, then refuses replays. The layout is in {@code
 * docs/wire-protocol.md} ("Sealed frames"):
 *
 * <pre>
 * length u32 | 'R' 'A' | version u8 = 2 | keyId u32 | frameSeq i64 | sealer u64
 *   | cluster str | sender id | incarnation i64      (the clear header: additional data)
 *   | ciphertext of (type u8 | body)                 (AES-256-GCM)
 *   | tag[16]
 * </pre>
 *
 * <p>What routing and replay protection need before decryption — cluster, sender, incarnation,
 * frame sequence number, which key — stays in clear and is authenticated as GCM additional data;
 * the message type and body are encrypted. The key is not the cluster key but a frame key derived
 * from it per sealer ({@link FrameKeys}): {@code sealer} is 64 random bits drawn once per
 * authenticator, so every life of every transport encrypts under a key of its own, and the nonce
 * {@code 0x00000000 | frameSeq} never repeats under it because {@code frameSeq} counts up and
 * never wraps. A receiver accepts a frame under either key of its {@link ClusterKey} (the signing
 * key and an optional second one, for rotation): the frame names its key by {@code keyId}.
 *
 * <p>Replays: each authenticator numbers the frames it seals from 0, so a sender's frames carry a
 * per-sender counter within its incarnation. The receiving side keeps a {@link ReplayWindow} per
 * (cluster, sender) and refuses a frame it has accepted before, one older than the window, and
 * one from an older incarnation.
 *
 * <p>Threads: {@link #seal} may be called from any thread (one at a time seals; the node's frame
 * layer seals a frame when its transport takes the bytes, on the thread that writes them). {@link #openAll} keeps the replay state and must be called from one
 * thread at a time. Use one authenticator per node (its frame layer holds it): its replay state is that
 * receiver's, and its frame counter that sender's. Each side reuses one {@link Cipher}, and
 * opening decrypts into one reused buffer; per frame this class allocates the sealed frame
 * (sealing) or the decoded envelope (opening) and the parameter object of each nonce. The JDK's
 * GCM allocates about 1 KB more per frame in {@code Cipher.init} and {@code doFinal} (see {@code
 * docs/performance.md}).
 */
public final class FrameAuthenticator {
  /** The bytes of the GCM tag at the end of a sealed frame. */
  public static final int TAG_BYTES = 16;

  /** The sealed-frame protocol version; version 1 was HMAC-SHA256 over a plaintext frame. */
  public static final int VERSION = 2;

  /** Offsets in a sealed frame. */
  private static final int VERSION_AT = 6;

  private static final int KEY_ID_AT = 7;
  private static final int SEQ_AT = KEY_ID_AT + FrameKeys.KEY_ID_BYTES;
  private static final int SEALER_AT = SEQ_AT + 8;
  private static final int CLUSTER_AT = SEALER_AT + 8;

  /** Offsets in a plain frame (see ClusterCodec). */
  private static final int PLAIN_TYPE_AT = 7;

  private static final int PLAIN_CLUSTER_AT = 8;

  /**
   * What sealing adds to a frame: the sealed header before the cluster name (27 bytes) and the
   * tag, less the plain header's length prefix, magic and version (7), which it replaces.
   */
  public static final int OVERHEAD_BYTES = CLUSTER_AT + TAG_BYTES - (PLAIN_CLUSTER_AT - 1);

  /** The largest inner frame that can be sealed: a sealed frame still fits one datagram. */
  public static final int MAX_INNER_FRAME_BYTES = ClusterCodec.MAX_FRAME_BYTES - OVERHEAD_BYTES;

  /** The smallest sealed frame: one-character cluster and sender, the type alone, the tag. */
  private static final int MIN_SEALED_BYTES = CLUSTER_AT + 2 + 2 + 8 + 1 + TAG_BYTES;

  /** Senders whose replay state is kept by default. */
  public static final int DEFAULT_MAX_TRACKED_SENDERS = 1024;

  private static final int MAGIC0 = 0x52; // 'R'
  private static final int MAGIC1 = 0x41; // 'A', authenticated (and, from version 2, encrypted)
  private static final int PLAIN_MAGIC1 = 0x4C; // 'L', a plain cluster frame
  private static final int HMAC_VERSION = 1;
  private static final String CIPHER = "AES/GCM/NoPadding";
  private static final int TAG_BITS = TAG_BYTES * 8;
  private static final SecureRandom SEALER_IDS = new SecureRandom();

  private final FrameKeys keys;
  private final long sealer;
  private final AtomicLong nextSeq = new AtomicLong();
  private final ReplayWindow replays;
  private final Sealing sealing;
  private final Cipher opener = cipher();
  private final FrameKeys.Cache openKeys;
  private final byte[] plain = new byte[ClusterCodec.MAX_FRAME_BYTES];
  private final byte[] openNonce = new byte[12];

  /** An authenticator for {@code key}, tracking up to 1,024 senders. */
  public FrameAuthenticator(ClusterKey key) {
    this(key, DEFAULT_MAX_TRACKED_SENDERS);
  }

  /** An authenticator for {@code key}, tracking replay state for up to {@code maxTrackedSenders}. */
  public FrameAuthenticator(ClusterKey key, int maxTrackedSenders) {
    this(key, maxTrackedSenders, SEALER_IDS.nextLong());
  }

  /** With a given sealer id instead of a random one: for the pinned example of the spec only. */
  FrameAuthenticator(ClusterKey key, int maxTrackedSenders, long sealer) {
    this.replays = new ReplayWindow(maxTrackedSenders);
    this.keys = new FrameKeys(key);
    this.sealer = sealer;
    this.sealing = new Sealing();
    // Per sender life and key slot: room for every tracked sender, during a rotation too.
    this.openKeys = new FrameKeys.Cache(maxTrackedSenders * keys.slots());
  }

  private static Cipher cipher() {
    try {
      return Cipher.getInstance(CIPHER);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JDK lacks " + CIPHER + ", which every JDK has", e);
    }
  }

  /** The sealing side: one cipher, and the frame key of the context sealed last. */
  private final class Sealing {
    final Cipher cipher = cipher();
    final byte[] nonce = new byte[12];
    byte[] context = new byte[0];

    @Nullable
    SecretKeySpec key;

    /** The frame key for the context that the sealed header {@code out[SEALER_AT, to)} holds. */
    SecretKeySpec keyFor(byte[] out, int to) {
      SecretKeySpec current = key;
      if (current == null || !Arrays.equals(context, 0, context.length, out, SEALER_AT, to)) {
        context = Arrays.copyOfRange(out, SEALER_AT, to);
        current = keys.frameKey(0, out, SEALER_AT, to);
        key = current;
      }
      return current;
    }
  }

  /**
   * Wraps {@code frame} — one whole frame of {@link ClusterCodec}, length prefix included — in
   * a sealed frame with the next frame sequence number of this authenticator.
   *
   * @throws IllegalArgumentException if {@code frame} is larger than {@link
   *     #MAX_INNER_FRAME_BYTES} or is not a plain frame
   */
  public byte[] seal(byte[] frame) {
    if (frame.length > MAX_INNER_FRAME_BYTES) {
      throw tooLarge(frame);
    }
    synchronized (sealing) {
      // Numbered under the lock: frames leave a shared authenticator in counter order.
      long seq = nextSeq.getAndIncrement();
      if (seq < 0) { // after 2^63 frames: never, but a wrapped counter would repeat nonces
        nextSeq.set(Long.MIN_VALUE);
        throw new IllegalStateException("frame counter exhausted; start a new authenticator");
      }
      return sealLocked(frame, seq);
    }
  }

  /**
   * {@link #seal(byte[])} with a given frame sequence number: for tests of replays and of the
   * spec's example only — a number sealed twice by one authenticator repeats a nonce.
   */
  byte[] seal(byte[] frame, long seq) {
    if (frame.length > MAX_INNER_FRAME_BYTES) {
      throw tooLarge(frame);
    }
    Checks.nonNegative("frame sequence number", seq);
    synchronized (sealing) {
      return sealLocked(frame, seq);
    }
  }

  private static IllegalArgumentException tooLarge(byte[] frame) {
    return new IllegalArgumentException(
        "frame of " + frame.length + " bytes cannot be sealed; limit is " + MAX_INNER_FRAME_BYTES);
  }

  private byte[] sealLocked(byte[] frame, long seq) {
    int bodyAt = plainBodyAt(frame);
    int contextBytes = bodyAt - PLAIN_CLUSTER_AT; // cluster, sender, incarnation
    int headerEnd = CLUSTER_AT + contextBytes;
    int size = frame.length + OVERHEAD_BYTES;
    byte[] out = new byte[size];
    ByteBuffer header = ByteBuffer.wrap(out);
    header.putInt(size - ClusterCodec.LENGTH_PREFIX_BYTES);
    header.put((byte) MAGIC0).put((byte) MAGIC1).put((byte) VERSION);
    header.putInt(keys.keyId(0)).putLong(seq).putLong(sealer);
    System.arraycopy(frame, PLAIN_CLUSTER_AT, out, CLUSTER_AT, contextBytes);
    Cipher cipher = sealing.cipher;
    try {
      cipher.init(Cipher.ENCRYPT_MODE, sealing.keyFor(out, headerEnd), gcm(sealing.nonce, seq));
      cipher.updateAAD(out, 0, headerEnd);
      int at = headerEnd + cipher.update(frame, PLAIN_TYPE_AT, 1, out, headerEnd);
      at += cipher.doFinal(frame, bodyAt, frame.length - bodyAt, out, at);
      if (at != size) {
        throw new IllegalStateException("sealed " + at + " bytes, expected " + size);
      }
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM failed to seal a frame", e);
    }
    return out;
  }

  /** Where the body of the plain frame {@code frame} starts, after its incarnation. */
  private static int plainBodyAt(byte[] frame) {
    if (frame.length < PLAIN_CLUSTER_AT + 1
        || (frame[4] & 0xFF) != MAGIC0
        || (frame[5] & 0xFF) != PLAIN_MAGIC1) {
      throw new IllegalArgumentException("not a plain cluster frame ('R' 'L'); cannot seal it");
    }
    // The sealed frame writes its own length and version, so check the plain ones here: sealing
    // must not turn a malformed frame into a well-formed one.
    long announced =
        ByteBuffer.wrap(frame, 0, ClusterCodec.LENGTH_PREFIX_BYTES).getInt() & 0xFFFFFFFFL;
    if (announced != frame.length - ClusterCodec.LENGTH_PREFIX_BYTES) {
      throw new IllegalArgumentException(
          "plain frame announces " + announced + " bytes after its length prefix but has "
              + (frame.length - ClusterCodec.LENGTH_PREFIX_BYTES) + "; cannot seal it");
    }
    if ((frame[6] & 0xFF) != ClusterCodec.VERSION) {
      throw new IllegalArgumentException("plain frame version " + (frame[6] & 0xFF) + ", expected "
          + ClusterCodec.VERSION + "; cannot seal it");
    }
    int senderAt = PLAIN_CLUSTER_AT + 1 + (frame[PLAIN_CLUSTER_AT] & 0xFF);
    if (senderAt >= frame.length) {
      throw new IllegalArgumentException("plain frame ends inside its header; cannot seal it");
    }
    int bodyAt = senderAt + 1 + (frame[senderAt] & 0xFF) + 8;
    if (bodyAt > frame.length) {
      throw new IllegalArgumentException("plain frame ends inside its header; cannot seal it");
    }
    return bodyAt;
  }

  /** The GCM parameters for the nonce {@code 0x00000000 | seq}, written into {@code nonce}. */
  private static GCMParameterSpec gcm(byte[] nonce, long seq) {
    for (int i = 0; i < 8; i++) {
      nonce[4 + i] = (byte) (seq >>> (56 - 8 * i));
    }
    return new GCMParameterSpec(TAG_BITS, nonce);
  }

  /**
   * Opens the sealed frames that lie back to back in {@code data[offset, offset + length)} — a
   * datagram — and adds their decoded inner frames to {@code out}, in order. Like {@link
   * ClusterCodec#decodeAll}, the datagram counts whole or not at all: if any frame is malformed,
   * fails authentication or is a replay, {@code out} is left as it was and no frame of it is
   * recorded as seen. Each frame's tag is checked before anything of its plaintext is decoded.
   *
   * @throws CodecException if the datagram is not whole frames, a clear header is broken, a frame
   *     is of another version (version 1, {@code UNSUPPORTED_VERSION}, is an older server's), or
   *     an inner frame that authenticated does not decode
   * @throws AuthenticationException if a frame is a plain one ({@link AuthFailure#NO_MAC}), names
   *     a key the receiver lacks or fails the tag check ({@link AuthFailure#BAD_MAC}) or is a
   *     replay ({@link AuthFailure#REPLAYED})
   * @throws IndexOutOfBoundsException if the range does not lie within {@code data}
   */
  public void openAll(byte[] data, int offset, int length, List<ClusterEnvelope> out)
      throws CodecException, AuthenticationException {
    Objects.checkFromIndexSize(offset, length, data.length);
    int before = out.size();
    List<Long> seqs = new ArrayList<>(1);
    int at = offset;
    int end = offset + length;
    try {
      do {
        int remaining = end - at;
        if (remaining < ClusterCodec.LENGTH_PREFIX_BYTES) {
          throw new CodecException(
              at > offset ? LENGTH_MISMATCH : TRUNCATED,
              "datagram has " + remaining + " byte(s) "
                  + (at > offset ? "after its last frame" : "") + ", fewer than a length prefix");
        }
        int frame = ClusterCodec.frameLength(data, at, remaining);
        if (frame > remaining) {
          throw new CodecException(
              TRUNCATED, "frame is " + frame + " bytes, only " + remaining + " are there");
        }
        seqs.add(openOne(data, at, frame, out));
        at += frame;
      } while (at < end);
      checkReplays(out, before, seqs);
    } catch (CodecException | AuthenticationException e) {
      out.subList(before, out.size()).clear();
      throw e;
    }
    for (int i = 0; i < seqs.size(); i++) {
      ClusterEnvelope e = out.get(before + i);
      replays.accept(e.cluster(), e.sender(), e.incarnation(), seqs.get(i));
    }
  }

  /** Checks one whole frame's header and tag, decodes its inner frame; returns its sequence. */
  private long openOne(byte[] data, int at, int frame, List<ClusterEnvelope> out)
      throws CodecException, AuthenticationException {
    if (frame < ClusterCodec.LENGTH_PREFIX_BYTES + 2) {
      throw new CodecException(TRUNCATED, "frame of " + frame + " bytes ends before its magic");
    }
    int magic0 = data[at + 4] & 0xFF;
    int magic1 = data[at + 5] & 0xFF;
    if (magic0 == MAGIC0 && magic1 == PLAIN_MAGIC1) {
      throw new AuthenticationException(
          AuthFailure.NO_MAC,
          "a plain frame, neither encrypted nor authenticated; this cluster requires sealed"
              + " frames");
    }
    if (magic0 != MAGIC0 || magic1 != MAGIC1) {
      throw new CodecException(
          BAD_MAGIC, String.format("bad magic 0x%02x%02x, expected 0x5241 ('RA')", magic0, magic1));
    }
    if (frame <= VERSION_AT) {
      throw new CodecException(TRUNCATED, "sealed frame ends before its version");
    }
    int version = data[at + VERSION_AT] & 0xFF;
    if (version == HMAC_VERSION) {
      throw new CodecException(
          UNSUPPORTED_VERSION,
          "a version 1 frame (HMAC only, body in clear) of an older server; this server sends and"
              + " accepts only encrypted version 2 frames: run one release on every server of the"
              + " cluster");
    }
    if (version != VERSION) {
      throw new CodecException(
          UNSUPPORTED_VERSION, "sealed frame version " + version + ", expected " + VERSION);
    }
    int end = at + frame;
    int headerEnd = sealedHeaderEnd(data, at, frame);
    long seq = ByteBuffer.wrap(data, at + SEQ_AT, 8).getLong();
    int plainLength = decrypt(data, at, headerEnd, end, seq);
    // Authentic from here on.
    if (seq < 0) {
      throw new CodecException(INVALID_FIELD, "frame sequence number must be >= 0, was " + seq);
    }
    out.add(ClusterCodec.decode(plain, 0, plainLength));
    return seq;
  }

  /** Where the clear header of the sealed frame at {@code at} ends, checking it fits the frame. */
  private static int sealedHeaderEnd(byte[] data, int at, int frame) throws CodecException {
    if (frame < MIN_SEALED_BYTES) {
      throw new CodecException(
          TRUNCATED, "sealed frame of " + frame + " bytes is too short for its fields");
    }
    int last = at + frame - TAG_BYTES - 1; // the header ends before the type (1) and the tag
    int senderAt = at + CLUSTER_AT + 1 + (data[at + CLUSTER_AT] & 0xFF);
    if (senderAt >= last) {
      throw new CodecException(TRUNCATED, "sealed frame ends inside its cluster name");
    }
    int headerEnd = senderAt + 1 + (data[senderAt] & 0xFF) + 8;
    if (headerEnd > last) {
      throw new CodecException(TRUNCATED, "sealed frame ends inside its clear header");
    }
    return headerEnd;
  }

  /**
   * Authenticates and decrypts the sealed frame {@code data[at, end)} into {@link #plain}, laid
   * out as the plain frame it was made from; returns that frame's length.
   */
  private int decrypt(byte[] data, int at, int headerEnd, int end, long seq)
      throws AuthenticationException {
    int keyId = ByteBuffer.wrap(data, at + KEY_ID_AT, 4).getInt();
    int contextFrom = at + SEALER_AT;
    int contextBytes = headerEnd - (at + CLUSTER_AT); // cluster, sender, incarnation
    int bodyAt = PLAIN_CLUSTER_AT + contextBytes;
    boolean named = false;
    for (int slot = 0; slot < keys.slots(); slot++) {
      if (keys.keyId(slot) != keyId) {
        continue;
      }
      named = true;
      SecretKeySpec key = openKeys.get(slot, data, contextFrom, headerEnd);
      boolean cached = key != null;
      if (key == null) {
        key = keys.frameKey(slot, data, contextFrom, headerEnd);
      }
      int decrypted;
      try {
        opener.init(Cipher.DECRYPT_MODE, key, gcm(openNonce, seq));
        opener.updateAAD(data, at, headerEnd - at);
        // Type and body land where a plain frame has the body, less one byte for the type.
        decrypted = opener.doFinal(data, headerEnd, end - headerEnd, plain, bodyAt - 1);
      } catch (AEADBadTagException e) {
        continue; // the other key may share the id (1 in 2^32): try it, else BAD_MAC
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("AES-GCM failed to open a frame", e);
      }
      if (!cached) {
        openKeys.put(slot, data, contextFrom, headerEnd, key);
      }
      int length = bodyAt - 1 + decrypted;
      byte type = plain[bodyAt - 1];
      ByteBuffer header = ByteBuffer.wrap(plain);
      header.putInt(length - ClusterCodec.LENGTH_PREFIX_BYTES);
      header.put((byte) MAGIC0).put((byte) PLAIN_MAGIC1).put((byte) ClusterCodec.VERSION);
      header.put(type);
      System.arraycopy(data, at + CLUSTER_AT, plain, PLAIN_CLUSTER_AT, contextBytes);
      return length;
    }
    throw new AuthenticationException(
        AuthFailure.BAD_MAC,
        named
            ? "tag check failed: not sealed with this cluster's key, or changed on the way"
            : String.format(
                "frame names key id %08x, which is none of this server's (%s)",
                keyId, keys.keyIdsText()));
  }

  /** Refuses the datagram if any of its frames is a replay, or repeats another of it. */
  private void checkReplays(List<ClusterEnvelope> out, int before, List<Long> seqs)
      throws AuthenticationException {
    Set<List<Object>> inThisDatagram = seqs.size() > 1 ? new HashSet<>() : Set.of();
    for (int i = 0; i < seqs.size(); i++) {
      ClusterEnvelope e = out.get(before + i);
      long seq = seqs.get(i);
      boolean repeated = seqs.size() > 1
          && !inThisDatagram.add(List.of(e.cluster(), e.sender(), e.incarnation(), seq));
      if (repeated || !replays.isNew(e.cluster(), e.sender(), e.incarnation(), seq)) {
        throw new AuthenticationException(
            AuthFailure.REPLAYED,
            "frame " + seq + " of " + e.sender() + " (incarnation " + e.incarnation()
                + ") was accepted before, or is older than the replay window");
      }
    }
  }

  /** How many sealers' frame keys this receiver keeps now (for tests). */
  int cachedFrameKeys() {
    return openKeys.size();
  }

  /** How many senders' replay state is kept now. */
  public int trackedSenders() {
    return replays.trackedSenders();
  }
}
