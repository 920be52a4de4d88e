package io.github.ringleader.messaging.examples.readme;

import io.github.ringleader.messaging.node.ClusterView;
import io.github.ringleader.messaging.node.MessagingNode;
import io.github.ringleader.messaging.node.NodeListener;
import io.github.ringleader.messaging.protocol.NodeId;
import io.github.ringleader.messaging.transport.ClusterTransport;
import java.time.Duration;

/**
 * README.md, "Embedding a MessagingNode", as the README has it today (compiled only: another
 * change rewrites this block around a server object and this file with it).
 */
final class EmbeddedServerSample {
  private EmbeddedServerSample() {}

  static void run(ClusterTransport transport) throws Exception {
    // --- README: Embedding a MessagingNode
    MessagingNode node = MessagingNode.builder()
        .nodeId("server1") // 1-64 of [A-Za-z0-9._-]; highest id leads
        .clusterName("ringleader") // servers of other clusters are ignored
        .clientPort(5001)
        .capacity(100)
        .heartbeatInterval(Duration.ofSeconds(2)) // failed after 3 missed: 6 s
        .transport(transport) // a ClusterTransport
        .listener(new NodeListener() {
          @Override
          public void onLeaderChanged(NodeId leader, long term) {
            System.out.println("leader: " + leader);
          }
        })
        .build();
    node.start().get(); // fails with DuplicateNodeIdException if server1 already runs
    ClusterView view = node.view(); // leader, term, live members and their load
    node.close(); // leaves at once; no 6 s wait for the others
    // --- end
  }
}
