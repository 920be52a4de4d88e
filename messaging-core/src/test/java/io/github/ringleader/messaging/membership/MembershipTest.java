package io.github.ringleader.messaging.membership;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import io.github.ringleader.messaging.membership.Membership.HeartbeatResult;
import io.github.ringleader.messaging.membership.MembershipChange.Kind;
import io.github.ringleader.messaging.node.MemberInfo;
import io.github.ringleader.messaging.node.NodeId;
import io.github.ringleader.messaging.protocol.Heartbeat;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The failure detector and live view, driven by hand: every heartbeat and expiry check is given an
 * explicit {@code nowNanos}.
 */
class MembershipTest {

  /** Heartbeat interval 2 s × 3 missed, as in the defaults, in nanoseconds. */
  private static final long FAIL_AFTER = 6_000_000_000L;

  private static final long T0 = 1_000_000_000L;

  private static final NodeId SELF = id("server1");
  private static final NodeId B = id("server2");
  private static final NodeId C = id("server3");

  private final Membership membership = new Membership(SELF, FAIL_AFTER, 16);
  private final List<MembershipChange> changes = new ArrayList<>();

  private static NodeId id(String value) {
    return NodeId.of(value);
  }

  private static Heartbeat heartbeat(int clients) {
    return new Heartbeat(0, 5000, null, 0, clients, 100);
  }

  private HeartbeatResult hear(NodeId from, long incarnation, long nowNanos) {
    return membership.onHeartbeat(from, incarnation, heartbeat(0), nowNanos, changes);
  }

  private List<MembershipChange> expire(long nowNanos) {
    List<MembershipChange> expired = new ArrayList<>();
    membership.expire(nowNanos, expired);
    return expired;
  }

  // ------------------------------------------------------------------ each member's own timings

  private static Heartbeat announcing(int intervalMillis, int missed) {
    return new Heartbeat(0, 5000, null, 0, 0, 100, "", intervalMillis, missed);
  }

  @Test
  void aMemberThatAnnouncesSlowerHeartbeatsIsFailedOnlyAfterItsOwnTimeout() {
    membership.onHeartbeat(B, 1, announcing(10_000, 3), T0, changes); // 30 s, this node's is 6 s
    membership.onHeartbeat(C, 1, heartbeat(0), T0, changes); // says nothing: this node's 6 s

    assertThat(expire(T0 + FAIL_AFTER)).extracting(c -> c.member().id()).containsExactly(C);
    assertThat(expire(T0 + 30_000_000_000L - 1)).isEmpty();
    assertThat(membership.nextExpiryNanos()).isEqualTo(T0 + 30_000_000_000L);
    assertThat(expire(T0 + 30_000_000_000L)).extracting(c -> c.member().id()).containsExactly(B);
    assertThat(membership.failureTimeoutNanos(B))
        .as("remembered after it failed")
        .isEqualTo(30_000_000_000L);
    assertThat(membership.failureTimeoutNanos(C)).isEqualTo(FAIL_AFTER);
  }

  @Test
  void aMemberThatAnnouncesFasterHeartbeatsIsNeverFailedSoonerThanThisNodesOwnTimeout() {
    membership.onHeartbeat(B, 1, announcing(500, 3), T0, changes);
    assertThat(membership.failureTimeoutNanos(B))
        .as("1.5 s asked, 6 s at least")
        .isEqualTo(FAIL_AFTER);
    assertThat(expire(T0 + 1_500_000_000L)).isEmpty();
    membership.onHeartbeat(B, 1, announcing(1, 1), T0, changes);
    assertThat(membership.failureTimeoutNanos(B)).as("1 ms asked").isEqualTo(FAIL_AFTER);
    assertThat(expire(T0 + FAIL_AFTER - 1)).isEmpty();
  }

  @Test
  void aMembersLatestTimingsCount() {
    membership.onHeartbeat(B, 1, announcing(3_000, 3), T0, changes);
    assertThat(membership.failureTimeoutNanos(B)).isEqualTo(9_000_000_000L);

    membership.onHeartbeat(B, 1, announcing(2_500, 4), T0 + 1_000_000_000L, changes);
    assertThat(membership.failureTimeoutNanos(B)).isEqualTo(10_000_000_000L);
    assertThat(expire(T0 + 1_000_000_000L + 10_000_000_000L - 1)).isEmpty();
    assertThat(expire(T0 + 1_000_000_000L + 10_000_000_000L)).hasSize(1);
  }

  @Test
  void noAnnouncementKeepsAMemberForMoreThanTenTimesThisNodesOwnTimeout() {
    long bound = Membership.MAX_TIMEOUT_FACTOR * FAIL_AFTER;
    membership.onHeartbeat(B, 1, announcing(Integer.MAX_VALUE, Heartbeat.MAX_MISSED), T0, changes);

    assertThat(membership.failureTimeoutNanos(B)).isEqualTo(bound).isEqualTo(60_000_000_000L);
    assertThat(expire(T0 + bound - 1)).isEmpty();
    assertThat(expire(T0 + bound)).hasSize(1);
  }

  @Test
  void theTimeoutArithmeticNeitherOverflowsNorIgnoresTheBound() {
    assertThat(Membership.memberFailAfterNanos(
            announcing(Integer.MAX_VALUE, 65_535), Long.MAX_VALUE / 3))
        .isEqualTo(Long.MAX_VALUE);
    assertThat(Membership.memberFailAfterNanos(announcing(2_000, 3), 1_000_000_000L))
        .as("6 s asked, 10 × 1 s allowed")
        .isEqualTo(6_000_000_000L);
    assertThat(Membership.memberFailAfterNanos(announcing(2_000, 6), 1_000_000_000L))
        .as("12 s asked, 10 × 1 s allowed")
        .isEqualTo(10_000_000_000L);
    assertThat(Membership.memberFailAfterNanos(heartbeat(0), 1_234L)).isEqualTo(1_234L);
    assertThat(Membership.memberFailAfterNanos(announcing(1, 1), 1_000_000_000L))
        .as("1 ms asked, 1 s at least")
        .isEqualTo(1_000_000_000L);
  }

  // ------------------------------------------------------------------ joining and refreshing

  @Test
  void anyMessageFromALiveMemberKeepsItAliveButJoinsNobodyAndOnlyForItsLiveIncarnation() {
    hear(B, 1, T0);
    changes.clear();
    membership.onHeardFrom(B, 1, T0 + FAIL_AFTER - 1);
    membership.onHeardFrom(C, 1, T0 + FAIL_AFTER - 1); // never heartbeated: not a member
    membership.onHeardFrom(B, 0, T0 + 2 * FAIL_AFTER - 2); // an older life of B: no proof
    assertThat(membership.liveIds()).containsExactly(B);

    membership.expire(T0 + FAIL_AFTER, changes);
    assertThat(changes).as("B kept talking, if not heartbeating").isEmpty();
    membership.expire(T0 + 2 * FAIL_AFTER - 1, changes);
    assertThat(changes).extracting(MembershipChange::kind).containsExactly(Kind.FAILED);
  }

  @Test
  void firstHeartbeatFromAnUnknownMemberJoinsIt() {
    HeartbeatResult result =
        membership.onHeartbeat(B, 7, new Heartbeat(0, 5002, null, 0, 3, 10), T0, changes);

    assertThat(result).isEqualTo(HeartbeatResult.CHANGED);
    assertThat(changes)
        .containsExactly(new MembershipChange(Kind.JOINED, new MemberInfo(B, 7, 5002, 3, 10)));
    assertThat(membership.isLive(B)).isTrue();
    assertThat(membership.size()).isEqualTo(1);
    assertThat(membership.member(B)).isEqualTo(new MemberInfo(B, 7, 5002, 3, 10));
  }

  @Test
  void laterHeartbeatOfTheSameLifeRefreshesTheMemberWithoutAChange() {
    hear(B, 7, T0);
    changes.clear();

    HeartbeatResult result =
        membership.onHeartbeat(B, 7, new Heartbeat(1, 5002, null, 0, 9, 10), T0 + 1, changes);

    assertThat(result).isEqualTo(HeartbeatResult.REFRESHED);
    assertThat(changes).isEmpty();
    assertThat(membership.member(B)).isNotNull().extracting(MemberInfo::clients).isEqualTo(9);
  }

  @Test
  void refreshedMemberIsFailedOnlyAfterFailAfterSinceItsLatestHeartbeat() {
    hear(B, 7, T0);
    hear(B, 7, T0 + 4_000_000_000L);

    assertThat(expire(T0 + FAIL_AFTER)).isEmpty();
    assertThat(membership.nextExpiryNanos()).isEqualTo(T0 + 4_000_000_000L + FAIL_AFTER);
    assertThat(expire(T0 + 4_000_000_000L + FAIL_AFTER))
        .extracting(MembershipChange::kind)
        .containsExactly(Kind.FAILED);
  }

  // ------------------------------------------------------------------ failure

  @Test
  void memberSilentForOneNanosecondLessThanFailAfterIsStillLive() {
    hear(B, 7, T0);

    assertThat(expire(T0 + FAIL_AFTER - 1)).isEmpty();
    assertThat(membership.isLive(B)).isTrue();
  }

  @Test
  void memberSilentForMissedHeartbeatsTimesIntervalIsFailed() {
    hear(B, 7, T0);

    List<MembershipChange> failed = expire(T0 + FAIL_AFTER);

    assertThat(failed)
        .containsExactly(new MembershipChange(Kind.FAILED, new MemberInfo(B, 7, 5000, 0, 100)));
    assertThat(membership.isLive(B)).isFalse();
    assertThat(membership.liveIds()).isEmpty();
    assertThat(membership.member(B)).isNull();
  }

  @Test
  void onlyTheSilentMemberFailsWhenOthersKeptTalking() {
    hear(B, 7, T0);
    hear(C, 3, T0 + 1_000);

    assertThat(expire(T0 + FAIL_AFTER)).extracting(c -> c.member().id()).containsExactly(B);
    assertThat(membership.liveIds()).containsExactly(C);
  }

  @Test
  void failedMemberIsReportedOnce() {
    hear(B, 7, T0);
    expire(T0 + FAIL_AFTER);

    assertThat(expire(T0 + 2 * FAIL_AFTER)).isEmpty();
  }

  // ------------------------------------------------------------------ lives (incarnations)

  @Test
  void heartbeatWithAHigherIncarnationReportsRestartedWithTheOldLifeThenJoinedWithTheNew() {
    hear(B, 7, T0);
    changes.clear();

    HeartbeatResult result = hear(B, 8, T0 + 1_000);

    assertThat(result).isEqualTo(HeartbeatResult.CHANGED);
    assertThat(changes)
        .containsExactly(
            new MembershipChange(Kind.RESTARTED, new MemberInfo(B, 7, 5000, 0, 100)),
            new MembershipChange(Kind.JOINED, new MemberInfo(B, 8, 5000, 0, 100)));
    assertThat(membership.member(B))
        .isNotNull()
        .extracting(MemberInfo::incarnation)
        .isEqualTo(8L);
    assertThat(membership.size()).isEqualTo(1);
  }

  @Test
  void heartbeatFromALowerIncarnationOfALiveMemberIsStaleAndDoesNotKeepItAlive() {
    hear(B, 8, T0);
    changes.clear();

    HeartbeatResult result = hear(B, 7, T0 + FAIL_AFTER - 1);

    assertThat(result).isEqualTo(HeartbeatResult.STALE);
    assertThat(changes).isEmpty();
    assertThat(membership.member(B))
        .isNotNull()
        .extracting(MemberInfo::incarnation)
        .isEqualTo(8L);
    assertThat(expire(T0 + FAIL_AFTER))
        .extracting(MembershipChange::kind)
        .containsExactly(Kind.FAILED);
  }

  @Test
  void heartbeatFromALowerIncarnationIsStaleAlsoAfterTheMemberFailed() {
    hear(B, 8, T0);
    expire(T0 + FAIL_AFTER);
    changes.clear();

    HeartbeatResult result = hear(B, 7, T0 + FAIL_AFTER + 1);

    assertThat(result).isEqualTo(HeartbeatResult.STALE);
    assertThat(changes).isEmpty();
    assertThat(membership.isLive(B)).isFalse();
  }

  @Test
  void failedMemberHeardAgainWithTheSameIncarnationSimplyJoinsAgain() {
    hear(B, 8, T0);
    expire(T0 + FAIL_AFTER);
    changes.clear();

    HeartbeatResult result = hear(B, 8, T0 + 2 * FAIL_AFTER);

    assertThat(result).isEqualTo(HeartbeatResult.CHANGED);
    assertThat(changes)
        .containsExactly(new MembershipChange(Kind.JOINED, new MemberInfo(B, 8, 5000, 0, 100)));
    assertThat(membership.nextExpiryNanos()).isEqualTo(T0 + 3 * FAIL_AFTER);
  }

  @Test
  void failedMemberHeardWithAHigherIncarnationJoinsWithoutASecondReportOfItsOldLife() {
    hear(B, 8, T0);
    expire(T0 + FAIL_AFTER);
    changes.clear();

    hear(B, 9, T0 + FAIL_AFTER + 1);

    assertThat(changes)
        .containsExactly(new MembershipChange(Kind.JOINED, new MemberInfo(B, 9, 5000, 0, 100)));
  }

  // ------------------------------------------------------------------ leaving

  @Test
  void leaveRemovesTheMemberAtOnceAndReportsItsLastState() {
    hear(B, 8, T0);

    MembershipChange change = membership.onLeave(B, 8);

    assertThat(change)
        .isEqualTo(new MembershipChange(Kind.LEFT, new MemberInfo(B, 8, 5000, 0, 100)));
    assertThat(membership.isLive(B)).isFalse();
    assertThat(expire(T0 + FAIL_AFTER))
        .as("a member that left does not fail later")
        .isEmpty();
  }

  @Test
  void leaveFromAnOlderIncarnationThanTheLiveOneIsIgnored() {
    hear(B, 8, T0);

    assertThat(membership.onLeave(B, 7)).isNull();
    assertThat(membership.isLive(B)).isTrue();
  }

  @Test
  void leaveFromAnUnknownMemberChangesNothing() {
    assertThat(membership.onLeave(B, 8)).isNull();
    assertThat(membership.size()).isZero();
  }

  @Test
  void heartbeatFromAnOlderLifeOfAMemberThatLeftIsStale() {
    hear(B, 8, T0);
    membership.onLeave(B, 8);

    assertThat(hear(B, 7, T0 + 1)).isEqualTo(HeartbeatResult.STALE);
    assertThat(membership.isLive(B)).isFalse();
  }

  // ------------------------------------------------------------------ bounds

  @Test
  void heartbeatFromANewMemberIsRefusedWhenTheViewIsFull() {
    Membership small = new Membership(SELF, FAIL_AFTER, 2);
    small.onHeartbeat(B, 1, heartbeat(0), T0, changes);
    small.onHeartbeat(C, 1, heartbeat(0), T0, changes);
    changes.clear();

    HeartbeatResult result = small.onHeartbeat(id("server4"), 1, heartbeat(0), T0, changes);

    assertThat(result).isEqualTo(HeartbeatResult.REFUSED);
    assertThat(changes).isEmpty();
    assertThat(small.liveIds()).containsExactly(B, C);
  }

  @Test
  void fullViewStillRefreshesAndRestartsItsOwnMembers() {
    Membership small = new Membership(SELF, FAIL_AFTER, 2);
    small.onHeartbeat(B, 1, heartbeat(0), T0, changes);
    small.onHeartbeat(C, 1, heartbeat(0), T0, changes);

    assertThat(small.onHeartbeat(B, 1, heartbeat(0), T0 + 1, changes))
        .isEqualTo(HeartbeatResult.REFRESHED);
    assertThat(small.onHeartbeat(C, 2, heartbeat(0), T0 + 1, changes))
        .isEqualTo(HeartbeatResult.CHANGED);
  }

  @Test
  void fullViewAdmitsANewMemberOnceAMemberFailed() {
    Membership small = new Membership(SELF, FAIL_AFTER, 1);
    small.onHeartbeat(B, 1, heartbeat(0), T0, changes);
    small.expire(T0 + FAIL_AFTER, changes);

    assertThat(small.onHeartbeat(C, 1, heartbeat(0), T0 + FAIL_AFTER, changes))
        .isEqualTo(HeartbeatResult.CHANGED);
  }

  @Test
  void departedIdsAreRememberedUpToMaxMembersOldestForgottenFirst() {
    Membership small = new Membership(SELF, FAIL_AFTER, 2);
    NodeId d = id("server4");
    small.onHeartbeat(B, 5, heartbeat(0), T0, changes);
    small.onLeave(B, 5);
    small.onHeartbeat(C, 5, heartbeat(0), T0, changes);
    small.onLeave(C, 5);
    small.onHeartbeat(d, 5, heartbeat(0), T0, changes);
    small.onLeave(d, 5);

    // Three departures, room to remember two: B, the oldest, is forgotten.
    assertThat(small.onHeartbeat(C, 4, heartbeat(0), T0 + 1, changes))
        .isEqualTo(HeartbeatResult.STALE);
    assertThat(small.onHeartbeat(d, 4, heartbeat(0), T0 + 1, changes))
        .isEqualTo(HeartbeatResult.STALE);
    assertThat(small.onHeartbeat(B, 4, heartbeat(0), T0 + 1, changes))
        .isEqualTo(HeartbeatResult.CHANGED);
  }

  // ------------------------------------------------------------------ next expiry

  @Test
  void nextExpiryIsNeverWithNoMembers() {
    assertThat(membership.nextExpiryNanos()).isEqualTo(Long.MAX_VALUE);
  }

  @Test
  void nextExpiryIsWhenTheLongestSilentMemberWillFail() {
    hear(B, 1, T0 + 500);
    hear(C, 1, T0);

    assertThat(membership.nextExpiryNanos()).isEqualTo(T0 + FAIL_AFTER);

    expire(T0 + FAIL_AFTER);

    assertThat(membership.nextExpiryNanos()).isEqualTo(T0 + 500 + FAIL_AFTER);
  }

  // ------------------------------------------------------------------ the view

  @Test
  void liveIdsAreInNumericAwareOrder() {
    for (String name : List.of("server10", "server2", "server9", "server11", "alpha")) {
      hear(id(name), 1, T0);
    }

    assertThat(membership.liveIds())
        .containsExactly(id("alpha"), id("server2"), id("server9"), id("server10"), id("server11"));
    assertThat(membership.liveMembers())
        .extracting(MemberInfo::id)
        .containsExactlyElementsOf(membership.liveIds());
  }

  @Test
  void liveIdsCannotBeChangedByTheCaller() {
    hear(B, 1, T0);

    assertThat(membership.liveIds()).isUnmodifiable();
  }

  @Test
  void heartbeatFromTheNodesOwnIdIsRejected() {
    assertThatIllegalArgumentException().isThrownBy(() -> hear(SELF, 1, T0));
    assertThat(membership.isLive(SELF)).isFalse();
    assertThat(changes).isEmpty();
  }

  @Test
  void nonPositiveFailAfterOrMaxMembersIsRejectedNamingTheValue() {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> new Membership(SELF, 0, 1))
        .withMessage("failAfterNanos must be > 0, was 0");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> new Membership(SELF, 1, 0))
        .withMessage("maxMembers must be > 0, was 0");
  }

  // ------------------------------------------------------------------ MemberInfo

  @Test
  void loadIsClientsOverCapacityAndAServerWithoutCapacityIsFull() {
    assertThat(new MemberInfo(B, 1, 0, 25, 100).load()).isEqualTo(0.25);
    assertThat(new MemberInfo(B, 1, 0, 100, 100).hasRoom()).isFalse();
    assertThat(new MemberInfo(B, 1, 0, 99, 100).hasRoom()).isTrue();
    assertThat(new MemberInfo(B, 1, 0, 0, 0).load()).isEqualTo(Double.POSITIVE_INFINITY);
    assertThat(new MemberInfo(B, 1, 0, 0, 0).hasRoom()).isFalse();
  }
}
