package io.github.ringleader.messaging.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.ringleader.messaging.node.MessagingNode;
import io.github.ringleader.messaging.node.NodeId;
import io.github.ringleader.messaging.transport.tcp.TcpClientServer;
import io.github.ringleader.messaging.transport.tcp.TcpServerConfig;
import io.github.ringleader.messaging.transport.udp.UdpMulticastTransport;
import io.github.ringleader.messaging.transport.udp.UdpTransportConfig;
import java.net.InetSocketAddress;
import java.nio.channels.DatagramChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Servers in this JVM for the client's tests: each on 127.0.0.1 port 0, multicast on loopback
 * (TTL 0) on a free port, short heartbeats, no rebalancing; the client port is in the heartbeats,
 * so server lists name where to reconnect.
 */
final class LoopbackCluster implements AutoCloseable {
  final List<MessagingNode> nodes = new ArrayList<>();
  final List<TcpClientServer> servers = new ArrayList<>();

  LoopbackCluster(int size) throws Exception {
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
    for (int i = 1; i <= size; i++) {
      CompletableFuture<MessagingNode> node = new CompletableFuture<>();
      TcpClientServer tcp = TcpClientServer.start(
          TcpServerConfig.builder().host("127.0.0.1").port(0).build(),
          link -> TcpClientServer.ClientAcceptor.of(node.join()).connect(link));
      servers.add(tcp);
      node.complete(customise
          .apply(MessagingNode.builder())
          .nodeId("server" + i)
          .clusterName(cluster)
          .clientPort(tcp.localPort())
          .clientHost("127.0.0.1")
          .heartbeatInterval(Duration.ofMillis(100))
          .discoveryWindow(Duration.ofMillis(200))
          .rebalance(false)
          .transport(
              new UdpMulticastTransport(UdpTransportConfig.builder().port(group).build()))
          .build());
      nodes.add(node.join());
      node.join().start().get();
    }
    NodeId highest = NodeId.of("server" + size);
    await(
        () -> nodes.stream()
            .allMatch(n -> highest.equals(n.leader()) && n.view().members().size() == size),
        () -> "server" + size + " to lead all " + size);
  }

  int port(int server) {
    return servers.get(server - 1).localPort();
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
    servers.forEach(TcpClientServer::close);
    nodes.forEach(MessagingNode::close);
  }
}
