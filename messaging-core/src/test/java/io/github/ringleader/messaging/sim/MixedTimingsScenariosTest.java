package io.github.ringleader.messaging.sim;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.ringleader.messaging.node.MemberInfo;
import io.github.ringleader.messaging.node.NodeId;
import io.github.ringleader.messaging.node.NodeListener;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A cluster where one server was started with another heartbeat interval than the rest (the
 * others have the default 2 s × 3). Before heartbeats announced their timings, such a cluster
 * failed and re-elected over and over: the others failed a slower server between two of its
 * heartbeats, or a faster one failed all the others between two of theirs. Now each member is
 * judged by the timings it announces.
 */
class MixedTimingsScenariosTest {

  private final List<String> failures = new ArrayList<>();
  private final List<String> leaderChanges = new ArrayList<>();

  private SimulatedCluster cluster(long oddIntervalMillis) {
    return SimulatedCluster.builder()
        .seed(13)
        .linkConditions(
            LinkConditions.PERFECT.withLatency(Duration.ofMillis(1), Duration.ofMillis(5)))
        .configure((id, node) -> {
          if (id.value().equals("server4")) {
            node.heartbeatInterval(Duration.ofMillis(oddIntervalMillis));
          }
          node.listener(new NodeListener() {
            @Override
            public void onMemberFailed(MemberInfo member) {
              failures.add(id + " failed " + member.id());
            }

            @Override
            public void onLeaderChanged(@Nullable NodeId leader, long term) {
              leaderChanges.add(id + "->" + leader);
            }
          });
        })
        .build();
  }

  @ParameterizedTest(name = "server4 heartbeats every {0} ms")
  @ValueSource(longs = {10_000, 500, 5_000, 19_000})
  void aServerWithAnotherHeartbeatIntervalIsNeitherFailedNorFailsTheOthers(long oddIntervalMillis) {
    SimulatedCluster cluster = cluster(oddIntervalMillis);
    cluster.startAll("server1", "server2", "server4");
    boolean agreed = cluster.runUntil(
        () -> cluster.hasSingleAgreedLeader()
            && cluster.nodes().stream().allMatch(n -> n.view().members().size() == 3),
        Duration.ofSeconds(60));
    assertThat(agreed).isTrue();
    assertThat(cluster.agreedLeader()).contains(NodeId.of("server4"));
    failures.clear();
    leaderChanges.clear();

    cluster.runFor(Duration.ofMinutes(3));

    assertThat(failures).as("members failed in 3 minutes").isEmpty();
    assertThat(leaderChanges).as("leader changes in 3 minutes").isEmpty();
    assertThat(cluster.agreedLeader()).contains(NodeId.of("server4"));
  }

  @ParameterizedTest(name = "server4 heartbeats every {0} ms")
  @ValueSource(longs = {10_000, 500})
  void aCrashedServerWithAnotherIntervalIsFailedAfterItsTimeout(long oddIntervalMillis) {
    SimulatedCluster cluster = cluster(oddIntervalMillis);
    cluster.startAll("server1", "server2", "server4");
    cluster.runUntil(
        () -> cluster.hasSingleAgreedLeader()
            && cluster.nodes().stream().allMatch(n -> n.view().members().size() == 3),
        Duration.ofSeconds(60));
    // server4 was last heard at most one of its intervals before the crash, so the others fail it
    // between its timeout less an interval and its timeout after the crash; its timeout is the one
    // it asks for (its interval × 3), never less than the others' own (2 s × 3).
    int sent = failures.size();
    Duration timeout = Duration.ofMillis(Math.max(oddIntervalMillis * 3, 6_000));

    cluster.crash("server4");
    boolean tooEarly =
        cluster.runUntil(() -> failures.size() > sent, timeout.minusMillis(oddIntervalMillis + 50));
    boolean inTime = cluster.runUntil(() -> failures.size() >= sent + 2, timeout.plusSeconds(1));

    assertThat(tooEarly).as("failed before its own timeout less one interval").isFalse();
    assertThat(inTime)
        .as("failed within its own timeout (%s) and a second", timeout)
        .isTrue();
    assertThat(failures.subList(sent, failures.size()))
        .containsExactlyInAnyOrder("server1 failed server4", "server2 failed server4");
  }
}
