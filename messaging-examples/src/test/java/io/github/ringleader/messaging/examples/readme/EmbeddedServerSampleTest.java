package io.github.ringleader.messaging.examples.readme;

import static org.assertj.core.api.Assertions.assertThatCode;

import io.github.ringleader.messaging.transport.ClusterKey;
import io.github.ringleader.messaging.transport.tcp.TcpServerConfig;
import io.github.ringleader.messaging.transport.udp.UdpTransportConfig;
import java.net.InetSocketAddress;
import java.nio.channels.DatagramChannel;
import org.junit.jupiter.api.Test;

/** Runs the README's embedding sample on loopback: a free multicast port, TTL 0, client port 0. */
class EmbeddedServerSampleTest {
  @Test
  void theReadmesServerStartsAndLeavesOnClose() throws Exception {
    int group;
    try (DatagramChannel probe = DatagramChannel.open()) {
      probe.bind(new InetSocketAddress(0));
      group = ((InetSocketAddress) probe.getLocalAddress()).getPort();
    }
    // A group of its own (from the port), so no other run's "server1" answers its discovery.
    UdpTransportConfig cluster = UdpTransportConfig.builder()
        .group("239.255." + ((group >> 8) & 0xFF) + "." + (group & 0xFF))
        .port(group)
        .build();
    ClusterKey key = ClusterKey.generate(new java.security.SecureRandom());
    TcpServerConfig clients =
        TcpServerConfig.builder().host("127.0.0.1").port(0).build();

    // start() throws if it does not come up; the second run on the same group would fail with
    // DuplicateNodeIdException if the first server1 were still answering discovery.
    assertThatCode(() -> EmbeddedServerSample.embed(cluster, key, clients))
        .doesNotThrowAnyException();
    assertThatCode(() -> EmbeddedServerSample.embed(cluster, key, clients))
        .doesNotThrowAnyException();
  }
}
