package io.github.ringleader.messaging.examples.readme;

import io.github.ringleader.messaging.node.MessagingNode;
import io.github.ringleader.messaging.node.NodeConfig;
import io.github.ringleader.messaging.transport.ClusterTransport;
import java.time.Duration;

/** README.md, "Configuration": a NodeConfig built once and handed over whole. */
final class NodeConfigSample {
  private NodeConfigSample() {}

  static MessagingNode build(ClusterTransport transport) {
    // --- README: Configuration
    NodeConfig config = NodeConfig.builder()
        .nodeId("server1")
        .clientPort(5001)
        .heartbeatInterval(Duration.ofMillis(500))
        .build();
    MessagingNode node =
        MessagingNode.builder().config(config).transport(transport).build();
    // --- end
    return node;
  }
}
