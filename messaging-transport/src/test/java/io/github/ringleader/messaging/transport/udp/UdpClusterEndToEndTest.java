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
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Whole servers over real UDP: three {@link MessagingNode}s, each with its own {@link
 * UdpMulticastTransport} on one loopback group (TTL 0), with short timings: heartbeat every
 * 100 ms, failed after 3 missed, discovery window 200 ms.
 */
class UdpClusterEndToEndTest {
  private static final Duration AGREEMENT = Duration.ofSeconds(10);

  private final List<MessagingNode> nodes = new ArrayList<>();
  private final List<UdpMulticastTransport> transports = new ArrayList<>();
  private int groupPort;

  @BeforeEach
  void pickPort() throws IOException {
    groupPort = freeUdpPort();
  }

  @AfterEach
  void closeEverything() {
    for (MessagingNode node : nodes) {
      // A node that is already stopped or failed has closed its loop, and MessagingNode.close()
      // then waits a full second for a loop that will never answer; skip those.
      if (node.state() != NodeState.STOPPED && node.state() != NodeState.FAILED) {
        node.close();
      }
    }
    transports.forEach(UdpMulticastTransport::close);
  }

  private MessagingNode node(String id) {
    UdpMulticastTransport transport =
        new UdpMulticastTransport(testConfig(groupPort).build());
    transports.add(transport);
    MessagingNode node = MessagingNode.builder()
        .nodeId(id)
        .clusterName("udp-e2e")
        .transport(transport)
        .heartbeatInterval(Duration.ofMillis(100))
        .missedHeartbeats(3)
        .discoveryWindow(Duration.ofMillis(200))
        .build();
    nodes.add(node);
    return node;
  }

  private static void startAll(MessagingNode... servers) throws Exception {
    List<CompletableFuture<Void>> started = new ArrayList<>();
    for (MessagingNode server : servers) {
      started.add(server.start());
    }
    for (CompletableFuture<Void> future : started) {
      future.get(5, TimeUnit.SECONDS);
    }
  }

  private static boolean allFollow(String leader, MessagingNode... servers) {
    for (MessagingNode server : servers) {
      if (!NodeId.of(leader).equals(server.leader())) {
        return false;
      }
    }
    return true;
  }

  private static String leaders(MessagingNode... servers) {
    StringBuilder text = new StringBuilder();
    for (MessagingNode server : servers) {
      text.append(server.id()).append("→").append(server.leader()).append(' ');
    }
    return text.toString().trim();
  }

  @Test
  void threeServersElectServer3AndServer2TakesOverWhenServer3Stops() throws Exception {
    MessagingNode server1 = node("server1");
    MessagingNode server2 = node("server2");
    MessagingNode server3 = node("server3");
    startAll(server1, server2, server3);

    await(
        AGREEMENT,
        () -> "all follow server3: " + leaders(server1, server2, server3),
        () -> allFollow("server3", server1, server2, server3));
    for (MessagingNode server : List.of(server1, server2, server3)) {
      assertThat(server.view().members())
          .extracting(m -> m.id().value())
          .containsExactly("server1", "server2", "server3");
    }

    server3.close();

    await(
        AGREEMENT,
        () -> "server1 and server2 follow server2: " + leaders(server1, server2),
        () -> allFollow("server2", server1, server2));
    assertThat(server1.view().members())
        .extracting(m -> m.id().value())
        .containsExactly("server1", "server2");
  }

  @Test
  void server2TakesOverWhenServer3FallsSilentWithoutLeaving() throws Exception {
    MessagingNode server1 = node("server1");
    MessagingNode server2 = node("server2");
    MessagingNode server3 = node("server3");
    startAll(server1, server2, server3);
    await(
        AGREEMENT,
        () -> "all follow server3: " + leaders(server1, server2, server3),
        () -> allFollow("server3", server1, server2, server3));

    transports.get(2).close(); // a crash as the others see it: no Leave, just silence

    await(
        AGREEMENT,
        () -> "the failure detector notices and server2 leads: " + leaders(server1, server2),
        () -> allFollow("server2", server1, server2));
  }

  @Test
  void aSecondServerWithARunningServersIdRefusesToStart() throws Exception {
    MessagingNode first = node("server1");
    startAll(first);
    // A lone server elects itself a moment after it joins (the election settles for one ack
    // timeout first).
    await(AGREEMENT, () -> "server1 leads: " + leaders(first), () -> allFollow("server1", first));

    MessagingNode impostor = node("server1");
    CompletableFuture<Void> started = impostor.start();

    assertThatThrownBy(() -> started.get(5, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .hasCauseInstanceOf(DuplicateNodeIdException.class);
    assertThat(first.state()).isEqualTo(NodeState.RUNNING);
    assertThat(first.leader()).isEqualTo(NodeId.of("server1"));
  }
}
