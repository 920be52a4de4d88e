package io.github.ringleader.messaging.transport;

import java.util.Objects;

/**
 * One frame the node hands a {@link ClusterTransport} to carry: opaque bytes, whole, of at most
 * {@link #MAX_BYTES}. A transport never looks inside; it may put several frames for the same
 * destination back to back in one datagram or write, and the receiving node splits them again
 * (every frame starts with its own length).
 *
 * <p><b>Take the bytes as the frame leaves.</b> With a cluster key the node seals each frame (AES-GCM)
 * with a frame sequence number when {@link #bytes()} is first called, and receivers refuse a
 * frame numbered far below one they already took from the same sender (a replay). So a transport
 * that keeps a queue and lets control frames overtake data (as it should) calls {@code bytes()}
 * on the one thread that writes, in the order the frames go out — not when it queues them.
 */
public interface OutboundFrame {

  /**
   * The largest frame the node sends: a frame fits one UDP datagram (65,535 bytes less the IP and
   * UDP headers), so a datagram transport never needs to split one.
   */
  int MAX_BYTES = 65_507;

  /**
   * Whether this is a control frame — a heartbeat, the election, discovery, leaving — rather than
   * data. A transport that queues frames sends control frames before queued data, so a flood of
   * data cannot delay a heartbeat until the other servers take this one for dead.
   */
  boolean isControl();

  /** The message type, such as {@code "Heartbeat"} or {@code "Sequenced"}: for statistics and logs. */
  String type();

  /** The frame's size on the wire in bytes, known before {@link #bytes()} is called. */
  int size();

  /**
   * The bytes to put on the wire: the same array at every call (do not change it). The first call
   * fixes the frame's place in its sender's order (see the class comment).
   */
  byte[] bytes();

  /** A frame of {@code bytes} as they are: for tests of a transport, and for forwarding. */
  static OutboundFrame of(String type, boolean control, byte[] bytes) {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(bytes, "bytes");
    if (bytes.length > MAX_BYTES) {
      throw new IllegalArgumentException(
          "frame of " + bytes.length + " bytes; the most is " + MAX_BYTES);
    }
    return new OutboundFrame() {
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
        return bytes.length;
      }

      @Override
      public byte[] bytes() {
        return bytes;
      }

      @Override
      public String toString() {
        return type + " frame of " + bytes.length + " bytes";
      }
    };
  }
}
