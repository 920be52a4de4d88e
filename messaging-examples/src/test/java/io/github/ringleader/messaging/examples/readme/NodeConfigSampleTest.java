package io.github.ringleader.messaging.examples.readme;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.ringleader.messaging.node.MessagingNode;
import io.github.ringleader.messaging.node.NodeId;
import io.github.ringleader.messaging.node.NodeState;
import io.github.ringleader.messaging.transport.ClusterTransport;
import io.github.ringleader.messaging.transport.OutboundFrame;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class NodeConfigSampleTest {
  @Test
  void theReadmesNodeConfigBuildsANodeWithItsSettingsAndTheDefaultsForTheRest() {
    MessagingNode node = NodeConfigSample.build(new UnusedTransport());

    assertThat(node.id()).isEqualTo(NodeId.of("server1"));
    assertThat(node.state()).isEqualTo(NodeState.NEW);
    assertThat(node.config().clientPort()).isEqualTo(5001);
    assertThat(node.config().heartbeatInterval()).isEqualTo(Duration.ofMillis(500));
    assertThat(node.config().missedHeartbeats()).isEqualTo(3);
  }

  /** The node is only built, never started: nothing is sent. */
  private static final class UnusedTransport implements ClusterTransport {
    @Override
    public void start(Receiver receiver) {}

    @Override
    public void send(NodeId to, OutboundFrame frame) {}

    @Override
    public void sendToAll(OutboundFrame frame) {}

    @Override
    public void close() {}
  }
}
