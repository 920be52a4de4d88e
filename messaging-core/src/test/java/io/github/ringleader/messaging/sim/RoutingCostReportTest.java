package io.github.ringleader.messaging.sim;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.ringleader.messaging.node.MessagingNode;
import io.github.ringleader.messaging.node.NodeInternals;
import io.github.ringleader.messaging.routing.Sequencer;
import io.github.ringleader.messaging.session.ClientSession;
import io.github.ringleader.messaging.session.ServerEvent;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Measures routing in simulation and writes {@code target/routing-cost.md} (quoted in
 * docs/delivery.md): cluster datagrams per client message, the latency routing adds in cluster
 * round trips, and the buffers needed under 10 % loss. Checks the counts against what the protocol
 * promises; no wall-clock timing is asserted.
 */
class RoutingCostReportTest {
  private static final int[] SIZES = {3, 8, 16};
  private static final int MESSAGES = 200;
  /** One-way latency of every cluster link: one hop. */
  private static final Duration HOP = Duration.ofMillis(1);

  private static final Duration CLIENT_LINK = Duration.ofMillis(1);

  private static SimulatedCluster cluster(int n, LinkConditions links, long seed) {
    SimulatedCluster cluster =
        SimulatedCluster.builder().seed(seed).linkConditions(links).build();
    for (int i = 1; i <= n; i++) {
      cluster.start("server" + i);
    }
    assertThat(cluster.runUntil(cluster::hasSingleAgreedLeader, Duration.ofSeconds(20)))
        .isTrue();
    cluster.setClientLatency(CLIENT_LINK);
    return cluster;
  }

  private static List<SimulatedClient> oneClientPerServer(
      SimulatedCluster cluster, int n, Map<String, Long> arrivals) {
    List<SimulatedClient> clients = new ArrayList<>();
    for (int i = 1; i <= n; i++) {
      String name = "client" + i;
      clients.add(cluster.connect(name, "server" + i, new ClientSession.Listener() {
        @Override
        public void onMessage(ServerEvent.Message message) {
          arrivals.putIfAbsent(name + "<" + message.text(), cluster.scheduler().nanoTime());
        }
      }));
    }
    assertThat(cluster.runUntil(
            () -> clients.stream().allMatch(c -> c.session().state() == ClientSession.State.JOINED),
            Duration.ofSeconds(10)))
        .isTrue();
    cluster.runFor(Duration.ofSeconds(3)); // let the joins' epoch settle
    return clients;
  }

  record Cost(double perMessage, Map<String, Double> byType, double meanRoundTrips) {}

  /** Sends MESSAGES from server1's client (not the leader: the leader is the highest id). */
  private static Cost measure(int n, boolean broadcast) {
    SimulatedCluster cluster = cluster(n, LinkConditions.PERFECT.withLatency(HOP, HOP), 1);
    Map<String, Long> arrivals = new HashMap<>();
    List<SimulatedClient> clients = oneClientPerServer(cluster, n, arrivals);
    cluster.network().resetStats();
    Map<String, Long> sentAt = new HashMap<>();
    SimulatedClient sender = clients.get(0);
    String recipient = "client2";
    for (int i = 0; i < MESSAGES; i++) {
      String text = "m" + i;
      sentAt.put(text, cluster.scheduler().nanoTime());
      sender.session().send(broadcast ? null : recipient, text);
      cluster.runFor(Duration.ofMillis(50));
    }
    cluster.runFor(Duration.ofSeconds(2));
    Map<String, Double> byType = new HashMap<>();
    long total = 0;
    for (Map.Entry<String, SimulatedNetwork.Counts> e :
        cluster.network().stats().entrySet()) {
      if (e.getKey().equals("Heartbeat")) {
        continue;
      }
      byType.put(e.getKey(), e.getValue().sent() / (double) MESSAGES);
      total += e.getValue().sent();
    }
    // Latency at client2: cluster part only (subtract the two client links), in round trips.
    double trips = 0;
    for (int i = 0; i < MESSAGES; i++) {
      String text = "m" + i;
      long at = arrivals.getOrDefault(recipient + "<" + text, -1L);
      assertThat(at).as("%s reached %s", text, recipient).isNotNegative();
      long clusterNanos = at - sentAt.getOrDefault(text, 0L) - 2 * CLIENT_LINK.toNanos();
      trips += clusterNanos / (2.0 * HOP.toNanos());
    }
    return new Cost(total / (double) MESSAGES, byType, trips / MESSAGES);
  }

  record Buffers(int sequencerLog, int replicaBuffer, long delivered) {}

  /** Every client sends about 10 broadcasts a second for 2 s over links losing 10 %. */
  private static Buffers buffersUnderLoss(int n) {
    SimulatedCluster cluster = cluster(
        n, LinkConditions.PERFECT.withLatency(HOP, Duration.ofMillis(5)).withLossRate(0.10), 2);
    Map<String, Long> arrivals = new HashMap<>();
    List<SimulatedClient> clients = oneClientPerServer(cluster, n, arrivals);
    int[] maxLog = {0};
    int[] maxBuffer = {0};
    cluster.scheduler().afterEachEvent(() -> {
      for (MessagingNode node : cluster.nodes()) {
        Sequencer sequencer = NodeInternals.router(node).sequencer();
        if (sequencer != null) {
          maxLog[0] = Math.max(maxLog[0], sequencer.logSize());
        }
        maxBuffer[0] =
            Math.max(maxBuffer[0], NodeInternals.router(node).replica().buffered());
      }
    });
    Random random = new Random(n);
    int sent = 0;
    for (int tick = 0; tick < 200; tick++) {
      for (SimulatedClient client : clients) {
        if (client.session().state() == ClientSession.State.JOINED && random.nextInt(10) == 0) {
          client.session().send(null, "x" + sent++);
        }
      }
      cluster.runFor(Duration.ofMillis(10));
    }
    cluster.runFor(Duration.ofSeconds(5));
    return new Buffers(maxLog[0], maxBuffer[0], arrivals.size());
  }

  @Test
  void routingCostStaysWithinWhatTheProtocolPromisesAndIsReported() throws IOException {
    StringBuilder table = new StringBuilder();
    table.append(
        "| servers | message | datagrams per message | of which | added latency (cluster round trips) |\n");
    table.append("|---:|---|---:|---|---:|\n");
    for (int n : SIZES) {
      for (boolean broadcast : new boolean[] {true, false}) {
        Cost cost = measure(n, broadcast);
        // One forward, one multicast of the entry, each member acknowledges receipt and delivery,
        // and the leader multicasts the new stable point: about 2n + 3 datagrams.
        assertThat(cost.perMessage())
            .as("datagrams per message, %d servers", n)
            .isLessThanOrEqualTo(2.0 * n + 4);
        // Forward, sequence, acknowledge, announce stability: two round trips on the cluster.
        assertThat(cost.meanRoundTrips()).as("round trips, %d servers", n).isLessThanOrEqualTo(2.5);
        StringBuilder parts = new StringBuilder();
        cost.byType().entrySet().stream()
            .sorted(Map.Entry.comparingByKey())
            .forEach(e -> parts.append(String.format("%s %.2f; ", e.getKey(), e.getValue())));
        table.append(String.format(
            "| %d | %s | %.2f | %s | %.2f |%n",
            n,
            broadcast ? "broadcast" : "private",
            cost.perMessage(),
            parts.toString().trim(),
            cost.meanRoundTrips()));
      }
    }
    table.append(
        "\n| servers | most entries held by the sequencer | most entries buffered by a replica | deliveries to clients |\n");
    table.append("|---:|---:|---:|---:|\n");
    for (int n : SIZES) {
      Buffers buffers = buffersUnderLoss(n);
      assertThat(buffers.sequencerLog()).isLessThanOrEqualTo(1024);
      table.append(String.format(
          "| %d | %d | %d | %d |%n",
          n, buffers.sequencerLog(), buffers.replicaBuffer(), buffers.delivered()));
    }
    Path out = Path.of("target", "routing-cost.md");
    Files.createDirectories(out.getParent());
    Files.writeString(out, table.toString());
    System.out.println(table);
  }
}
