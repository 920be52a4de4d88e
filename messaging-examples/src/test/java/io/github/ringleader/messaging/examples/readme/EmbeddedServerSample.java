package io.github.ringleader.messaging.examples.readme;

import io.github.ringleader.messaging.node.ClusterView;
import io.github.ringleader.messaging.node.DuplicateNodeIdException;
import io.github.ringleader.messaging.node.MessagingNode;
import io.github.ringleader.messaging.node.NodeId;
import io.github.ringleader.messaging.node.NodeListener;
import io.github.ringleader.messaging.server.MessagingServer;
import io.github.ringleader.messaging.transport.ClusterKey;
import io.github.ringleader.messaging.transport.tcp.TcpServerConfig;
import io.github.ringleader.messaging.transport.udp.UdpTransportConfig;
import java.io.IOException;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * The README's "Embedding a {@code MessagingNode}" block, verbatim inside {@link #embed}: it
 * compiles with the build, and {@code EmbeddedServerSampleTest} runs it on loopback.
 */
final class EmbeddedServerSample {
  private EmbeddedServerSample() {}

  /** The README's block, between the markers. */
  static void embed(
      UdpTransportConfig cluster, @Nullable ClusterKey clusterKey, TcpServerConfig clients)
      throws IOException, DuplicateNodeIdException {
    // README block begins
    try (MessagingServer server = MessagingServer.builder()
        .node(MessagingNode.builder()
            .nodeId("server1") // 1-64 of [A-Za-z0-9._-]; highest id leads
            .clusterName("ringleader") // servers of other clusters are ignored
            .capacity(100)
            .heartbeatInterval(Duration.ofSeconds(2)) // failed after 3 missed: 6 s
            .clusterKey(clusterKey) // seals cluster frames (null: none); docs/security.md
            .listener(new NodeListener() {
              @Override
              public void onLeaderChanged(NodeId leader, long term) {
                System.out.println("leader: " + leader);
              }
            }))
        .cluster(cluster) // a UdpTransportConfig: multicast group, interface, TTL
        .clients(clients) // a TcpServerConfig: host, port (0: any free one), limits, TLS
        .build()) {
      server.start(); // DuplicateNodeIdException if server1 already runs
      System.out.println("clients connect on port " + server.clientPort());
      ClusterView view = server.node().view(); // leader, term, live members and their load
      System.out.println(view);
    } // leaves the cluster, says goodbye to its clients, then closes its sockets
    // README block ends
  }
}
