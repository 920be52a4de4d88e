package io.github.ringleader.messaging.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.ringleader.messaging.node.NodeId;
import io.github.ringleader.messaging.protocol.Sequenced;
import io.github.ringleader.messaging.protocol.StreamAck;
import io.github.ringleader.messaging.protocol.StreamEntry;
import io.github.ringleader.messaging.protocol.StreamState;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The leader's log alone: append, acknowledgements, the commit rule (stable and all-delivered
 * marks), re-sending to a lagging member, the window. Members are {@code server9} (the leader),
 * {@code server1} and {@code server2}; time is an explicit {@code now}.
 */
class StreamLogTest {

  private static final NodeId LEADER = NodeId.of("server9");
  private static final NodeId A = NodeId.of("server1");
  private static final NodeId B = NodeId.of("server2");
  private static final long EPOCH = Epochs.of(3, LEADER, 1, 0);
  private static final long RETRY = 100;
  private static final long STATE_INTERVAL = 1_000;

  private final RecordingOutbox outbox = new RecordingOutbox();
  private final StreamLog log = new StreamLog(EPOCH, outbox, RETRY, STATE_INTERVAL);
  private long now = 1_000;

  @BeforeEach
  void open() {
    log.open(List.of(LEADER, A, B), now);
  }

  private static StreamEntry.Chat chat(long clientSeq) {
    return new StreamEntry.Chat("alice", 11, clientSeq, null, "m" + clientSeq);
  }

  private void append(int count) {
    for (int i = 0; i < count; i++) {
      log.append(chat(log.head() + 1), now);
    }
  }

  private void ack(NodeId from, long received, long delivered) {
    log.onAck(from, new StreamAck(EPOCH, received, delivered), now);
  }

  @Test
  void appendNumbersEntriesAndSendsThemToAll() {
    assertThat(log.append(chat(1), now)).isEqualTo(1);
    assertThat(log.append(chat(2), now)).isEqualTo(2);

    assertThat(outbox.toAll(Sequenced.class)).extracting(Sequenced::seq).containsExactly(1L, 2L);
    assertThat(log.head()).isEqualTo(2);
    assertThat(log.size()).isEqualTo(2);
  }

  @Test
  void anEntryIsStableOnlyOnceEveryMemberHoldsIt() {
    append(3);
    ack(LEADER, 3, 0);
    ack(A, 3, 0);
    assertThat(log.stable()).as("server2 has nothing yet").isZero();

    ack(B, 2, 0);
    assertThat(log.stable()).isEqualTo(2);
    ack(B, 3, 0);
    assertThat(log.stable()).isEqualTo(3);
  }

  @Test
  void entriesDeliveredEverywhereAreForgotten() {
    append(4);
    ack(LEADER, 4, 4);
    ack(A, 4, 4);
    ack(B, 4, 2);

    assertThat(log.allDelivered()).isEqualTo(2);
    assertThat(log.size()).isEqualTo(2);
  }

  @Test
  void theStateGoesOutOnceAfterAChange() {
    append(2);
    ack(LEADER, 2, 2);
    ack(A, 2, 2);
    ack(B, 2, 2);
    log.flushState(now);
    log.flushState(now);

    assertThat(outbox.toAll(StreamState.class)).containsExactly(new StreamState(EPOCH, 2, 2, 2));
  }

  @Test
  void aGoneMemberNoLongerHoldsUpStability() {
    append(2);
    ack(LEADER, 2, 2);
    ack(A, 2, 2);
    assertThat(log.stable()).isZero();

    log.removeMember(B);

    assertThat(log.stable()).isEqualTo(2);
    assertThat(log.allDelivered()).isEqualTo(2);
  }

  @Test
  void anAcknowledgementFromANonMemberOrAnotherEpochCountsForNothing() {
    append(1);
    ack(LEADER, 1, 1);
    ack(A, 1, 1);
    log.onAck(NodeId.of("server7"), new StreamAck(EPOCH, 1, 1), now);
    log.onAck(B, new StreamAck(EPOCH + 1, 1, 1), now);

    assertThat(log.stable()).isZero();
  }

  @Test
  void aLaggingMemberGetsTheMissingEntriesAgainAfterARetryInterval() {
    append(3);
    ack(LEADER, 3, 3);
    ack(A, 3, 3);
    ack(B, 1, 1);
    outbox.clear();

    now += RETRY - 1;
    log.resendToLagging(now);
    assertThat(outbox.sentTo(B, Sequenced.class)).as("not yet").isEmpty();
    assertThat(log.nextDeadlineNanos()).isEqualTo(now + 1);

    now += 1;
    log.resendToLagging(now);
    assertThat(outbox.sentTo(B, Sequenced.class))
        .extracting(Sequenced::seq)
        .containsExactly(2L, 3L);
    assertThat(outbox.sentTo(A, Sequenced.class)).isEmpty();
  }

  @Test
  void aResendIsBoundedToOneBatch() {
    append(StreamLog.RESEND_BATCH + 10);
    now += RETRY;
    log.resendToLagging(now);

    assertThat(outbox.sentTo(A, Sequenced.class)).hasSize(StreamLog.RESEND_BATCH);
  }

  @Test
  void aMemberThatSaysItHasLessIsBelievedAndServedAgain() {
    append(3);
    ack(A, 3, 3);
    ack(A, 0, 0); // it lost its stream and started over
    outbox.clear();

    now += RETRY;
    log.resendToLagging(now);

    assertThat(outbox.sentTo(A, Sequenced.class))
        .extracting(Sequenced::seq)
        .containsExactly(1L, 2L, 3L);
  }

  @Test
  void theWindowFillsAndEmptiesWithDelivery() {
    append(StreamLog.WINDOW - 1);
    assertThat(log.isFull()).isFalse();
    append(1);
    assertThat(log.isFull()).isTrue();

    ack(LEADER, StreamLog.WINDOW, 1);
    ack(A, StreamLog.WINDOW, 1);
    ack(B, StreamLog.WINDOW, 1);
    assertThat(log.isFull()).isFalse();
  }

  @Test
  void theStateIsRepeatedAtTheRetryIntervalWhileEntriesAreOpenAndTheStateIntervalAfter() {
    append(1);
    assertThat(log.nextDeadlineNanos()).isEqualTo(now + RETRY);
    ack(LEADER, 1, 1);
    ack(A, 1, 1);
    ack(B, 1, 1);
    log.flushState(now);
    assertThat(log.nextDeadlineNanos()).isEqualTo(now + STATE_INTERVAL);

    now += STATE_INTERVAL;
    outbox.clear();
    log.sendStateIfDue(now);
    assertThat(outbox.toAll(StreamState.class)).containsExactly(new StreamState(EPOCH, 1, 1, 1));
  }

  @Test
  void deliveryLagIsPerMember() {
    append(5);
    ack(LEADER, 5, 5);
    ack(A, 5, 3);

    assertThat(log.deliveryLag())
        .containsEntry(LEADER, 0L)
        .containsEntry(A, 2L)
        .containsEntry(B, 5L);
  }
}
