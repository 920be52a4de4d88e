package io.github.ringleader.messaging.sim;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.ringleader.messaging.node.DuplicateNodeIdException;
import io.github.ringleader.messaging.node.NodeId;
import io.github.ringleader.messaging.node.NodeState;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

/**
 * The usage guide's scenarios, in virtual time with the default timings (heartbeat every 2 s,
 * failed after 3 missed).
 */
class UsageGuideScenariosTest {

  private static final Duration HEARTBEAT = Duration.ofSeconds(2);
  private static final Duration FAILURE_DETECTION = HEARTBEAT.multipliedBy(3);
  /** What an election may add on top of detection: a few ack timeouts on a healthy network. */
  private static final Duration ELECTION_BOUND = Duration.ofSeconds(1);

  private final SimulatedCluster cluster = SimulatedCluster.builder()
      .seed(7)
      .linkConditions(
          LinkConditions.PERFECT.withLatency(Duration.ofMillis(1), Duration.ofMillis(5)))
      .build();

  @Test
  void threeServersElectServer3AndEveryoneAgrees() {
    cluster.startAll("server1", "server2", "server3");

    boolean agreed = cluster.runUntil(cluster::hasSingleAgreedLeader, Duration.ofSeconds(10));

    assertThat(agreed).as("agreement within 10 s").isTrue();
    assertThat(cluster.agreedLeader()).contains(NodeId.of("server3"));
    for (var node : cluster.nodes()) {
      assertThat(node.view().members())
          .extracting(m -> m.id().value())
          .containsExactly("server1", "server2", "server3");
      assertThat(node.isLeader()).isEqualTo(node.id().value().equals("server3"));
    }
  }

  @Test
  void server2LeadsWithinDetectionTimePlusElectionBoundAfterServer3Crashes() {
    cluster.startAll("server1", "server2", "server3");
    cluster.runUntil(cluster::hasSingleAgreedLeader, Duration.ofSeconds(10));
    cluster.runFor(Duration.ofSeconds(5));

    long crashedAt = cluster.scheduler().nanoTime();
    cluster.crash("server3");
    boolean agreed = cluster.runUntil(
        () -> cluster.agreedLeader().map(id -> id.value().equals("server2")).orElse(false),
        FAILURE_DETECTION.plus(ELECTION_BOUND));

    assertThat(agreed)
        .as("server2 agreed on within detection time + election bound")
        .isTrue();
    Duration took = Duration.ofNanos(cluster.scheduler().nanoTime() - crashedAt);
    assertThat(took).isGreaterThanOrEqualTo(FAILURE_DETECTION.minus(HEARTBEAT));
    for (var node : cluster.nodes()) {
      assertThat(node.view().members())
          .extracting(m -> m.id().value())
          .containsExactly("server1", "server2");
    }
  }

  @Test
  void aServerThatJoinsLaterTakesOverWhenItHasTheHighestId() {
    cluster.startAll("server1", "server2");
    cluster.runUntil(cluster::hasSingleAgreedLeader, Duration.ofSeconds(10));
    assertThat(cluster.agreedLeader()).contains(NodeId.of("server2"));

    cluster.start("server10");
    boolean agreed = cluster.runUntil(cluster::hasSingleAgreedLeader, Duration.ofSeconds(10));

    assertThat(agreed).isTrue();
    assertThat(cluster.agreedLeader()).contains(NodeId.of("server10"));
  }

  @Test
  void aServerThatJoinsLaterWithALowerIdFollowsWithoutAnElection() {
    cluster.startAll("server2", "server3");
    cluster.runUntil(cluster::hasSingleAgreedLeader, Duration.ofSeconds(10));
    long termBefore = cluster.node("server3").view().term();

    cluster.start("server1");
    boolean agreed = cluster.runUntil(cluster::hasSingleAgreedLeader, Duration.ofSeconds(10));

    assertThat(agreed).isTrue();
    assertThat(cluster.agreedLeader()).contains(NodeId.of("server3"));
    assertThat(cluster.node("server1").view().term()).isEqualTo(termBefore);
  }

  @Test
  void aRestartedLeaderIsANewLifeAndLeadsAgain() {
    cluster.startAll("server1", "server2", "server3");
    cluster.runUntil(cluster::hasSingleAgreedLeader, Duration.ofSeconds(10));
    long oldIncarnation = cluster.node("server3").incarnation();

    cluster.crash("server3");
    cluster.runFor(Duration.ofMillis(500));
    cluster.start("server3");
    boolean agreed = cluster.runUntil(cluster::hasSingleAgreedLeader, Duration.ofSeconds(10));

    assertThat(agreed).isTrue();
    assertThat(cluster.agreedLeader()).contains(NodeId.of("server3"));
    assertThat(cluster.node("server3").incarnation()).isGreaterThan(oldIncarnation);
    assertThat(cluster.node("server1").view().member(NodeId.of("server3")))
        .hasValueSatisfying(
            m -> assertThat(m.incarnation()).isEqualTo(cluster.node("server3").incarnation()));
  }

  @Test
  void aSecondServerWithARunningIdRefusesToStart() {
    cluster.startAll("server1", "server2");
    cluster.runUntil(cluster::hasSingleAgreedLeader, Duration.ofSeconds(10));

    CompletableFuture<Void> duplicate = cluster.startDuplicate("server1");
    cluster.runFor(Duration.ofSeconds(5));

    assertThat(duplicate).isCompletedExceptionally();
    try {
      duplicate.get();
    } catch (ExecutionException e) {
      assertThat(e.getCause())
          .isInstanceOf(DuplicateNodeIdException.class)
          .hasMessageContaining("node id server1 is already in use in cluster 'ringleader'");
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    }
    assertThat(cluster.agreedLeader()).contains(NodeId.of("server2"));
    assertThat(cluster.node("server1").state()).isEqualTo(NodeState.RUNNING);
    assertThat(cluster.node("server2").view().members()).hasSize(2);
  }

  @Test
  void aCleanStopIsNoticedAtOnceWithoutWaitingForTheFailureDetector() {
    cluster.startAll("server1", "server2", "server3");
    cluster.runUntil(cluster::hasSingleAgreedLeader, Duration.ofSeconds(10));

    cluster.stop("server3");
    boolean agreed = cluster.runUntil(cluster::hasSingleAgreedLeader, Duration.ofSeconds(1));

    assertThat(agreed).as("re-elected within a second of a clean stop").isTrue();
    assertThat(cluster.agreedLeader()).contains(NodeId.of("server2"));
  }

  @Test
  void twoClustersSharingOneNetworkIgnoreEachOther() {
    SimulatedCluster shared = SimulatedCluster.builder()
        .seed(5)
        .configure((id, node) -> node.clusterName(id.value().equals("server3") ? "blue" : "green"))
        .build();
    shared.startAll("server1", "server2", "server3");
    shared.runFor(Duration.ofSeconds(10));

    assertThat(shared.agreedLeader(List.of(NodeId.of("server1"), NodeId.of("server2"))))
        .contains(NodeId.of("server2"));
    assertThat(shared.node("server3").isLeader()).isTrue();
    assertThat(shared.node("server3").view().members()).hasSize(1);
    assertThat(shared.node("server1").view().members())
        .extracting(m -> m.id().value())
        .containsExactly("server1", "server2");
    assertThat(shared.node("server3").foreignClusterMessages()).isPositive();
  }
}
