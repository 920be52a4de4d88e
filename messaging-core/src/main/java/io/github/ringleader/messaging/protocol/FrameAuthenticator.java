package io.github.ringleader.messaging.protocol;

import static io.github.ringleader.messaging.protocol.CodecException.Reason.BAD_MAGIC;
import static io.github.ringleader.messaging.protocol.CodecException.Reason.INVALID_FIELD;
import static io.github.ringleader.messaging.protocol.CodecException.Reason.LENGTH_MISMATCH;
import static io.github.ringleader.messaging.protocol.CodecException.Reason.TRUNCATED;
import static io.github.ringleader.messaging.protocol.CodecException.Reason.UNSUPPORTED_VERSION;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Authenticates cluster frames under a {@link ClusterKey}: {@link #seal} wraps a frame of {@link
 * ClusterCodec} in an <em>authenticated frame</em> with a frame sequence number and a MAC, and
 * {@link #openAll} checks the MAC of each authenticated frame of a datagram <em>before</em> its
 * inner frame is decoded, then refuses replays. The layout is in {@code docs/wire-protocol.md}
 * ("Authenticated frames"):
 *
 * <pre>
 * length u32 | 'R' 'A' | version u8 | frameSeq i64 | inner frame (length prefix included) | mac[16]
 * </pre>
 *
 * <p>The MAC is HMAC-SHA256 (JDK {@code javax.crypto}) under the signing key over every byte
 * before it — the outer header, the frame sequence number and the whole inner frame with its
 * header (cluster, sender, incarnation, type) — truncated to its first {@value #MAC_BYTES} bytes.
 * A receiver accepts a MAC made with any key of its {@link ClusterKey} (the signing key and an
 * optional second one, for rotation), compared in constant time.
 *
 * <p>Replays: each authenticator numbers the frames it seals from 0, so a sender's frames carry a
 * per-sender counter within its incarnation. The receiving side keeps a {@link ReplayWindow} per
 * (cluster, sender) and refuses a frame it has accepted before, one older than the window, and
 * one from an older incarnation.
 *
 * <p>Threads: {@link #seal} may be called from any thread. {@link #openAll} keeps the replay
 * state and must be called from one thread at a time. Use one authenticator per transport
 * endpoint: its replay state is that receiver's.
 */
public final class FrameAuthenticator {
  /** The bytes of the truncated MAC at the end of an authenticated frame. */
  public static final int MAC_BYTES = 16;

  /** The authenticated-frame protocol version. */
  public static final int VERSION = 1;

  /** Length prefix, magic, version, frame sequence number. */
  private static final int HEADER_BYTES = 4 + 2 + 1 + 8;

  /** What sealing adds to a frame: the outer header and the MAC. */
  public static final int OVERHEAD_BYTES = HEADER_BYTES + MAC_BYTES;

  /** The largest inner frame that can be sealed: a sealed frame still fits one datagram. */
  public static final int MAX_INNER_FRAME_BYTES = ClusterCodec.MAX_FRAME_BYTES - OVERHEAD_BYTES;

  /** Senders whose replay state is kept by default. */
  public static final int DEFAULT_MAX_TRACKED_SENDERS = 1024;

  private static final int MAGIC0 = 0x52; // 'R'
  private static final int MAGIC1 = 0x41; // 'A', authenticated
  private static final int PLAIN_MAGIC1 = 0x4C; // 'L', a plain cluster frame
  private static final String ALGORITHM = "HmacSHA256";

  private final Mac signer;
  private final List<Mac> verifiers = new ArrayList<>();
  private final AtomicLong nextSeq = new AtomicLong();
  private final ReplayWindow replays;

  /** An authenticator for {@code key}, tracking up to 1,024 senders. */
  public FrameAuthenticator(ClusterKey key) {
    this(key, DEFAULT_MAX_TRACKED_SENDERS);
  }

  /** An authenticator for {@code key}, tracking replay state for up to {@code maxTrackedSenders}. */
  public FrameAuthenticator(ClusterKey key, int maxTrackedSenders) {
    this.replays = new ReplayWindow(maxTrackedSenders);
    this.signer = mac(key.signingKey());
    for (byte[] accepted : key.acceptedKeys()) {
      verifiers.add(mac(accepted));
    }
  }

  private static Mac mac(byte[] key) {
    try {
      Mac mac = Mac.getInstance(ALGORITHM);
      mac.init(new SecretKeySpec(key, ALGORITHM));
      return mac;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JDK lacks " + ALGORITHM + ", which every JDK has", e);
    }
  }

  /**
   * Wraps {@code frame} — one whole frame of {@link ClusterCodec}, length prefix included — in an
   * authenticated frame with the next frame sequence number of this authenticator.
   *
   * @throws IllegalArgumentException if {@code frame} is larger than {@link
   *     #MAX_INNER_FRAME_BYTES}
   */
  public byte[] seal(byte[] frame) {
    return seal(frame, nextSeq.getAndIncrement());
  }

  /** {@link #seal(byte[])} with a given frame sequence number (for tests of replays). */
  byte[] seal(byte[] frame, long seq) {
    if (frame.length > MAX_INNER_FRAME_BYTES) {
      throw new IllegalArgumentException(
          "frame of " + frame.length + " bytes cannot be sealed; limit is " + MAX_INNER_FRAME_BYTES);
    }
    Checks.nonNegative("frame sequence number", seq);
    int size = frame.length + OVERHEAD_BYTES;
    ByteBuffer out = ByteBuffer.allocate(size);
    out.putInt(size - ClusterCodec.LENGTH_PREFIX_BYTES);
    out.put((byte) MAGIC0).put((byte) MAGIC1).put((byte) VERSION).putLong(seq).put(frame);
    synchronized (signer) {
      signer.update(out.array(), 0, size - MAC_BYTES);
      byte[] full = signer.doFinal();
      out.put(full, 0, MAC_BYTES);
    }
    return out.array();
  }

  /**
   * Opens the authenticated frames that lie back to back in {@code data[offset, offset +
   * length)} — a datagram — and adds their decoded inner frames to {@code out}, in order. Like
   * {@link ClusterCodec#decodeAll}, the datagram counts whole or not at all: if any frame is
   * malformed, lacks a valid MAC or is a replay, {@code out} is left as it was and no frame of it
   * is recorded as seen. Each frame's MAC is checked before its inner frame is decoded.
   *
   * @throws CodecException if the datagram is not whole frames, an outer header is broken, or an
   *     inner frame with a valid MAC does not decode
   * @throws AuthenticationException if a frame is a plain one ({@link AuthFailure#NO_MAC}), has
   *     a MAC none of the keys made ({@link AuthFailure#BAD_MAC}) or is a replay ({@link
   *     AuthFailure#REPLAYED})
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

  /** Checks one whole frame's header and MAC, decodes its inner frame; returns its sequence. */
  private long openOne(byte[] data, int at, int frame, List<ClusterEnvelope> out)
      throws CodecException, AuthenticationException {
    if (frame < ClusterCodec.LENGTH_PREFIX_BYTES + 2) {
      throw new CodecException(TRUNCATED, "frame of " + frame + " bytes ends before its magic");
    }
    int magic0 = data[at + 4] & 0xFF;
    int magic1 = data[at + 5] & 0xFF;
    if (magic0 == MAGIC0 && magic1 == PLAIN_MAGIC1) {
      throw new AuthenticationException(
          AuthFailure.NO_MAC, "a plain frame without a MAC; this cluster requires authenticated frames");
    }
    if (magic0 != MAGIC0 || magic1 != MAGIC1) {
      throw new CodecException(
          BAD_MAGIC, String.format("bad magic 0x%02x%02x, expected 0x5241 ('RA')", magic0, magic1));
    }
    if (frame < HEADER_BYTES + ClusterCodec.LENGTH_PREFIX_BYTES + MAC_BYTES) {
      throw new CodecException(
          TRUNCATED, "authenticated frame of " + frame + " bytes is too short for its fields");
    }
    int version = data[at + 6] & 0xFF;
    if (version != VERSION) {
      throw new CodecException(
          UNSUPPORTED_VERSION, "authenticated frame version " + version + ", expected " + VERSION);
    }
    int macAt = at + frame - MAC_BYTES;
    if (!macMatches(data, at, macAt)) {
      throw new AuthenticationException(
          AuthFailure.BAD_MAC, "MAC matches no cluster key of this server");
    }
    long seq = ByteBuffer.wrap(data, at + 7, 8).getLong();
    if (seq < 0) {
      throw new CodecException(INVALID_FIELD, "frame sequence number must be >= 0, was " + seq);
    }
    int innerAt = at + HEADER_BYTES;
    out.add(ClusterCodec.decode(data, innerAt, macAt - innerAt));
    return seq;
  }

  private boolean macMatches(byte[] data, int from, int macAt) {
    for (Mac verifier : verifiers) {
      verifier.update(data, from, macAt - from);
      byte[] full = verifier.doFinal();
      int difference = 0; // constant time: no early exit on the first differing byte
      for (int i = 0; i < MAC_BYTES; i++) {
        difference |= full[i] ^ data[macAt + i];
      }
      if (difference == 0) {
        return true;
      }
    }
    return false;
  }

  /** Refuses the datagram if any of its frames is a replay, or repeats another of it. */
  private void checkReplays(List<ClusterEnvelope> out, int before, List<Long> seqs)
      throws AuthenticationException {
    Set<List<Object>> inThisDatagram = seqs.size() > 1 ? new HashSet<>() : Set.of();
    for (int i = 0; i < seqs.size(); i++) {
      ClusterEnvelope e = out.get(before + i);
      long seq = seqs.get(i);
      boolean repeated =
          seqs.size() > 1
              && !inThisDatagram.add(List.of(e.cluster(), e.sender(), e.incarnation(), seq));
      if (repeated || !replays.isNew(e.cluster(), e.sender(), e.incarnation(), seq)) {
        throw new AuthenticationException(
            AuthFailure.REPLAYED,
            "frame " + seq + " of " + e.sender() + " (incarnation " + e.incarnation()
                + ") was accepted before, or is older than the replay window");
      }
    }
  }

  /** How many senders' replay state is kept now. */
  public int trackedSenders() {
    return replays.trackedSenders();
  }
}
