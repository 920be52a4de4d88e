package io.github.ringleader.messaging.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.ringleader.messaging.node.MessagingNode;
import io.github.ringleader.messaging.server.MessagingServer;
import io.github.ringleader.messaging.session.ClientSession;
import io.github.ringleader.messaging.sim.LinkConditions;
import io.github.ringleader.messaging.sim.SimulatedClient;
import io.github.ringleader.messaging.sim.SimulatedCluster;
import io.github.ringleader.messaging.transport.ClusterKey;
import io.github.ringleader.messaging.transport.tcp.TcpClientServer;
import io.github.ringleader.messaging.transport.tcp.TcpServerConfig;
import io.github.ringleader.messaging.transport.udp.UdpMulticastTransport;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The Micrometer binding reads the node's metrics as the cluster runs (in virtual time). */
class RingleaderMeterBinderTest {
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final SimulatedCluster cluster = SimulatedCluster.builder()
      .seed(21)
      .linkConditions(
          LinkConditions.PERFECT.withLatency(Duration.ofMillis(1), Duration.ofMillis(3)))
      .build();

  private double counter(String name) {
    return registry.get(name).tag("node", "server1").functionCounter().count();
  }

  private double gauge(String name) {
    return registry.get(name).tag("node", "server1").gauge().value();
  }

  @Test
  void metersFollowTheNodeAndCarryItsTags() {
    cluster.startAll("server1", "server2");
    new RingleaderMeterBinder(cluster.node("server1")).bindTo(registry);
    assertThat(cluster.runUntil(cluster::hasSingleAgreedLeader, Duration.ofSeconds(10)))
        .isTrue();

    assertThat(gauge("ringleader.members")).isEqualTo(2);
    assertThat(gauge("ringleader.leader")).isZero();
    assertThat(gauge("ringleader.leader.known")).isEqualTo(1);
    assertThat(counter("ringleader.messages.accepted")).isZero();

    SimulatedClient alice = cluster.connect("alice", "server1");
    cluster.runUntil(
        () -> alice.session().state() == ClientSession.State.JOINED, Duration.ofSeconds(5));
    for (int i = 0; i < 4; i++) {
      alice.session().send(null, "m" + i);
    }
    alice.session().send("nobody", "hello?");
    cluster.runFor(Duration.ofSeconds(2));

    assertThat(gauge("ringleader.clients")).isEqualTo(1);
    assertThat(counter("ringleader.messages.received")).isEqualTo(5);
    assertThat(counter("ringleader.messages.accepted")).isEqualTo(4);
    assertThat(counter("ringleader.messages.delivered")).isEqualTo(4);
    assertThat(registry
            .get("ringleader.refusals")
            .tags("node", "server1", "reason", "unknown_recipient")
            .functionCounter()
            .count())
        .isEqualTo(1);
    assertThat(
            registry.get("ringleader.messages.accept.latency").functionTimer().count())
        .isPositive();
    assertThat(registry
            .get("ringleader.messages.accept.latency")
            .functionTimer()
            .totalTime(TimeUnit.MILLISECONDS))
        .isPositive();
    assertThat(registry.get("ringleader.uptime").timeGauge().value(TimeUnit.SECONDS))
        .isPositive();

    cluster.crash("server2");
    cluster.runFor(Duration.ofSeconds(10));
    assertThat(counter("ringleader.members.failed")).isEqualTo(1);
    assertThat(gauge("ringleader.members")).isEqualTo(1);
    assertThat(gauge("ringleader.leader")).isEqualTo(1);
  }

  @Test
  void namesFollowMicrometersConventionsAndEveryMeterIsTagged() throws Exception {
    cluster.startAll("server1");
    UdpMulticastTransport udp = new UdpMulticastTransport(); // not started: its counters read 0
    try (TcpClientServer tcp = TcpClientServer.start(
        TcpServerConfig.builder().host("127.0.0.1").port(0).build(), cluster.node("server1"))) {
      new RingleaderMeterBinder(cluster.node("server1"))
          .clientServer(tcp)
          .transport(udp)
          .bindTo(registry);

      assertThat(registry.getMeters()).hasSizeGreaterThan(40);
      for (Meter meter : registry.getMeters()) {
        assertThat(meter.getId().getName()).matches("ringleader(\\.[a-z]+)+");
        assertThat(meter.getId().getName()).doesNotEndWith(".total");
        assertThat(meter.getId().getTag("node")).isEqualTo("server1");
        assertThat(meter.getId().getTag("cluster")).isEqualTo("ringleader");
      }
      assertThat(registry.get("ringleader.client.connections.open").gauge().value())
          .isZero();
      assertThat(registry
              .get("ringleader.cluster.datagrams.received")
              .functionCounter()
              .count())
          .isZero();
      assertThat(registry
              .get("ringleader.cluster.datagrams.rejected")
              .functionCounter()
              .count())
          .isZero();
      assertThat(registry
              .get("ringleader.client.connections.closed")
              .tag("reason", "slow_reader")
              .functionCounter()
              .count())
          .isZero();
    }
  }

  @Test
  void aStartedServersListenerAndTransportAreBoundWithItsNode() throws Exception {
    int group = io.github.ringleader.messaging.transport.udp.UdpTestSupport.freeUdpPort();
    try (MessagingServer server = MessagingServer.builder()
        .node(MessagingNode.builder()
            .nodeId("server1")
            .clusterName("meters-" + group)
            .heartbeatInterval(Duration.ofMillis(100))
            .discoveryWindow(Duration.ofMillis(100)))
        .cluster(io.github.ringleader.messaging.transport.udp.UdpTestSupport.testConfig(group)
            .build())
        .clients(TcpServerConfig.builder().host("127.0.0.1").port(0).build())
        .build()) {
      server.start();
      new RingleaderMeterBinder(server).bindTo(registry);

      assertThat(registry
              .get("ringleader.members")
              .tag("cluster", "meters-" + group)
              .gauge())
          .isNotNull();
      try (java.net.Socket client = new java.net.Socket("127.0.0.1", server.clientPort())) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (gauge("ringleader.client.connections.open") != 1
            || counter("ringleader.cluster.frames.sent") == 0) {
          assertThat(System.nanoTime() - deadline)
              .as("an open connection and a heartbeat sent, within 10 s")
              .isNegative();
          Thread.sleep(5);
        }
      }
      assertThat(counter("ringleader.client.connections.accepted")).isEqualTo(1);
    }
  }

  @Test
  void theUdpTransportCountsOnlyItsOwnDropsAndTheNodesRefusalsAreBoundByReason() {
    UdpMulticastTransport udp = new UdpMulticastTransport();

    // Malformed frames and key-check refusals are the node's to count; keys the transport also
    // reported would collide with the node's own in NodeMetrics.framesDropped.
    assertThat(udp.droppedFrames())
        .containsOnlyKeys(
            "unknown_destination", "outbound_dropped", "send_error", "receiver_failure")
        .allSatisfy((reason, count) -> {
          assertThat(reason).matches("[a-z0-9_]+");
          assertThat(count).isZero();
        });

    SimulatedCluster keyed = SimulatedCluster.builder().seed(22).build();
    byte[] key = new byte[ClusterKey.KEY_BYTES];
    java.util.Arrays.fill(key, (byte) 7);
    keyed.setClusterKey(ClusterKey.of(key));
    keyed.startAll("server1");
    new RingleaderMeterBinder(keyed.node("server1")).bindTo(registry);

    for (String reason : List.of("no_mac", "bad_mac", "replayed")) {
      assertThat(registry
              .get("ringleader.cluster.auth.failures")
              .tags("node", "server1", "reason", reason)
              .functionCounter()
              .count())
          .as(reason)
          .isZero();
    }
    for (String reason : List.of("malformed_bad_magic", "malformed_truncated", "oversized")) {
      assertThat(registry
              .get("ringleader.cluster.frames.dropped")
              .tags("node", "server1", "reason", reason)
              .functionCounter()
              .count())
          .as(reason)
          .isZero();
    }
  }
}
