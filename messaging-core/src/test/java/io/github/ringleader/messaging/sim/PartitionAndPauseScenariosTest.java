package io.github.ringleader.messaging.sim;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.ringleader.messaging.node.MessagingNode;
import io.github.ringleader.messaging.node.NodeId;
import io.github.ringleader.messaging.node.NodeListener;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/** Partitions that heal and servers that freeze and come back, in virtual time. */
class PartitionAndPauseScenariosTest {

  private final List<String> leaderChanges = new ArrayList<>();

  private final SimulatedCluster cluster = SimulatedCluster.builder()
      .seed(11)
      .linkConditions(
          LinkConditions.PERFECT.withLatency(Duration.ofMillis(1), Duration.ofMillis(5)))
      .configure((id, node) -> node.listener(new NodeListener() {
        @Override
        public void onLeaderChanged(@Nullable NodeId leader, long term) {
          leaderChanges.add(id + "->" + leader);
        }
      }))
      .build();

  private static List<NodeId> ids(String... ids) {
    List<NodeId> list = new ArrayList<>();
    for (String id : ids) {
      list.add(NodeId.of(id));
    }
    return list;
  }

  private Set<String> leaders() {
    return cluster.nodes().stream()
        .filter(MessagingNode::isLeader)
        .map(n -> n.id().value())
        .collect(Collectors.toSet());
  }

  @Test
  void eachSideOfAPartitionElectsItsOwnHighestIdAndTheyBecomeOneWhenItHeals() {
    cluster.startAll("server1", "server2", "server3", "server4", "server5");
    cluster.runUntil(cluster::hasSingleAgreedLeader, Duration.ofSeconds(10));

    List<NodeId> sideA = ids("server1", "server5");
    List<NodeId> sideB = ids("server2", "server3", "server4");
    cluster.network().partition(List.of(sideA, sideB));
    boolean split = cluster.runUntil(
        () -> cluster.agreedLeader(sideA).isPresent()
            && cluster.agreedLeader(sideB).isPresent()
            && cluster.node("server5").view().members().size() == 2,
        Duration.ofSeconds(15));

    assertThat(split).isTrue();
    assertThat(cluster.agreedLeader(sideA)).contains(NodeId.of("server5"));
    assertThat(cluster.agreedLeader(sideB)).contains(NodeId.of("server4"));
    assertThat(leaders()).containsExactlyInAnyOrder("server4", "server5");

    cluster.network().heal();
    boolean merged = cluster.runUntil(cluster::hasSingleAgreedLeader, Duration.ofSeconds(10));

    assertThat(merged).as("one leader within 10 s of the heal").isTrue();
    assertThat(cluster.agreedLeader()).contains(NodeId.of("server5"));
    assertThat(leaders()).containsExactly("server5");
  }

  @Test
  void aLeaderFrozenLongerThanTheFailureTimeoutDoesNotLingerAsASecondLeader() {
    cluster.startAll("server1", "server2", "server3");
    cluster.runUntil(cluster::hasSingleAgreedLeader, Duration.ofSeconds(10));

    cluster.pause("server3", Duration.ofSeconds(10));
    boolean failedOver = cluster.runUntil(
        () -> cluster.agreedLeader(ids("server1", "server2")).isPresent(), Duration.ofSeconds(9));
    assertThat(failedOver).isTrue();
    assertThat(cluster.agreedLeader(ids("server1", "server2"))).contains(NodeId.of("server2"));

    cluster.runFor(Duration.ofSeconds(1)); // server3 wakes up believing it still leads
    boolean agreed = cluster.runUntil(cluster::hasSingleAgreedLeader, Duration.ofSeconds(5));

    assertThat(agreed).as("one leader within 5 s of waking").isTrue();
    assertThat(cluster.agreedLeader()).contains(NodeId.of("server3"));
    leaderChanges.clear();
    cluster.runFor(Duration.ofSeconds(60));
    assertThat(leaderChanges).as("leader changes in the minute after agreement").isEmpty();
    assertThat(leaders()).containsExactly("server3");
  }

  @Test
  void aFollowerFrozenLongerThanTheFailureTimeoutRejoinsWithoutAnElection() {
    cluster.startAll("server1", "server2", "server3");
    cluster.runUntil(cluster::hasSingleAgreedLeader, Duration.ofSeconds(10));
    long term = cluster.node("server3").view().term();

    cluster.pause("server1", Duration.ofSeconds(10));
    boolean dropped = cluster.runUntil(
        () -> cluster.node("server3").view().member(NodeId.of("server1")).isEmpty(),
        Duration.ofSeconds(9));
    assertThat(dropped).as("server1 failed in server3's view").isTrue();
    leaderChanges.clear();

    boolean rejoined = cluster.runUntil(
        () -> cluster.hasSingleAgreedLeader()
            && cluster.node("server3").view().members().size() == 3
            && cluster.node("server1").view().members().size() == 3,
        Duration.ofSeconds(10));

    assertThat(rejoined).isTrue();
    assertThat(cluster.agreedLeader()).contains(NodeId.of("server3"));
    assertThat(cluster.node("server3").view().term()).isEqualTo(term);
    assertThat(leaderChanges)
        .filteredOn(change -> !change.startsWith("server1"))
        .isEmpty();
    leaderChanges.clear();
    cluster.runFor(Duration.ofSeconds(60));
    assertThat(leaderChanges).isEmpty();
  }
}
