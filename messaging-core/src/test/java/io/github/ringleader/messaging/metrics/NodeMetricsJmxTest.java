package io.github.ringleader.messaging.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.ringleader.messaging.node.NodeId;
import io.github.ringleader.messaging.sim.LinkConditions;
import io.github.ringleader.messaging.sim.SimulatedCluster;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import javax.management.openmbean.TabularData;
import org.junit.jupiter.api.Test;

/** A node built with {@code jmx(true)} shows its metrics as an MXBean while it runs. */
class NodeMetricsJmxTest {
  private static final String CLUSTER = "jmx-test";

  private final MBeanServer server = ManagementFactory.getPlatformMBeanServer();
  private final SimulatedCluster cluster = SimulatedCluster.builder()
      .seed(5)
      .linkConditions(
          LinkConditions.PERFECT.withLatency(Duration.ofMillis(1), Duration.ofMillis(2)))
      .configure((id, node) -> node.clusterName(CLUSTER).jmx(true))
      .build();

  @Test
  void theBeanIsRegisteredWhileTheNodeRunsAndReadsItsMetrics() throws Exception {
    ObjectName name = NodeMetricsJmx.objectName(CLUSTER, NodeId.of("server2"));
    assertThat(name.toString())
        .isEqualTo("io.github.ringleader:type=MessagingNode,cluster=jmx-test,name=server2");
    assertThat(server.isRegistered(name)).isFalse();

    cluster.startAll("server1", "server2");
    assertThat(cluster.runUntil(cluster::hasSingleAgreedLeader, Duration.ofSeconds(10)))
        .isTrue();

    assertThat(server.isRegistered(name)).isTrue();
    assertThat(server.getAttribute(name, "NodeId")).isEqualTo("server2");
    assertThat(server.getAttribute(name, "Leader")).isEqualTo("server2");
    assertThat(server.getAttribute(name, "Leading")).isEqualTo(true);
    assertThat((Long) server.getAttribute(name, "Term")).isPositive();
    assertThat(server.getAttribute(name, "State")).isEqualTo("RUNNING");
    assertThat((Long) server.getAttribute(name, "MembersJoined")).isEqualTo(1L);
    assertThat((String[]) server.getAttribute(name, "Members"))
        .containsExactly("server1", "server2");
    assertThat(((TabularData) server.getAttribute(name, "Refusals")).size())
        .as("one row per reason")
        .isEqualTo(io.github.ringleader.messaging.session.ServerEvent.Reason.values().length);
    assertThat(server.getMBeanInfo(name).getOperations()).as("read-only").isEmpty();

    cluster.stop("server2");
    assertThat(server.isRegistered(name)).as("unregistered when the node stops").isFalse();
    cluster.stop("server1");
  }

  @Test
  void aTerminatedNodesBeanIsUnregisteredToo() {
    ObjectName name = NodeMetricsJmx.objectName(CLUSTER, NodeId.of("server1"));
    cluster.startAll("server1", "server2");
    assertThat(cluster.runUntil(cluster::hasSingleAgreedLeader, Duration.ofSeconds(10)))
        .isTrue();
    assertThat(server.isRegistered(name)).isTrue();

    cluster.crash("server1"); // its loop is gone first, as in MessagingServer.terminate()

    assertThat(server.isRegistered(name)).as("unregistered by terminate()").isFalse();
    cluster.stop("server2");
  }
}
