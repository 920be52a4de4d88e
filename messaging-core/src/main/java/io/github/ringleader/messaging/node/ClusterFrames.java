package io.github.ringleader.messaging.node;

import io.github.ringleader.messaging.protocol.AuthenticationException;
import io.github.ringleader.messaging.protocol.ClusterCodec;
import io.github.ringleader.messaging.protocol.ClusterEnvelope;
import io.github.ringleader.messaging.protocol.FrameAuthenticator;
import io.github.ringleader.messaging.transport.AuthFailure;
import io.github.ringleader.messaging.transport.ClusterKey;
import io.github.ringleader.messaging.transport.CodecException;
import io.github.ringleader.messaging.transport.OutboundFrame;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's frame layer, between its messages and the bytes a {@link
 * io.github.ringleader.messaging.transport.ClusterTransport} carries: encodes each outgoing
 * envelope into a frame (sealed with the cluster key, if there is one, when the transport takes
 * its bytes), and opens, authenticates and decodes what arrives, dropping and counting what is
 * malformed, forged, replayed or of another cluster. Here, and not in each transport, so every
 * transport — UDP, the simulated network, one a user writes — carries the same wire format and
 * the same protection.
 *
 * <p>Threads: {@link #frame} runs on the node's event loop; a frame's bytes are sealed on
 * whichever thread the transport takes them on; {@link #open} may be called from any thread, one
 * call at a time (it is synchronized: the replay state is one receiver's).
 */
final class ClusterFrames {
  private static final Logger log = LoggerFactory.getLogger(ClusterFrames.class);

  /** Security events: frames refused by their tag or as replays (rate-limited). */
  private static final Logger audit = LoggerFactory.getLogger("ringleader.audit");

  private final String cluster;
  private final NodeId self;
  private final @Nullable FrameAuthenticator authenticator;

  /** Filled for every reason here and never changed after, so any thread may read it. */
  private final Map<CodecException.Reason, AtomicLong> malformed =
      new EnumMap<>(CodecException.Reason.class);

  private final Map<AuthFailure, AtomicLong> refused = new EnumMap<>(AuthFailure.class);
  private final AtomicLong foreign = new AtomicLong();
  private final AtomicLong oversized = new AtomicLong();

  /** The frames of the delivery being opened; guarded by this. */
  private final List<ClusterEnvelope> decoded = new ArrayList<>();

  ClusterFrames(String cluster, NodeId self, @Nullable ClusterKey key) {
    this.cluster = cluster;
    this.self = self;
    this.authenticator = key == null ? null : new FrameAuthenticator(key);
    for (CodecException.Reason reason : CodecException.Reason.values()) {
      malformed.put(reason, new AtomicLong());
    }
    for (AuthFailure reason : AuthFailure.values()) {
      refused.put(reason, new AtomicLong());
    }
  }

  /**
   * The frame of {@code envelope}, or null if it cannot be sent: with a cluster key, a frame too
   * large to be sealed into {@link OutboundFrame#MAX_BYTES} (logged and counted as {@code
   * oversized}).
   */
  @Nullable
  OutboundFrame frame(ClusterEnvelope envelope) {
    byte[] plain = ClusterCodec.encode(envelope);
    String type = envelope.message().getClass().getSimpleName();
    boolean control = envelope.message().isControl();
    FrameAuthenticator sealer = authenticator;
    if (sealer == null) {
      return OutboundFrame.of(type, control, plain);
    }
    if (plain.length > FrameAuthenticator.MAX_INNER_FRAME_BYTES) {
      oversized.incrementAndGet();
      log.error(
          "[{}] dropped a {} frame of {} bytes: sealed with the cluster key it would exceed a"
              + " datagram (at most {} bytes before sealing)",
          self,
          type,
          plain.length,
          FrameAuthenticator.MAX_INNER_FRAME_BYTES);
      return null;
    }
    return new SealedFrame(sealer, type, control, plain);
  }

  /**
   * Opens the frames of one delivery and hands each of this cluster to {@code sink}, in order.
   * A delivery counts whole or not at all: if any frame is malformed or refused, none is handed
   * on, and it is counted once, by the first rule it broke.
   *
   * @return the sender of the frames handed on, or null if none was
   */
  synchronized @Nullable NodeId open(
      byte[] data, int offset, int length, Object source, Consumer<ClusterEnvelope> sink) {
    decoded.clear();
    FrameAuthenticator opener = authenticator;
    try {
      if (opener == null) {
        ClusterCodec.decodeAll(data, offset, length, decoded);
      } else {
        opener.openAll(data, offset, length, decoded);
      }
    } catch (CodecException e) {
      dropMalformed(source, e);
      return null;
    } catch (AuthenticationException e) {
      dropRefused(source, e);
      return null;
    }
    NodeId sender = null;
    for (ClusterEnvelope envelope : decoded) {
      if (!envelope.cluster().equals(cluster)) {
        foreign.incrementAndGet(); // another cluster sharing the group: none of ours
        continue;
      }
      if (sender == null) {
        sender = envelope.sender();
      }
      sink.accept(envelope);
    }
    decoded.clear();
    return sender;
  }

  private void dropMalformed(Object source, CodecException e) {
    AtomicLong counter = malformed.get(e.reason());
    long count = counter == null ? 0 : counter.incrementAndGet();
    if (worthLogging(count)) {
      log.warn(
          "[{}] dropped a malformed cluster datagram from {} ({}, {} so far): {}",
          self,
          describe(source),
          e.reason(),
          count,
          e.getMessage());
    }
  }

  /** Counts a delivery refused by the tag or replay check; audit-logs the first and every 100th. */
  private void dropRefused(Object source, AuthenticationException e) {
    AtomicLong counter = refused.get(e.reason());
    long count = counter == null ? 0 : counter.incrementAndGet();
    if (worthLogging(count)) {
      audit.warn(
          "[{}] refused a cluster datagram from {} ({}, {} so far): {}",
          self,
          describe(source),
          e.reason(),
          count,
          e.getMessage());
    }
  }

  /** {@code 127.0.0.1:4446} for a socket address (not {@code /127.0.0.1:4446}), else as given. */
  private static Object describe(Object source) {
    if (source instanceof java.net.InetSocketAddress address && address.getAddress() != null) {
      return address.getAddress().getHostAddress() + ":" + address.getPort();
    }
    return source;
  }

  /** The first of each kind and then every 100th: enough to notice, too few to flood a log. */
  private static boolean worthLogging(long count) {
    return count == 1 || count % 100 == 0;
  }

  /** Frames of another cluster sharing the transport, dropped. */
  long foreignFrames() {
    return foreign.get();
  }

  /**
   * What this layer dropped: {@code malformed_<reason>} per {@link CodecException.Reason} (lower
   * case) and {@code oversized}; every key present.
   */
  Map<String, Long> droppedFrames() {
    Map<String, Long> dropped = new TreeMap<>();
    malformed.forEach((reason, count) ->
        dropped.put("malformed_" + reason.name().toLowerCase(Locale.ROOT), count.get()));
    dropped.put("oversized", oversized.get());
    return dropped;
  }

  /**
   * Deliveries refused by the cluster key check: one key per {@link AuthFailure}, lower case;
   * empty without a key.
   */
  Map<String, Long> authenticationFailures() {
    if (authenticator == null) {
      return Map.of();
    }
    Map<String, Long> failures = new TreeMap<>();
    refused.forEach(
        (reason, count) -> failures.put(reason.name().toLowerCase(Locale.ROOT), count.get()));
    return failures;
  }

  /**
   * A frame sealed when the transport first takes its bytes, so its frame sequence number follows
   * the order frames leave, whatever the transport's queues reorder before that.
   */
  private static final class SealedFrame implements OutboundFrame {
    private final FrameAuthenticator sealer;
    private final String type;
    private final boolean control;
    private final byte[] plain;
    private volatile byte @Nullable [] sealed;

    SealedFrame(FrameAuthenticator sealer, String type, boolean control, byte[] plain) {
      this.sealer = sealer;
      this.type = type;
      this.control = control;
      this.plain = plain;
    }

    @Override
    public boolean isControl() {
      return control;
    }

    @Override
    public String type() {
      return type;
    }

    @Override
    public int size() {
      return plain.length + FrameAuthenticator.OVERHEAD_BYTES;
    }

    @Override
    public byte[] bytes() {
      byte[] done = sealed;
      if (done == null) {
        synchronized (this) {
          done = sealed;
          if (done == null) {
            done = sealer.seal(plain);
            sealed = done;
          }
        }
      }
      return done;
    }

    @Override
    public String toString() {
      return "sealed " + type + " frame of " + size() + " bytes";
    }
  }
}
