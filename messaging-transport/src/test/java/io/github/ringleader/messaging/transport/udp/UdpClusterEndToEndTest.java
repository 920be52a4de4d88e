package io.github.ringleader.messaging.transport.udp;

import static io.github.ringleader.messaging.transport.udp.UdpTestSupport.await;
import static io.github.ringleader.messaging.transport.udp.UdpTestSupport.freeUdpPort;
import static io.github.ringleader.messaging.transport.udp.UdpTestSupport.testConfig;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.ringleader.messaging.node.DuplicateNodeIdException;
import io.github.ringleader.messaging.node.MessagingNode;
import io.github.ringleader.messaging.node.NodeId;
import io.github.ringleader.messaging.node.NodeState;
import io.github.ringleader.messaging.server.MessagingServer;
import io.github.ringleader.messaging.transport.tcp.TcpServerConfig;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Whole servers over real UDP: three {@link MessagingServer}s, each with its own {@link
 * UdpMulticastTransport} on one loopback group (TTL 0), with short timings: heartbeat every
 * 100 ms, failed after 3 missed, discovery window 200 ms. (Each also listens for clients on
 * 127.0.0.1, which these tests do not use.)
 */
class UdpClusterEndToEndTest {
  private static final Duration AGREEMENT = Duration.ofSeconds(10);

  private final List<MessagingServer> servers = new ArrayList<>();
  private int groupPort;

  @BeforeEach
  void pickPort() throws IOException {
    groupPort = freeUdpPort();
  }

  @AfterEach
  void closeEverything() {
    servers.forEach(MessagingServer::close);
  }

  /** Server {@code id}, not started. */
  private MessagingServer server(String id) {
    MessagingServer server = MessagingServer.builder()
        .node(MessagingNode.builder()
            .nodeId(id)
            .clusterName("udp-e2e")
            .heartbeatInterval(Duration.ofMillis(100))
            .missedHeartbeats(3)
            .discoveryWindow(Duration.ofMillis(200)))
        .cluster(testConfig(groupPort).build())
        .clients(TcpServerConfig.builder().host("127.0.0.1").port(0).build())
        .build();
    servers.add(server);
    return server;
  }

  /** Starts them all at once and waits until each runs. */
  private static void startAll(MessagingServer... servers) throws Exception {
    List<CompletableFuture<Void>> started = new ArrayList<>();
    for (MessagingServer server : servers) {
      started.add(server.startAsync());
    }
    for (CompletableFuture<Void> future : started) {
      future.get(5, TimeUnit.SECONDS);
    }
  }

  private static boolean allFollow(String leader, MessagingServer... servers) {
    for (MessagingServer server : servers) {
      if (!NodeId.of(leader).equals(server.node().leader())) {
        return false;
      }
    }
    return true;
  }

  private static String leaders(MessagingServer... servers) {
    StringBuilder text = new StringBuilder();
    for (MessagingServer server : servers) {
      text.append(server.node().id()).append("→").append(server.node().leader()).append(' ');
    }
    return text.toString().trim();
  }

  @Test
  void threeServersElectServer3AndServer2TakesOverWhenServer3Stops() throws Exception {
    MessagingServer server1 = server("server1");
    MessagingServer server2 = server("server2");
    MessagingServer server3 = server("server3");
    startAll(server1, server2, server3);

    await(
        AGREEMENT,
        () -> "all follow server3: " + leaders(server1, server2, server3),
        () -> allFollow("server3", server1, server2, server3));
    for (MessagingServer server : List.of(server1, server2, server3)) {
      assertThat(server.node().view().members())
          .extracting(m -> m.id().value())
          .containsExactly("server1", "server2", "server3");
    }

    server3.close();

    await(
        AGREEMENT,
        () -> "server1 and server2 follow server2: " + leaders(server1, server2),
        () -> allFollow("server2", server1, server2));
    assertThat(server1.node().view().members())
        .extracting(m -> m.id().value())
        .containsExactly("server1", "server2");
  }

  @Test
  void server2TakesOverWhenServer3FallsSilentWithoutLeaving() throws Exception {
    MessagingServer server1 = server("server1");
    MessagingServer server2 = server("server2");
    MessagingServer server3 = server("server3");
    startAll(server1, server2, server3);
    await(
        AGREEMENT,
        () -> "all follow server3: " + leaders(server1, server2, server3),
        () -> allFollow("server3", server1, server2, server3));

    server3.terminate(); // a crash as the others see it: no Leave, just silence

    await(
        AGREEMENT,
        () -> "the failure detector notices and server2 leads: " + leaders(server1, server2),
        () -> allFollow("server2", server1, server2));
  }

  @Test
  void aSecondServerWithARunningServersIdRefusesToStart() throws Exception {
    MessagingServer first = server("server1");
    startAll(first);
    // A lone server elects itself a moment after it joins (the election settles for one ack
    // timeout first).
    await(AGREEMENT, () -> "server1 leads: " + leaders(first), () -> allFollow("server1", first));

    MessagingServer impostor = server("server1");

    assertThatThrownBy(impostor::start).isInstanceOf(DuplicateNodeIdException.class);
    assertThat(first.node().state()).isEqualTo(NodeState.RUNNING);
    assertThat(first.node().leader()).isEqualTo(NodeId.of("server1"));
  }
}
