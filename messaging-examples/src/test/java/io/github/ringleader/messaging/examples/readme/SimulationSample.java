package io.github.ringleader.messaging.examples.readme;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.ringleader.messaging.node.NodeId;
import io.github.ringleader.messaging.session.ServerEvent;
import io.github.ringleader.messaging.sim.LinkConditions;
import io.github.ringleader.messaging.sim.SimulatedClient;
import io.github.ringleader.messaging.sim.SimulatedCluster;
import java.time.Duration;
import java.util.List;

/** README.md, "Testing your code in virtual time": compiled here, run by ReadmeCodeSamplesTest. */
final class SimulationSample {
  private SimulationSample() {}

  static void run() {
    // --- README: Testing your code in virtual time
    SimulatedCluster cluster = SimulatedCluster.builder()
        .seed(42)
        .linkConditions(LinkConditions.PERFECT
            .withLatency(Duration.ofMillis(1), Duration.ofMillis(20))
            .withLossRate(0.05))
        .build();
    cluster.startAll("server1", "server2", "server3");
    cluster.runUntil(cluster::hasSingleAgreedLeader, Duration.ofSeconds(30)); // virtual seconds
    assertThat(cluster.agreedLeader()).contains(NodeId.of("server3"));

    cluster.crash("server3"); // no goodbye, as with SIGKILL
    cluster.network().partition(List.of(List.of(NodeId.of("server1"))));
    cluster.network().heal();
    cluster.runFor(Duration.ofSeconds(10));
    // --- README: clients in the simulation
    SimulatedClient alice = cluster.connect("alice", "server1");
    SimulatedClient bob = cluster.connect("bob", "server2");
    cluster.runFor(Duration.ofSeconds(1));
    alice.session().send(null, "Hello everyone!"); // broadcast
    alice.session().send("bob", "Hi Bob"); // private
    cluster.runFor(Duration.ofSeconds(1));
    assertThat(bob.messages()) // in the cluster's order
        .extracting(ServerEvent.Message::text)
        .containsExactly("Hello everyone!", "Hi Bob");
    // --- end
  }
}
