package io.github.ringleader.messaging.node;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class RebalancerTest {
  private static final long INTERVAL = 100;
  private static final long SETTLED = Rebalancer.SETTLE_INTERVALS * INTERVAL;
  private static final NodeId ME = NodeId.of("server1");

  private final Rebalancer rebalancer = new Rebalancer(INTERVAL);

  private static MemberInfo member(String id, int clients, int capacity) {
    return new MemberInfo(NodeId.of(id), 1, 5000, clients, capacity);
  }

  private static List<MemberInfo> cluster(int mine, int second, int third) {
    return List.of(
        member("server1", mine, 100),
        member("server2", second, 100),
        member("server3", third, 100));
  }

  @Test
  void nothingMovesUntilTheMembershipHasBeenSteadyForFiveIntervals() {
    rebalancer.membershipChanged(0);
    assertThat(rebalancer.due(SETTLED - 1)).isFalse();
    assertThat(rebalancer.check(SETTLED - 1, ME, cluster(10, 0, 0), 10, 100)).isNull();
    assertThat(rebalancer.due(SETTLED)).isTrue();
    assertThat(rebalancer.check(SETTLED, ME, cluster(10, 0, 0), 10, 100))
        .isEqualTo(NodeId.of("server2"));
  }

  @Test
  void aMembershipChangeStartsTheWaitAgain() {
    rebalancer.membershipChanged(0);
    List<MemberInfo> two = List.of(member("server1", 10, 100), member("server2", 0, 100));
    rebalancer.membershipChanged(SETTLED);
    assertThat(rebalancer.check(SETTLED, ME, two, 10, 100)).isNull();
    assertThat(rebalancer.check(2 * SETTLED - 1, ME, two, 10, 100)).isNull();
    assertThat(rebalancer.check(2 * SETTLED, ME, two, 10, 100)).isEqualTo(NodeId.of("server2"));
  }

  @Test
  void atMostOneClientPerInterval() {
    rebalancer.membershipChanged(0);
    assertThat(rebalancer.check(SETTLED, ME, cluster(10, 0, 0), 10, 100)).isNotNull();
    assertThat(rebalancer.check(SETTLED + INTERVAL - 1, ME, cluster(9, 0, 0), 9, 100))
        .isNull();
    assertThat(rebalancer.check(SETTLED + INTERVAL, ME, cluster(9, 1, 0), 9, 100))
        .isEqualTo(NodeId.of("server3"));
  }

  @Test
  void aClientMovesOnlyIfThisServerStaysAtLeastAsLoadedAsTheOther() {
    rebalancer.membershipChanged(0);
    assertThat(rebalancer.check(SETTLED, ME, cluster(3, 1, 2), 3, 100))
        .as("3 against 1: after the move 2 and 2")
        .isEqualTo(NodeId.of("server2"));
    Rebalancer other = new Rebalancer(INTERVAL);
    other.membershipChanged(0);
    assertThat(other.check(SETTLED, ME, cluster(3, 2, 2), 3, 100))
        .as("3 against 2 would bounce")
        .isNull();
  }

  @Test
  void loadsAreComparedAsFractionsOfCapacityAndFullServersAreSkipped() {
    List<MemberInfo> live =
        List.of(member("server1", 10, 20), member("server2", 8, 8), member("server3", 20, 100));
    rebalancer.membershipChanged(0);
    assertThat(rebalancer.check(SETTLED, ME, live, 10, 20))
        .as("server2 is full; server3 at 20 %% takes one from server1 at 50 %%")
        .isEqualTo(NodeId.of("server3"));
  }

  @Test
  void aServerWithoutClientPortIsNoTarget() {
    List<MemberInfo> live =
        List.of(member("server1", 10, 100), new MemberInfo(NodeId.of("server2"), 1, 0, 0, 100));
    rebalancer.membershipChanged(0);
    assertThat(rebalancer.check(SETTLED, ME, live, 10, 100)).isNull();
  }
}
