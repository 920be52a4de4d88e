package io.github.ringleader.messaging.transport.udp;

import io.github.ringleader.messaging.node.NodeId;
import io.github.ringleader.messaging.transport.ClusterTransport;
import io.github.ringleader.messaging.transport.OutboundFrame;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Shared by the UDP tests (and, for the port and the config, the TCP end-to-end tests' {@code
 * LoopbackCluster}). Everything stays on this host: the group is a 239.255.x.y group joined
 * on the loopback interface with TTL 0, and unicast sockets bind 127.0.0.1.
 *
 * <p>The transport carries opaque bytes, so its tests use frames of their own ({@link
 * TestFrame}): a length prefix, as every real frame starts with, then a tag that tells test frames
 * apart, the cluster and the sender. A {@link RecordingReceiver} splits what arrives back into
 * them and, standing in for the node, names the sender of what it accepts.
 */
public final class UdpTestSupport {
  /** How long a test waits for something that takes milliseconds on a healthy host. */
  static final Duration WAIT = Duration.ofSeconds(5);

  private UdpTestSupport() {}

  /**
   * A UDP port no socket holds right now, to use as a test's group port.
   *
   * <p>The probe binds the wildcard address, not 127.0.0.1: a socket bound to a multicast group
   * (239.x:p) does not conflict with 127.0.0.1:p, so a port free on 127.0.0.1 could still be some
   * other group's; a port free on the wildcard is held by no socket at all. Binding only receives,
   * nothing is sent.
   *
   * <p>There is a tiny race: between closing the probe and the transports binding the port,
   * another program could take it. The kernel hands out ephemeral ports in turn, so that needs a
   * full wrap of the ephemeral range in those microseconds; we accept it.
   */
  public static int freeUdpPort() throws IOException {
    try (DatagramChannel probe = DatagramChannel.open()) {
      probe.bind(new InetSocketAddress(InetAddress.getByAddress(new byte[4]), 0));
      return ((InetSocketAddress) probe.getLocalAddress()).getPort();
    }
  }

  /**
   * A config for a test transport: group 239.255.x.y derived from the port (so concurrent runs on
   * one host use different groups as well as different ports), loopback, TTL 0.
   */
  public static UdpTransportConfig.Builder testConfig(int groupPort) {
    return UdpTransportConfig.builder()
        .group("239.255." + ((groupPort >> 8) & 0xFF) + "." + (groupPort & 0xFF))
        .port(groupPort)
        .networkInterface("lo")
        .ttl(0)
        .bindAddress("127.0.0.1");
  }

  /** One test frame as the receiver reads it back. */
  record TestFrame(String cluster, String sender, long tag) {}

  /**
   * The bytes of a test frame of at least {@code size} bytes: {@code [int length of the rest][long
   * tag][UTF cluster][UTF sender][zeros]}.
   */
  static byte[] frameBytes(String cluster, String sender, long tag, int size) {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(body)) {
      out.writeLong(tag);
      out.writeUTF(cluster);
      out.writeUTF(sender);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    byte[] rest = Arrays.copyOf(body.toByteArray(), Math.max(body.size(), size - Integer.BYTES));
    return ByteBuffer.allocate(Integer.BYTES + rest.length)
        .putInt(rest.length)
        .put(rest)
        .array();
  }

  /** A control frame (a heartbeat, say) of {@code cluster}, from {@code sender}. */
  static OutboundFrame control(String cluster, String sender, long tag) {
    return OutboundFrame.of("Control", true, frameBytes(cluster, sender, tag, 0));
  }

  /** A data frame: queued behind control frames. */
  static OutboundFrame data(String cluster, String sender, long tag) {
    return data(cluster, sender, tag, 0);
  }

  /** A data frame of at least {@code size} bytes. */
  static OutboundFrame data(String cluster, String sender, long tag, int size) {
    return OutboundFrame.of("Data", false, frameBytes(cluster, sender, tag, size));
  }

  /**
   * The test frames of one delivery, back to back, or null if it is not whole test frames (what
   * the node would call malformed).
   */
  static @Nullable List<TestFrame> parse(byte[] data, int offset, int length) {
    List<TestFrame> frames = new ArrayList<>();
    ByteBuffer in = ByteBuffer.wrap(data, offset, length);
    if (!in.hasRemaining()) {
      return null;
    }
    while (in.hasRemaining()) {
      if (in.remaining() < Integer.BYTES + Long.BYTES) {
        return null;
      }
      int rest = in.getInt();
      if (rest < Long.BYTES || rest > in.remaining()) {
        return null;
      }
      int end = in.position() + rest;
      long tag = in.getLong();
      String cluster;
      String sender;
      try (DataInputStream body =
          new DataInputStream(new ByteArrayInputStream(data, in.position(), end - in.position()))) {
        cluster = body.readUTF();
        sender = body.readUTF();
      } catch (IOException e) {
        return null;
      }
      frames.add(new TestFrame(cluster, sender, tag));
      in.position(end);
    }
    return frames;
  }

  /**
   * Polls {@code condition} until it holds or {@code timeout} passes; fails with {@code what}
   * otherwise. The only waiting the tests do: bounded, and over as soon as the condition holds.
   */
  static void await(Duration timeout, Supplier<String> what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline >= 0) {
        throw new AssertionError("timed out after " + timeout + " waiting until " + what.get());
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
    }
  }

  static void await(Supplier<String> what, BooleanSupplier condition) {
    await(WAIT, what, condition);
  }

  /**
   * One call of the receiver: a copy of the bytes, the test frames in them (null if they are
   * not whole test frames) and the source the transport named.
   */
  record Delivery(byte[] bytes, @Nullable List<TestFrame> frames, Object source) {}

  /**
   * Records what a transport delivers and, as the node would, names the sender of the first
   * frame of each delivery it accepts: whole test frames that all pass {@code accepts} (by
   * default, any). It returns null for the rest, as the node does for what is malformed, forged
   * or of another cluster.
   */
  static final class RecordingReceiver implements ClusterTransport.Receiver {
    private final Predicate<TestFrame> accepts;
    private final List<Delivery> deliveries = new CopyOnWriteArrayList<>();

    RecordingReceiver() {
      this(frame -> true);
    }

    RecordingReceiver(Predicate<TestFrame> accepts) {
      this.accepts = accepts;
    }

    @Override
    public @Nullable NodeId onFrames(byte[] data, int offset, int length, Object source) {
      List<TestFrame> frames = parse(data, offset, length);
      deliveries.add(
          new Delivery(Arrays.copyOfRange(data, offset, offset + length), frames, source));
      if (frames == null || !frames.stream().allMatch(accepts)) {
        return null;
      }
      return NodeId.of(frames.get(0).sender());
    }

    List<Delivery> deliveries() {
      return deliveries;
    }

    /** Every test frame delivered, accepted or not, in order. */
    List<TestFrame> frames() {
      List<TestFrame> all = new ArrayList<>();
      for (Delivery delivery : deliveries) {
        List<TestFrame> frames = delivery.frames();
        if (frames != null) {
          all.addAll(frames);
        }
      }
      return all;
    }

    List<Long> tags() {
      return frames().stream().map(TestFrame::tag).toList();
    }

    boolean hasTag(long tag) {
      return frames().stream().anyMatch(f -> f.tag() == tag);
    }

    long countTag(long tag) {
      return frames().stream().filter(f -> f.tag() == tag).count();
    }

    void awaitTag(long tag) {
      await(() -> "tag " + tag + " arrives; tags so far: " + tags(), () -> hasTag(tag));
    }

    void awaitDeliveries(int count) {
      await(
          () -> count + " deliveries arrive; " + deliveries.size() + " so far",
          () -> deliveries.size() >= count);
    }
  }
}
