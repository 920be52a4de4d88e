package io.github.ringleader.messaging.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.ringleader.messaging.node.NodeId;
import org.junit.jupiter.api.Test;

/**
 * Epoch ids: the term in the high bits, then a hash of the leader's id and incarnation, then the
 * leader's flush count in the term.
 */
class EpochsTest {

  private static final NodeId LEADER = NodeId.of("server9");
  private static final NodeId RIVAL = NodeId.of("server3");

  @Test
  void theTermOfAnEpochIsTheTermThatStartedIt() {
    assertThat(Epochs.term(Epochs.of(3, LEADER, 1, 0))).isEqualTo(3);
    assertThat(Epochs.term(Epochs.of(3, LEADER, 1, 17))).isEqualTo(3);
    assertThat(Epochs.term(Epochs.of(3, RIVAL, 99, (1 << Epochs.FLUSH_BITS) - 1)))
        .isEqualTo(3);
    assertThat(Epochs.term(Epochs.of((1L << Epochs.TERM_BITS) - 1, LEADER, 1, 0)))
        .isEqualTo((1L << Epochs.TERM_BITS) - 1);
  }

  @Test
  void everyEpochOfALaterTermIsGreaterWhoeverLeads() {
    long lastOfTerm3 = Epochs.of(3, LEADER, 1, (1 << Epochs.FLUSH_BITS) - 1);
    for (NodeId leader : new NodeId[] {LEADER, RIVAL, NodeId.of("a"), NodeId.of("z9")}) {
      for (long incarnation : new long[] {0, 1, 123_456_789}) {
        assertThat(Epochs.of(4, leader, incarnation, 0)).isGreaterThan(lastOfTerm3);
      }
    }
  }

  @Test
  void twoLeadersOfTheSameTermStartDifferentEpochs() {
    assertThat(Epochs.of(4, LEADER, 1, 0)).isNotEqualTo(Epochs.of(4, RIVAL, 1, 0));
    assertThat(Epochs.of(4, LEADER, 1, 0))
        .as("a restarted leader")
        .isNotEqualTo(Epochs.of(4, LEADER, 2, 0));
  }

  @Test
  void anEpochIdIsTheSameForTheSameLeaderTermAndFlush() {
    assertThat(Epochs.of(4, NodeId.of("server9"), 1, 2)).isEqualTo(Epochs.of(4, LEADER, 1, 2));
  }

  @Test
  void aLeadersFlushesInATermComeInOrder() {
    long first = Epochs.of(4, LEADER, 1, 0);
    long second = Epochs.of(4, LEADER, 1, 1);
    long third = Epochs.of(4, LEADER, 1, 2);

    assertThat(Epochs.earlierFlushOfSameLeader(first, second)).isTrue();
    assertThat(Epochs.earlierFlushOfSameLeader(first, third)).isTrue();
    assertThat(Epochs.earlierFlushOfSameLeader(second, first)).isFalse();
    assertThat(Epochs.earlierFlushOfSameLeader(second, second))
        .as("not earlier than itself")
        .isFalse();
  }

  @Test
  void epochsOfDifferentLeadersOrTermsAreNotEarlierFlushesOfOneAnother() {
    long mine = Epochs.of(4, LEADER, 1, 0);

    assertThat(Epochs.earlierFlushOfSameLeader(mine, Epochs.of(4, RIVAL, 1, 5))).isFalse();
    assertThat(
            Epochs.earlierFlushOfSameLeader(Epochs.of(4, RIVAL, 1, 0), Epochs.of(4, LEADER, 1, 5)))
        .isFalse();
    assertThat(Epochs.earlierFlushOfSameLeader(mine, Epochs.of(5, LEADER, 1, 0)))
        .isFalse();
    assertThat(Epochs.earlierFlushOfSameLeader(mine, Epochs.of(4, LEADER, 2, 1)))
        .as("another life")
        .isFalse();
  }

  @Test
  void theReadableFormIsTermDotFlushAtTheLeadersHash() {
    long epoch = Epochs.of(3, LEADER, 1, 1);
    String hash =
        Long.toHexString((epoch >>> Epochs.FLUSH_BITS) & ((1L << Epochs.LEADER_BITS) - 1));

    assertThat(Epochs.format(epoch)).isEqualTo("3.1@" + hash);
    assertThat(Epochs.format(0)).isEqualTo("0.0@0");
  }
}
