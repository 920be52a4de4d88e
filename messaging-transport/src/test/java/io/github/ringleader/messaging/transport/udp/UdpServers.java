package io.github.ringleader.messaging.transport.udp;

import static io.github.ringleader.messaging.transport.udp.UdpTestSupport.await;
import static io.github.ringleader.messaging.transport.udp.UdpTestSupport.testConfig;

import io.github.ringleader.messaging.node.MessagingNode;
import io.github.ringleader.messaging.node.NodeId;
import io.github.ringleader.messaging.protocol.ClusterCodec;
import io.github.ringleader.messaging.protocol.ClusterEnvelope;
import io.github.ringleader.messaging.protocol.ClusterMessage;
import io.github.ringleader.messaging.server.MessagingServer;
import io.github.ringleader.messaging.transport.ClusterKey;
import io.github.ringleader.messaging.transport.tcp.TcpServerConfig;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Real servers over UDP on one loopback group (TTL 0), for the tests of what the node does with
 * the frames the transport carries: sealing and opening with a cluster key, refusing and counting
 * what is malformed or forged. Quick timings: heartbeat 100 ms, failed after 3 missed, discovery
 * 200 ms. Closes everything it made.
 */
final class UdpServers implements AutoCloseable {
  static final String CLUSTER = "alpha";

  private final int groupPort;
  private final List<AutoCloseable> toClose = new ArrayList<>();

  UdpServers(int groupPort) {
    this.groupPort = groupPort;
  }

  /** A 32-byte key of {@code value} repeated: two calls with one value are the same key. */
  static ClusterKey key(int value) {
    byte[] key = new byte[ClusterKey.KEY_BYTES];
    Arrays.fill(key, (byte) value);
    return ClusterKey.of(key);
  }

  /** Server {@code id} of {@link #CLUSTER} with {@code key} (none if null), started. */
  MessagingServer started(String id, @Nullable ClusterKey key) throws Exception {
    MessagingServer server = MessagingServer.builder()
        .node(MessagingNode.builder()
            .nodeId(id)
            .clusterName(CLUSTER)
            .heartbeatInterval(Duration.ofMillis(100))
            .missedHeartbeats(3)
            .discoveryWindow(Duration.ofMillis(200))
            .rebalance(false)
            .clusterKey(key))
        .cluster(testConfig(groupPort).build())
        .clients(TcpServerConfig.builder().host("127.0.0.1").port(0).build())
        .build();
    toClose.add(server);
    server.startAsync().get(5, TimeUnit.SECONDS);
    return server;
  }

  /** Waits until every server's view holds exactly {@code ids}. */
  static void awaitMembers(List<MessagingServer> servers, String... ids) {
    for (MessagingServer server : servers) {
      await(
          Duration.ofSeconds(10),
          () -> server.node().id() + " sees " + server.node().view().members(),
          () -> server.node().view().members().stream()
              .map(m -> m.id().value())
              .toList()
              .equals(List.of(ids)));
    }
  }

  /**
   * A plain socket on 127.0.0.1 that sends to the group (loopback, TTL 0) and receives what is
   * sent to it point to point: a stranger on the network.
   */
  DatagramChannel intruder() throws IOException {
    DatagramChannel channel = DatagramChannel.open(StandardProtocolFamily.INET);
    toClose.add(channel);
    channel.setOption(StandardSocketOptions.IP_MULTICAST_IF, NetworkInterface.getByName("lo"));
    channel.setOption(StandardSocketOptions.IP_MULTICAST_TTL, 0);
    channel.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    channel.configureBlocking(false);
    return channel;
  }

  /** The group's address, where the intruder sends. */
  InetSocketAddress group() {
    return testConfig(groupPort).build().groupAddress();
  }

  /** Sends {@code datagram} from {@code from} to the group. */
  void toGroup(DatagramChannel from, byte[] datagram) throws IOException {
    from.send(ByteBuffer.wrap(datagram), group());
  }

  /** The plain frame of {@code message} from {@code sender} of {@code cluster}. */
  static byte[] plain(String cluster, String sender, ClusterMessage message) {
    return ClusterCodec.encode(new ClusterEnvelope(cluster, NodeId.of(sender), 1, message));
  }

  /** The next datagram sent to {@code channel}, waiting at most the usual while. */
  static byte[] receive(DatagramChannel channel) throws IOException {
    ByteBuffer buffer = ByteBuffer.allocate(ClusterCodec.MAX_FRAME_BYTES + 1);
    long deadline = System.nanoTime() + UdpTestSupport.WAIT.toNanos();
    while (channel.receive(buffer) == null) {
      if (System.nanoTime() - deadline >= 0) {
        throw new AssertionError("no datagram within " + UdpTestSupport.WAIT);
      }
      java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
    }
    return Arrays.copyOf(buffer.array(), buffer.position());
  }

  @Override
  public void close() throws Exception {
    for (AutoCloseable closeable : toClose) {
      closeable.close();
    }
  }
}
