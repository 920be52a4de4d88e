package io.github.ringleader.messaging.examples;

import io.github.ringleader.messaging.node.MessagingNode;
import io.github.ringleader.messaging.server.MessagingServer;
import io.github.ringleader.messaging.transport.tcp.TcpServerConfig;
import io.github.ringleader.messaging.transport.udp.UdpTransportConfig;
import java.io.IOException;

/**
 * Servers run inside a command's process (bench, failover): multicast on the loopback interface,
 * clients on 127.0.0.1, without the per-address limits a real server keeps.
 */
final class LoopbackServers {
  private LoopbackServers() {}

  /**
   * Starts server {@code id} from {@code settings} (cluster, timings...), multicasting on {@code
   * mcastPort} and accepting clients on {@code clientPort} (0: any free port). Returns once its
   * client port is bound and its node is discovering; the caller waits for the cluster to agree.
   *
   * @throws IOException if a port cannot be bound
   */
  static MessagingServer start(
      String id, MessagingNode.Builder settings, int mcastPort, int clientPort) throws IOException {
    MessagingServer server = MessagingServer.builder()
        .node(settings.nodeId(id))
        .cluster(UdpTransportConfig.builder().port(mcastPort).build())
        // Every client of an in-process cluster comes from 127.0.0.1, and a bench or a test joins
        // dozens at once: no limit per address, on open connections or on joins.
        .clients(TcpServerConfig.builder()
            .host("127.0.0.1")
            .port(clientPort)
            .maxConnectionsPerAddress(TcpServerConfig.DEFAULT_MAX_CONNECTIONS)
            .maxJoinsPerSecondPerAddress(0)
            .build())
        .build();
    java.util.concurrent.CompletableFuture<Void> running = server.startAsync();
    if (running.isCompletedExceptionally()) {
      try {
        running.join();
      } catch (java.util.concurrent.CompletionException e) {
        if (e.getCause() instanceof IOException io) {
          throw io;
        }
        throw e;
      }
    }
    return server;
  }
}
