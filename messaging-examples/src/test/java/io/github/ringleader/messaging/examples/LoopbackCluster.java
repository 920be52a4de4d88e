package io.github.ringleader.messaging.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.ringleader.messaging.node.MessagingNode;
import io.github.ringleader.messaging.node.NodeId;
import io.github.ringleader.messaging.server.MessagingServer;
import io.github.ringleader.messaging.transport.tcp.TcpServerConfig;
import io.github.ringleader.messaging.transport.udp.UdpTransportConfig;
import java.net.InetSocketAddress;
import java.nio.channels.DatagramChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Servers in this JVM for the client's tests: each on 127.0.0.1 port 0, multicast on loopback
 * (TTL 0) on a free port, short heartbeats, no rebalancing; the client port is in the heartbeats,
 * so server lists name where to reconnect.
 */
public final class LoopbackCluster implements AutoCloseable {
  final List<MessagingServer> servers = new ArrayList<>();
  final List<MessagingNode> nodes = new ArrayList<>();

  public LoopbackCluster(int size) throws Exception {
    this(size, node -> node);
  }

  /** As {@link #LoopbackCluster(int)}, each node's builder adjusted by {@code customise}. */
  LoopbackCluster(int size, java.util.function.UnaryOperator<MessagingNode.Builder> customise)
      throws Exception {
    int group;
    try (DatagramChannel probe = DatagramChannel.open()) {
      probe.bind(new InetSocketAddress(0));
      group = ((InetSocketAddress) probe.getLocalAddress()).getPort();
    }
    String cluster = "loopback-" + ProcessHandle.current().pid() + "-" + group;
    try {
      for (int i = 1; i <= size; i++) {
        MessagingServer server = MessagingServer.builder()
            .node(customise
                .apply(MessagingNode.builder())
                .nodeId("server" + i)
                .clusterName(cluster)
                .clientHost("127.0.0.1")
                .heartbeatInterval(Duration.ofMillis(100))
                .discoveryWindow(Duration.ofMillis(200))
                .rebalance(false))
            .cluster(UdpTransportConfig.builder().port(group).build())
            .clients(TcpServerConfig.builder().host("127.0.0.1").port(0).build())
            .build();
        servers.add(server);
        server.start();
        nodes.add(server.node());
      }
      NodeId highest = NodeId.of("server" + size);
      await(
          () -> nodes.stream()
              .allMatch(n -> highest.equals(n.leader()) && n.view().members().size() == size),
          () -> "server" + size + " to lead all " + size);
    } catch (Exception | AssertionError e) {
      close();
      throw e;
    }
  }

  /** The client port of server {@code server} (1 for server1). */
  public int port(int server) {
    return servers.get(server - 1).clientPort();
  }

  /** Waits up to 15 s for {@code condition}; fails with {@code what} otherwise. */
  static void await(BooleanSupplier condition, Supplier<String> what) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        assertThat(condition.getAsBoolean()).as("waiting for " + what.get()).isTrue();
      }
      Thread.sleep(10);
    }
  }

  @Override
  public void close() {
    servers.forEach(MessagingServer::close);
  }
}
