package io.github.ringleader.messaging.sim;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.ringleader.messaging.node.NodeId;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Measures, in simulation, what an election costs: election datagrams (tokens, acknowledgements,
 * announcements) and virtual time until every server agrees, for 3 to 64 servers and different
 * start orders. Writes the table to {@code target/election-cost.md} (copied into
 * docs/election-and-failure-detection.md) and checks the message counts against the bounds the
 * algorithm promises. Links: 1 ms latency, no loss; default timings.
 */
class ElectionCostReportTest {

  private static final int[] SIZES = {3, 8, 16, 32, 64};
  private static final int RANDOM_ORDERS = 10;

  /** Tokens, acknowledgements, announcements sent, and virtual time taken. */
  record Cost(long tokens, long acks, long announcements, Duration time) {
    Cost plus(Cost other) {
      return new Cost(
          tokens + other.tokens,
          acks + other.acks,
          announcements + other.announcements,
          time.plus(other.time));
    }
  }

  @Test
  void electionCostStaysWithinTheRingBoundsAndIsReported() throws IOException {
    StringBuilder table = new StringBuilder();
    table.append("| servers | start | tokens | acks | announcements | time to agreement |\n");
    table.append("|---:|---|---:|---:|---:|---:|\n");
    for (int n : SIZES) {
      Cost together = allAtOnce(n);
      // All initiate at once: each smaller candidate dies at the first hop (its successor is
      // higher and has already sent its own id), and the highest id's token makes one lap.
      assertThat(together.tokens)
          .as("tokens, %d servers starting together", n)
          .isLessThanOrEqualTo(2L * n - 1);
      row(table, n, "all at once", together);

      Cost best = oneByOne(ids(n, false));
      // Highest first: it leads alone, and every later server is lower and just follows.
      assertThat(best.tokens).as("tokens, %d servers highest first", n).isZero();
      row(table, n, "one by one, highest first (best)", best);

      Cost worst = oneByOne(ids(n, true));
      // Lowest first: each newcomer k outranks the leader and its token makes one lap of k.
      assertThat(worst.tokens)
          .as("tokens, %d servers lowest first", n)
          .isLessThanOrEqualTo((long) n * (n + 1) / 2);
      row(table, n, "one by one, lowest first (worst)", worst);

      Cost sum = new Cost(0, 0, 0, Duration.ZERO);
      Random random = new Random(n);
      for (int i = 0; i < RANDOM_ORDERS; i++) {
        List<String> order = ids(n, true);
        Collections.shuffle(order, random);
        sum = sum.plus(oneByOne(order));
      }
      row(
          table,
          n,
          "one by one, random order (mean of " + RANDOM_ORDERS + ")",
          new Cost(
              sum.tokens / RANDOM_ORDERS,
              sum.acks / RANDOM_ORDERS,
              sum.announcements / RANDOM_ORDERS,
              sum.time.dividedBy(RANDOM_ORDERS)));

      Cost crash = leaderCrash(n);
      // Every survivor detects the crash and may initiate; as when all start at once, the
      // survivors' highest id makes one lap and the rest die at the first hop.
      assertThat(crash.tokens)
          .as("tokens, %d servers after a leader crash", n)
          .isLessThanOrEqualTo(2L * n);
      row(table, n, "leader crashes", crash);
    }
    Path out = Path.of("target", "election-cost.md");
    Files.createDirectories(out.getParent());
    Files.writeString(out, table.toString());
    System.out.println(table);
  }

  private static void row(StringBuilder table, int n, String start, Cost cost) {
    table.append(String.format(
        "| %d | %s | %d | %d | %d | %s |%n",
        n, start, cost.tokens, cost.acks, cost.announcements, format(cost.time)));
  }

  private static String format(Duration time) {
    return time.toMillis() >= 10_000 ? time.toMillis() / 1000 + " s" : time.toMillis() + " ms";
  }

  private static List<String> ids(int n, boolean ascending) {
    List<String> ids = new ArrayList<>();
    for (int i = 1; i <= n; i++) {
      ids.add("server" + i);
    }
    if (!ascending) {
      Collections.reverse(ids);
    }
    return ids;
  }

  private static SimulatedCluster cluster() {
    return SimulatedCluster.builder().seed(1).build();
  }

  private static Cost costSince(SimulatedCluster cluster, long startNanos) {
    Map<String, SimulatedNetwork.Counts> stats = cluster.network().stats();
    return new Cost(
        sent(stats, "Election"),
        sent(stats, "ElectionAck"),
        sent(stats, "LeaderAnnouncement"),
        Duration.ofNanos(cluster.scheduler().nanoTime() - startNanos));
  }

  private static long sent(Map<String, SimulatedNetwork.Counts> stats, String type) {
    SimulatedNetwork.Counts counts = stats.get(type);
    return counts == null ? 0 : counts.sent();
  }

  private static void awaitAgreement(SimulatedCluster cluster, String what) {
    boolean agreed = cluster.runUntil(cluster::hasSingleAgreedLeader, Duration.ofSeconds(60));
    assertThat(agreed).as("agreement: %s", what).isTrue();
  }

  private static Cost allAtOnce(int n) {
    SimulatedCluster cluster = cluster();
    long start = cluster.scheduler().nanoTime();
    cluster.startAll(ids(n, true).toArray(String[]::new));
    awaitAgreement(cluster, n + " servers starting together");
    return costSince(cluster, start);
  }

  /** Starts the servers in {@code order}, each once the previous ones agree. */
  private static Cost oneByOne(List<String> order) {
    SimulatedCluster cluster = cluster();
    long start = cluster.scheduler().nanoTime();
    for (String id : order) {
      cluster.start(id);
      awaitAgreement(cluster, "after starting " + id);
    }
    Cost total = costSince(cluster, start);
    // Report the mean time from one server's start to agreement.
    return new Cost(
        total.tokens, total.acks, total.announcements, total.time.dividedBy(order.size()));
  }

  private static Cost leaderCrash(int n) {
    SimulatedCluster cluster = cluster();
    cluster.startAll(ids(n, true).toArray(String[]::new));
    awaitAgreement(cluster, n + " servers starting together");
    cluster.runFor(Duration.ofSeconds(3));
    cluster.network().resetStats();
    long crashedAt = cluster.scheduler().nanoTime();
    cluster.crash("server" + n);
    awaitAgreement(cluster, "after server" + n + " crashed");
    assertThat(cluster.agreedLeader()).contains(NodeId.of("server" + (n - 1)));
    return costSince(cluster, crashedAt);
  }
}
