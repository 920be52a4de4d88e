package io.github.ringleader.messaging.sim;

import io.github.ringleader.messaging.client.ClientSession;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class DebugRoutingTest {
  @Test
  void debug() {
    for (int n : new int[] {3, 8, 16}) {
      SimulatedCluster cluster = SimulatedCluster.builder().seed(2)
          .linkConditions(LinkConditions.PERFECT.withLatency(Duration.ofMillis(1), Duration.ofMillis(5)).withLossRate(0.10)).build();
      for (int i = 1; i <= n; i++) cluster.start("server" + i);
      cluster.runUntil(cluster::hasSingleAgreedLeader, Duration.ofSeconds(20));
      List<SimulatedClient> clients = new ArrayList<>();
      for (int i = 1; i <= n; i++) clients.add(cluster.connect("client" + i, "server" + i));
      boolean ok = cluster.runUntil(() -> clients.stream().allMatch(c -> c.session().state() == ClientSession.State.JOINED), Duration.ofSeconds(30));
      System.out.println(n + " joined " + ok + " at " + cluster.scheduler().elapsed());
      if (!ok) for (var node : cluster.nodes()) System.out.println("  " + node.id() + " leader=" + node.leader() + " members=" + node.view().members().size() + " " + node.router().replica() + " " + node.router().sequencer());
    }
  }
}
