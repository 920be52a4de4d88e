package io.github.ringleader.messaging.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.ringleader.messaging.loop.Ticking;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.junit.jupiter.api.Test;

class RebalancerTest {
  private static final long INTERVAL = 100;
  private static final long SETTLED = Rebalancer.SETTLE_INTERVALS * INTERVAL;
  private static final NodeId ME = NodeId.of("server1");

  /** A host with fixed loads that records the moves it is asked for. */
  private static final class FakeHost implements Rebalancer.Host {
    List<MemberInfo> live = List.of();
    int clients;
    final List<String> moves = new ArrayList<>();

    @Override
    public Collection<MemberInfo> liveMembers() {
      return live;
    }

    @Override
    public int clients() {
      return clients;
    }

    @Override
    public void moveOneTo(NodeId target, long nowNanos) {
      moves.add(target + "@" + nowNanos);
    }
  }

  private final FakeHost host = new FakeHost();
  private final Rebalancer rebalancer = new Rebalancer(INTERVAL, ME, 100, host);

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
    assertThat(rebalancer.check(SETTLED - 1, cluster(10, 0, 0), 10)).isNull();
    assertThat(rebalancer.due(SETTLED)).isTrue();
    assertThat(rebalancer.check(SETTLED, cluster(10, 0, 0), 10)).isEqualTo(NodeId.of("server2"));
  }

  @Test
  void aMembershipChangeStartsTheWaitAgain() {
    rebalancer.membershipChanged(0);
    List<MemberInfo> two = List.of(member("server1", 10, 100), member("server2", 0, 100));
    rebalancer.membershipChanged(SETTLED);
    assertThat(rebalancer.check(SETTLED, two, 10)).isNull();
    assertThat(rebalancer.check(2 * SETTLED - 1, two, 10)).isNull();
    assertThat(rebalancer.check(2 * SETTLED, two, 10)).isEqualTo(NodeId.of("server2"));
  }

  @Test
  void atMostOneClientPerInterval() {
    rebalancer.membershipChanged(0);
    assertThat(rebalancer.check(SETTLED, cluster(10, 0, 0), 10)).isNotNull();
    assertThat(rebalancer.check(SETTLED + INTERVAL - 1, cluster(9, 0, 0), 9)).isNull();
    assertThat(rebalancer.check(SETTLED + INTERVAL, cluster(9, 1, 0), 9))
        .isEqualTo(NodeId.of("server3"));
  }

  @Test
  void aClientMovesOnlyIfThisServerStaysAtLeastAsLoadedAsTheOther() {
    rebalancer.membershipChanged(0);
    assertThat(rebalancer.check(SETTLED, cluster(3, 1, 2), 3))
        .as("3 against 1: after the move 2 and 2")
        .isEqualTo(NodeId.of("server2"));
    Rebalancer other = new Rebalancer(INTERVAL, ME, 100, host);
    other.membershipChanged(0);
    assertThat(other.check(SETTLED, cluster(3, 2, 2), 3))
        .as("3 against 2 would bounce")
        .isNull();
  }

  @Test
  void loadsAreComparedAsFractionsOfCapacityAndFullServersAreSkipped() {
    List<MemberInfo> live =
        List.of(member("server1", 10, 20), member("server2", 8, 8), member("server3", 20, 100));
    Rebalancer twenty = new Rebalancer(INTERVAL, ME, 20, host);
    twenty.membershipChanged(0);
    assertThat(twenty.check(SETTLED, live, 10))
        .as("server2 is full; server3 at 20 %% takes one from server1 at 50 %%")
        .isEqualTo(NodeId.of("server3"));
  }

  @Test
  void aServerWithoutClientPortIsNoTarget() {
    List<MemberInfo> live =
        List.of(member("server1", 10, 100), new MemberInfo(NodeId.of("server2"), 1, 0, 0, 100));
    rebalancer.membershipChanged(0);
    assertThat(rebalancer.check(SETTLED, live, 10)).isNull();
  }

  // ---------------------------------------------------------------- as a timed part

  @Test
  void theDeadlineIsTheSettlingAfterAMembershipChangeThenEveryInterval() {
    rebalancer.membershipChanged(1_000);
    assertThat(rebalancer.nextDeadlineNanos()).isEqualTo(1_000 + SETTLED);

    rebalancer.onTick(1_000 + SETTLED + 7);

    assertThat(rebalancer.nextDeadlineNanos())
        .as("a check, even one that moves nobody, sets the next one interval later")
        .isEqualTo(1_000 + SETTLED + 7 + INTERVAL)
        .isNotEqualTo(Ticking.NONE);
  }

  @Test
  void aTickBeforeTheDeadlineNeitherChecksNorMoves() {
    host.live = cluster(10, 0, 0);
    host.clients = 10;
    rebalancer.membershipChanged(0);

    rebalancer.onTick(SETTLED - 1);

    assertThat(host.moves).isEmpty();
    assertThat(rebalancer.nextDeadlineNanos()).isEqualTo(SETTLED);
  }

  @Test
  void aTickAtTheDeadlineAsksTheHostToMoveOneClientToTheLeastLoadedServer() {
    host.live = cluster(10, 4, 0);
    host.clients = 10;
    rebalancer.membershipChanged(0);

    rebalancer.onTick(SETTLED);
    rebalancer.onTick(SETTLED + 1); // early for the next check: nothing

    assertThat(host.moves).containsExactly("server3@" + SETTLED);
  }
}
