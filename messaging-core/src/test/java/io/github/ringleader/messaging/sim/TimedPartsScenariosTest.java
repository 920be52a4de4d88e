package io.github.ringleader.messaging.sim;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.ringleader.messaging.node.MemberInfo;
import io.github.ringleader.messaging.node.NodeId;
import io.github.ringleader.messaging.node.NodeListener;
import io.github.ringleader.messaging.session.ClientSession;
import io.github.ringleader.messaging.session.ServerEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A node's timed parts wake it at their own deadlines: the rebalancer's check comes exactly when
 * it is due, not at whichever event or heartbeat wake-up happens to follow.
 */
class TimedPartsScenariosTest {
  private static final Duration HEARTBEAT = Duration.ofMillis(200);
  /** The client links' one-way latency (the simulation's default). */
  private static final long CLIENT_LATENCY_NANOS = Duration.ofMillis(1).toNanos();

  private final SimulatedCluster cluster = SimulatedCluster.builder()
      .seed(23)
      .linkConditions(
          LinkConditions.PERFECT.withLatency(Duration.ofMillis(1), Duration.ofMillis(5)))
      .configure((id, node) -> node.heartbeatInterval(HEARTBEAT)
          .clientPort(5000 + id.value().charAt(id.value().length() - 1) - '0'))
      .build();

  @Test
  void aBusyServerAsksAClientToMoveExactlyFiveIntervalsAfterAServerJoined() {
    cluster.startAll("server1");
    assertThat(cluster.runUntil(cluster::hasSingleAgreedLeader, Duration.ofSeconds(10)))
        .isTrue();
    List<SimulatedClient> clients = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      clients.add(cluster.connect("c" + i, "server1"));
    }
    assertThat(cluster.runUntil(
            () -> clients.stream().allMatch(c -> c.session().state() == ClientSession.State.JOINED),
            Duration.ofSeconds(2)))
        .isTrue();
    // Clients that joined within the last 10 intervals are never asked to move.
    cluster.runFor(HEARTBEAT.multipliedBy(12));
    long[] joinedAt = {-1};
    cluster.node("server1").addListener(new NodeListener() {
      @Override
      public void onMemberJoined(MemberInfo member) {
        if (member.id().equals(NodeId.of("server2"))) {
          joinedAt[0] = cluster.scheduler().nanoTime();
        }
      }
    });

    cluster.start("server2");
    boolean asked = cluster.runUntil(
        () -> clients.stream()
            .anyMatch(c -> c.events().stream().anyMatch(e -> e instanceof ServerEvent.Goodbye)),
        Duration.ofSeconds(5));

    assertThat(asked).as("a client was asked to move").isTrue();
    assertThat(joinedAt[0]).isNotNegative();
    assertThat(cluster.scheduler().nanoTime() - joinedAt[0])
        .as("the settling wait of 5 intervals, then the client link's latency")
        .isEqualTo(5 * HEARTBEAT.toNanos() + CLIENT_LATENCY_NANOS);
  }
}
