package io.github.ringleader.messaging.transport.udp;

import io.github.ringleader.messaging.node.NodeId;
import io.github.ringleader.messaging.protocol.ClusterEnvelope;
import io.github.ringleader.messaging.protocol.ElectionAck;
import io.github.ringleader.messaging.protocol.StreamAck;
import io.github.ringleader.messaging.transport.ClusterTransport;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.DatagramChannel;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Shared by the UDP tests (and, for the port and the config, the TCP end-to-end tests' {@code
 * LoopbackCluster}). Everything stays on this host: the group is a 239.255.x.y group joined
 * on the loopback interface with TTL 0, and unicast sockets bind 127.0.0.1.
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

  /** An envelope whose {@code tag} (an ElectionAck's messageId) tells test messages apart. */
  static ClusterEnvelope tagged(String cluster, String sender, long tag) {
    return new ClusterEnvelope(cluster, NodeId.of(sender), 1, new ElectionAck(1, tag));
  }

  /** A data-plane frame (a StreamAck) carrying {@code tag}: queued behind control frames. */
  static ClusterEnvelope data(String cluster, String sender, long tag) {
    return new ClusterEnvelope(cluster, NodeId.of(sender), 1, new StreamAck(tag, 0, 0));
  }

  static long tagOf(ClusterEnvelope envelope) {
    if (envelope.message() instanceof ElectionAck ack) {
      return ack.messageId();
    }
    return envelope.message() instanceof StreamAck ack ? ack.epoch() : -1;
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

  /** Records what a transport delivers. */
  static final class RecordingReceiver implements ClusterTransport.Receiver {
    private final List<ClusterEnvelope> received = new CopyOnWriteArrayList<>();

    @Override
    public void onMessage(ClusterEnvelope envelope) {
      received.add(envelope);
    }

    List<ClusterEnvelope> received() {
      return received;
    }

    boolean hasTag(long tag) {
      return received.stream().anyMatch(e -> tagOf(e) == tag);
    }

    long countTag(long tag) {
      return received.stream().filter(e -> tagOf(e) == tag).count();
    }

    void awaitTag(long tag) {
      await(() -> "tag " + tag + " arrives; received so far: " + received, () -> hasTag(tag));
    }
  }
}
