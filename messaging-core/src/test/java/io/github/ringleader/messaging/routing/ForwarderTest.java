package io.github.ringleader.messaging.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.ringleader.messaging.node.NodeId;
import io.github.ringleader.messaging.protocol.Forward;
import io.github.ringleader.messaging.protocol.StreamEntry;
import org.junit.jupiter.api.Test;

class ForwarderTest {
  private static final NodeId LEADER = NodeId.of("server3");
  private static final long RETRY = 100;

  private final RecordingOutbox outbox = new RecordingOutbox();
  private final Forwarder forwarder = new Forwarder(RETRY);

  private static StreamEntry.Chat chat(long seq) {
    return new StreamEntry.Chat("alice", 7, seq, null, "hello " + seq, seq - 1);
  }

  private int forwards() {
    return outbox.sentTo(LEADER, Forward.class).size();
  }

  @Test
  void aNewRequestGoesAtTheNextFlushAndAgainOnlyWhenItsRetryIsDue() {
    forwarder.submit(Forwarder.Key.chat(7, 1), chat(1));
    assertThat(forwarder.nextDeadlineNanos(LEADER)).isZero();

    forwarder.flush(LEADER, 1_000, outbox);
    assertThat(forwards()).isEqualTo(1);
    assertThat(forwarder.nextDeadlineNanos(LEADER)).isEqualTo(1_000 + RETRY);

    forwarder.flush(LEADER, 1_000 + RETRY - 1, outbox);
    assertThat(forwards()).as("not due yet").isEqualTo(1);
    forwarder.flush(LEADER, 1_000 + RETRY, outbox);
    assertThat(forwards()).isEqualTo(2);
  }

  @Test
  void reSendsBackOffToFourRetryIntervals() {
    forwarder.submit(Forwarder.Key.chat(7, 1), chat(1));
    long now = 0;
    forwarder.flush(LEADER, now, outbox);
    long[] waits = new long[5];
    for (int i = 0; i < waits.length; i++) {
      long due = forwarder.nextDeadlineNanos(LEADER);
      waits[i] = due - now;
      now = due;
      forwarder.flush(LEADER, now, outbox);
    }
    assertThat(waits).containsExactly(RETRY, 2 * RETRY, 4 * RETRY, 4 * RETRY, 4 * RETRY);
    assertThat(forwards()).isEqualTo(6);
  }

  @Test
  void aRequestSeenInTheStreamIsNotSentAgainForSixteenRetryIntervals() {
    Forwarder.Key key = Forwarder.Key.chat(7, 1);
    forwarder.submit(key, chat(1));
    forwarder.flush(LEADER, 0, outbox);
    forwarder.sequenced(key, 10);

    forwarder.flush(LEADER, RETRY, outbox);
    forwarder.flush(LEADER, 10 + Forwarder.SEQUENCED_WAIT * RETRY - 1, outbox);
    assertThat(forwards()).isEqualTo(1);
    assertThat(forwarder.nextDeadlineNanos(LEADER))
        .isEqualTo(10 + Forwarder.SEQUENCED_WAIT * RETRY);
    forwarder.flush(LEADER, 10 + Forwarder.SEQUENCED_WAIT * RETRY, outbox);
    assertThat(forwards())
        .as("a safety net, in case that epoch never delivers it")
        .isEqualTo(2);
  }

  @Test
  void aNewEpochSendsEverythingAgainAtOnceWithTheBackoffReset() {
    Forwarder.Key one = Forwarder.Key.chat(7, 1);
    forwarder.submit(one, chat(1));
    forwarder.submit(Forwarder.Key.chat(7, 2), chat(2));
    forwarder.flush(LEADER, 0, outbox);
    forwarder.flush(LEADER, RETRY, outbox);
    forwarder.sequenced(one, RETRY);
    assertThat(forwards()).isEqualTo(4);

    forwarder.sendAllSoon();
    assertThat(forwarder.nextDeadlineNanos(LEADER)).isZero();
    forwarder.flush(LEADER, RETRY + 1, outbox);
    assertThat(forwards()).isEqualTo(6);
    assertThat(forwarder.nextDeadlineNanos(LEADER)).isEqualTo(2 * RETRY + 1);
  }

  @Test
  void removedRequestsAreNeitherSentNorWaitedFor() {
    forwarder.submit(Forwarder.Key.chat(7, 1), chat(1));
    forwarder.submit(Forwarder.Key.chat(7, 2), chat(2));
    forwarder.submit(
        Forwarder.Key.of(Forwarder.Kind.LEAVE, 7), new StreamEntry.Left("alice", 7, "bye"));
    forwarder.submit(Forwarder.Key.chat(8, 1), new StreamEntry.Chat("bob", 8, 1, null, "hi", 0));

    assertThat(forwarder.remove(Forwarder.Key.chat(7, 2))).isTrue();
    assertThat(forwarder.remove(Forwarder.Key.chat(7, 2))).isFalse();
    forwarder.removeChatsOf(7);
    assertThat(forwarder.size()).isEqualTo(2);
    assertThat(forwarder.contains(Forwarder.Key.of(Forwarder.Kind.LEAVE, 7))).isTrue();

    forwarder.flush(LEADER, 0, outbox);
    assertThat(outbox.sentTo(LEADER, Forward.class))
        .extracting(Forward::request)
        .containsExactly(
            new StreamEntry.Left("alice", 7, "bye"),
            new StreamEntry.Chat("bob", 8, 1, null, "hi", 0));

    forwarder.remove(Forwarder.Key.of(Forwarder.Kind.LEAVE, 7));
    forwarder.remove(Forwarder.Key.chat(8, 1));
    assertThat(forwarder.nextDeadlineNanos(LEADER)).isEqualTo(Long.MAX_VALUE);
  }

  @Test
  void withoutALeaderNothingIsSentAndNothingIsDue() {
    forwarder.submit(Forwarder.Key.chat(7, 1), chat(1));
    forwarder.flush(null, 0, outbox);
    assertThat(forwards()).isZero();
    assertThat(forwarder.nextDeadlineNanos(null)).isEqualTo(Long.MAX_VALUE);
    forwarder.flush(LEADER, 0, outbox);
    assertThat(forwards()).isEqualTo(1);
  }

  @Test
  void manyRequestsInFlightCostOnlyTheDueOnesPerFlush() {
    for (long seq = 1; seq <= 10_000; seq++) {
      forwarder.submit(Forwarder.Key.chat(7, seq), chat(seq));
    }
    forwarder.flush(LEADER, 0, outbox);
    assertThat(forwards()).isEqualTo(10_000);
    for (long seq = 1; seq <= 9_999; seq++) {
      forwarder.remove(Forwarder.Key.chat(7, seq));
    }
    forwarder.flush(LEADER, RETRY, outbox);
    assertThat(forwards()).as("only the one still in flight goes again").isEqualTo(10_001);
  }
}
