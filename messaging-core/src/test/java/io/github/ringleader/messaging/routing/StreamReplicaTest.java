package io.github.ringleader.messaging.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.ringleader.messaging.node.NodeId;
import io.github.ringleader.messaging.protocol.ClusterCodec;
import io.github.ringleader.messaging.protocol.ClusterEnvelope;
import io.github.ringleader.messaging.protocol.Sequenced;
import io.github.ringleader.messaging.protocol.StreamAck;
import io.github.ringleader.messaging.protocol.StreamEntry;
import io.github.ringleader.messaging.protocol.StreamEntry.Carried;
import io.github.ringleader.messaging.protocol.StreamEntry.Chat;
import io.github.ringleader.messaging.protocol.StreamEntry.ChatRejected;
import io.github.ringleader.messaging.protocol.StreamEntry.Directory;
import io.github.ringleader.messaging.protocol.StreamEntry.JoinRefused;
import io.github.ringleader.messaging.protocol.StreamEntry.Joined;
import io.github.ringleader.messaging.protocol.StreamEntry.Left;
import io.github.ringleader.messaging.protocol.StreamEntry.Session;
import io.github.ringleader.messaging.protocol.StreamState;
import io.github.ringleader.messaging.protocol.SyncReply;
import io.github.ringleader.messaging.protocol.SyncReply.SequencedEntry;
import io.github.ringleader.messaging.protocol.SyncRequest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * One server's copy of the stream, driven by hand: the tests play the leader (sending {@link
 * Sequenced} entries and {@link StreamState}), time is an explicit {@code now}, a recording sink
 * catches deliveries and a recording outbox the acknowledgements and sync replies.
 */
class StreamReplicaTest {

  private static final NodeId SELF = NodeId.of("server2");
  private static final NodeId LEADER = NodeId.of("server9");
  private static final NodeId NEXT_LEADER = NodeId.of("server10");
  private static final NodeId OTHER = NodeId.of("server5");
  private static final long RETRY = 100;

  /** An epoch this replica was never in. */
  private static final long E0 = Epochs.of(0, OTHER, 1, 5);
  /** The first two flushes of {@code LEADER} in term 1. */
  private static final long E1 = Epochs.of(1, LEADER, 1, 0);

  private static final long E2 = Epochs.of(1, LEADER, 1, 1);
  /** The first flush of {@code NEXT_LEADER} in term 2. */
  private static final long E3 = Epochs.of(2, NEXT_LEADER, 1, 0);

  private static final long ALICE = 11;
  private static final long BOB = 22;
  private static final long CAROL = 33;

  private final RecordingOutbox outbox = new RecordingOutbox();
  private final RecordingSink sink = new RecordingSink();
  private final StreamReplica replica = new StreamReplica(SELF, sink, outbox, RETRY);
  private long now = 1_000;

  /** The replica answered the flush into E1, as every member of an epoch has. */
  @BeforeEach
  void answerTheFlushIntoTheFirstEpoch() {
    flushInto(E1);
  }

  // ---------------------------------------------------------------- delivery

  @Test
  void entriesAreDeliveredOnlyUpToTheStablePointAndWhatWasReceivedWithoutAGap() {
    receive(E1, 1, joined("alice", ALICE));
    receive(E1, 2, chat("alice", ALICE, 1));
    receive(E1, 3, chat("alice", ALICE, 2));
    assertThat(sink.delivered).as("nothing is stable yet").isEmpty();

    state(E1, 3, 2, 0);
    assertThat(sink.delivered).containsExactly(joined("alice", ALICE), chat("alice", ALICE, 1));
    assertThat(replica.delivered()).isEqualTo(2);

    state(E1, 5, 5, 0);
    assertThat(sink.delivered).as("stable up to 5, but only 3 received").hasSize(3);
    assertThat(replica.delivered()).isEqualTo(3);

    receive(E1, 5, chat("alice", ALICE, 4));
    assertThat(replica.delivered()).as("4 is still missing").isEqualTo(3);
    receive(E1, 4, chat("alice", ALICE, 3));
    assertThat(replica.delivered()).isEqualTo(5);
    assertThat(sink.delivered)
        .containsExactly(
            joined("alice", ALICE),
            chat("alice", ALICE, 1),
            chat("alice", ALICE, 2),
            chat("alice", ALICE, 3),
            chat("alice", ALICE, 4));
    assertThat(replica.deliveredCount()).isEqualTo(5);
  }

  @Test
  void entriesReceivedOutOfOrderAreBufferedAndDeliveredInSequenceOrder() {
    state(E1, 4, 4, 0);
    receive(E1, 4, refusal("dave", 4));
    receive(E1, 2, refusal("bob", 2));
    receive(E1, 3, refusal("carol", 3));
    assertThat(replica.buffered()).isEqualTo(3);
    assertThat(sink.delivered).isEmpty();

    receive(E1, 1, refusal("alice", 1));

    assertThat(sink.delivered)
        .containsExactly(
            refusal("alice", 1), refusal("bob", 2), refusal("carol", 3), refusal("dave", 4));
    assertThat(replica.buffered()).isZero();
  }

  @Test
  void anEntryReceivedTwiceIsDeliveredOnce() {
    receive(E1, 1, refusal("alice", 1));
    receive(E1, 1, refusal("alice", 1));
    state(E1, 1, 1, 0);
    receive(E1, 1, refusal("alice", 1));

    assertThat(sink.delivered).containsExactly(refusal("alice", 1));
  }

  // ---------------------------------------------------------------- epochs

  @Test
  void theFirstMessageOfANewerEpochEntersItAndTellsTheSink() {
    receive(E1, 1, refusal("alice", 1));
    assertThat(sink.epochsStarted).containsExactly(E1);
    assertThat(replica.epoch()).isEqualTo(E1);

    receive(E1, 2, refusal("bob", 2));
    assertThat(sink.epochsStarted).as("same epoch").containsExactly(E1);

    flushInto(E2);
    assertThat(sink.epochsStarted)
        .as("answering a flush does not enter its epoch")
        .containsExactly(E1);
    state(E2, 0, 0, 0);
    assertThat(sink.epochsStarted).containsExactly(E1, E2);
    assertThat(replica.epoch()).isEqualTo(E2);
  }

  @Test
  void aNewEpochStartsItsStreamOverFromSequenceNumberOne() {
    receive(E1, 1, refusal("alice", 1));
    receive(E1, 2, refusal("bob", 2));
    state(E1, 2, 2, 0);
    assertThat(replica.delivered()).isEqualTo(2);

    flushInto(E2);
    receive(E2, 1, refusal("carol", 3));
    assertThat(replica.delivered()).isZero();
    state(E2, 1, 1, 0);

    assertThat(replica.delivered()).isEqualTo(1);
    assertThat(sink.delivered)
        .containsExactly(refusal("alice", 1), refusal("bob", 2), refusal("carol", 3));
  }

  @Test
  void messagesOfAnEarlierFlushOfTheLeaderAreIgnored() {
    flushInto(E2);
    receive(E2, 1, refusal("alice", 1));
    replica.flush();
    outbox.clear();

    receive(E1, 1, refusal("bob", 2));
    state(E1, 5, 5, 5);
    receive(E1, 2, refusal("carol", 3));
    replica.flush();

    assertThat(replica.epoch()).isEqualTo(E2);
    assertThat(sink.delivered).isEmpty();
    assertThat(sink.epochsStarted).containsExactly(E2);
    assertThat(replica.buffered()).as("only entry 1 of the current epoch").isEqualTo(1);
    assertThat(outbox.isEmpty()).as("old epochs are not even acknowledged").isTrue();
  }

  @Test
  void aReplicaDoesNotEnterAnEpochWhoseFlushItDidNotAnswer() {
    receive(E1, 1, refusal("alice", 1));

    replica.onSequenced(LEADER, new Sequenced(E2, 1, refusal("bob", 2)), now);
    replica.onStreamState(LEADER, new StreamState(E2, 1, 1, 0), now);
    replica.flush();

    assertThat(replica.epoch()).isEqualTo(E1);
    assertThat(sink.epochsStarted).containsExactly(E1);
    assertThat(sink.delivered).isEmpty();
    assertThat(outbox.sent)
        .containsExactly(new RecordingOutbox.Sent(LEADER, new StreamAck(E1, 1, 0)));
  }

  @Test
  void aReplicaEntersAnEpochWhoseFlushItAnsweredEvenAfterAnsweringAnotherLeadersFlushSince() {
    NodeId rival = NodeId.of("server3");
    receive(E1, 1, refusal("alice", 1));
    flushInto(E2);
    replica.onSyncRequest(
        rival, new SyncRequest(Epochs.of(1, rival, 1, 0))); // the other side of a split

    receive(E2, 1, refusal("bob", 2));
    state(E2, 1, 1, 0);

    assertThat(replica.epoch()).isEqualTo(E2);
    assertThat(sink.delivered).containsExactly(refusal("bob", 2));
  }

  @Test
  void pastANewEpochsOpeningBlockOlderEpochsAreClosedSoTheirCarriedEntriesAreSkipped() {
    receive(E1, 1, refusal("alice", 1));
    state(E1, 1, 1, 0);
    flushInto(E2);
    receive(E2, 1, new Directory(0, 1, List.of()));
    receive(E2, 2, refusal("bob", 2)); // the first entry past the opening
    state(E2, 2, 2, 0);

    flushInto(E3);
    receive(E3, 1, new Carried(E1, 2, refusal("carol", 3)));
    state(E3, 1, 1, 0);

    assertThat(sink.delivered).containsExactly(refusal("alice", 1), refusal("bob", 2));
  }

  // ---------------------------------------------------------------- acknowledgements

  @Test
  void aReceivedEntryIsAcknowledgedToTheEpochsLeaderOnFlush() {
    receive(E1, 1, refusal("alice", 1));
    receive(E1, 2, refusal("bob", 2));
    assertThat(outbox.isEmpty()).as("nothing is sent before flush").isTrue();

    replica.flush();
    assertThat(outbox.sent)
        .containsExactly(new RecordingOutbox.Sent(LEADER, new StreamAck(E1, 2, 0)));

    outbox.clear();
    replica.flush();
    assertThat(outbox.isEmpty()).as("one acknowledgement per change").isTrue();
  }

  @Test
  void deliveringIsAcknowledgedWithHowFarTheReplicaDelivered() {
    receive(E1, 1, refusal("alice", 1));
    receive(E1, 2, refusal("bob", 2));
    replica.flush();
    outbox.clear();

    state(E1, 2, 1, 0);
    replica.flush();

    assertThat(outbox.sent)
        .containsExactly(new RecordingOutbox.Sent(LEADER, new StreamAck(E1, 2, 1)));
  }

  @Test
  void theAcknowledgementGoesToTheLeaderOfTheCurrentEpoch() {
    receive(E1, 1, refusal("alice", 1));
    flushInto(E3);
    replica.onSequenced(NEXT_LEADER, new Sequenced(E3, 1, refusal("bob", 2)), now);
    replica.flush();

    assertThat(outbox.sent)
        .containsExactly(new RecordingOutbox.Sent(NEXT_LEADER, new StreamAck(E3, 1, 0)));
  }

  @Test
  void aReplicaBehindTheHeadAsksAgainOnTickOnceTheRetryIntervalHasPassed() {
    receive(E1, 3, refusal("carol", 3));
    replica.flush();
    assertThat(outbox.sent)
        .containsExactly(new RecordingOutbox.Sent(LEADER, new StreamAck(E1, 0, 0)));
    outbox.clear();
    assertThat(replica.nextDeadlineNanos()).isEqualTo(now + RETRY);

    replica.onTick(now + RETRY - 1);
    replica.flush();
    assertThat(outbox.isEmpty()).as("before the retry interval").isTrue();

    replica.onTick(now + RETRY);
    replica.flush();
    assertThat(outbox.sent)
        .containsExactly(new RecordingOutbox.Sent(LEADER, new StreamAck(E1, 0, 0)));
    outbox.clear();

    replica.onTick(now + 2 * RETRY);
    replica.flush();
    assertThat(outbox.sent)
        .as("and again every retry interval while still behind")
        .containsExactly(new RecordingOutbox.Sent(LEADER, new StreamAck(E1, 0, 0)));
  }

  @Test
  void aReplicaThatLearnsOfEntriesItLacksFromTheStreamStateAsksForThem() {
    receive(E1, 1, refusal("alice", 1));
    replica.flush();
    outbox.clear();

    state(E1, 3, 1, 0);
    replica.flush();

    assertThat(outbox.sent)
        .containsExactly(new RecordingOutbox.Sent(LEADER, new StreamAck(E1, 1, 1)));
  }

  @Test
  void aReplicaThatHasEverythingDoesNotAskAgainOnTick() {
    receive(E1, 1, refusal("alice", 1));
    state(E1, 1, 1, 0);
    replica.flush();
    outbox.clear();

    replica.onTick(now + 10 * RETRY);
    replica.flush();

    assertThat(outbox.isEmpty()).isTrue();
  }

  // ---------------------------------------------------------------- flush (sync)

  @Test
  void aSyncRequestFreezesTheReplicaSoNothingMoreOfItsEpochIsDelivered() {
    receive(E1, 1, refusal("alice", 1));
    receive(E1, 2, refusal("bob", 2));
    receive(E1, 3, refusal("carol", 3));
    state(E1, 3, 1, 0);
    assertThat(replica.delivered()).isEqualTo(1);

    replica.onSyncRequest(NEXT_LEADER, new SyncRequest(E3));
    assertThat(replica.isFrozen()).isTrue();
    state(E1, 3, 3, 1);
    receive(E1, 4, refusal("dave", 4));
    state(E1, 4, 4, 1);

    assertThat(replica.delivered()).isEqualTo(1);
    assertThat(sink.delivered).containsExactly(refusal("alice", 1));
  }

  @Test
  void theNewEpochsFirstEntryEndsTheFreeze() {
    receive(E1, 1, refusal("alice", 1));
    replica.onSyncRequest(NEXT_LEADER, new SyncRequest(E3));

    replica.onSequenced(NEXT_LEADER, new Sequenced(E3, 1, refusal("bob", 2)), now);
    replica.onStreamState(NEXT_LEADER, new StreamState(E3, 1, 1, 0), now);

    assertThat(replica.isFrozen()).isFalse();
    assertThat(replica.epoch()).isEqualTo(E3);
    assertThat(sink.delivered).containsExactly(refusal("bob", 2));
  }

  @Test
  void everySyncRequestIsAnsweredEvenARepeatedOne() {
    receive(E1, 1, refusal("alice", 1));
    state(E1, 1, 1, 0);

    replica.onSyncRequest(NEXT_LEADER, new SyncRequest(E3));
    replica.onSyncRequest(NEXT_LEADER, new SyncRequest(E3));

    List<SyncReply> replies = outbox.sentTo(NEXT_LEADER, SyncReply.class);
    assertThat(replies).hasSize(2);
    assertThat(replies.get(1)).isEqualTo(replies.get(0));
  }

  @Test
  void aSyncRequestForTheCurrentEpochOrAnEarlierFlushOfItsLeaderIsIgnored() {
    flushInto(E2);
    receive(E2, 1, refusal("alice", 1));

    replica.onSyncRequest(LEADER, new SyncRequest(E2));
    replica.onSyncRequest(LEADER, new SyncRequest(E1));

    assertThat(outbox.sent(SyncReply.class)).isEmpty();
    assertThat(replica.isFrozen()).isFalse();
  }

  @Test
  void theSyncReplyCarriesDeliveredEntriesNotKnownDeliveredEverywhereAndReceivedUndeliveredOnes() {
    Directory opening = new Directory(0, 1, List.of());
    receive(E1, 1, opening);
    receive(E1, 2, joined("alice", ALICE));
    receive(E1, 3, chat("alice", ALICE, 1));
    receive(E1, 4, chat("alice", ALICE, 2));
    receive(E1, 5, chat("alice", ALICE, 3));
    state(E1, 5, 3, 2); // 1..3 delivered here; 1..2 delivered everywhere
    List<Session> report = List.of(new Session("alice", ALICE, OTHER, 1));
    sink.report = report;

    replica.onSyncRequest(NEXT_LEADER, new SyncRequest(E3));

    assertThat(outbox.sentTo(NEXT_LEADER, SyncReply.class))
        .containsExactly(new SyncReply(
            E3,
            E1,
            3,
            0,
            1,
            List.of(
                new SequencedEntry(3, new Carried(E1, 3, chat("alice", ALICE, 1))),
                new SequencedEntry(4, new Carried(E1, 4, chat("alice", ALICE, 2))),
                new SequencedEntry(5, new Carried(E1, 5, chat("alice", ALICE, 3)))),
            report));
  }

  @Test
  void aCarriedEntryKeepsItsOriginInTheNextSyncReply() {
    receive(E1, 1, refusal("alice", 1));
    state(E1, 1, 1, 0);
    Carried fromEarlier = new Carried(E1, 2, refusal("bob", 2));
    flushInto(E2);
    receive(E2, 1, new Directory(0, 1, List.of()));
    receive(E2, 2, fromEarlier);
    state(E2, 2, 2, 1);

    replica.onSyncRequest(NEXT_LEADER, new SyncRequest(E3));

    SyncReply reply = onlyReplyTo(NEXT_LEADER);
    assertThat(reply.previousEpoch()).isEqualTo(E2);
    assertThat(reply.delivered()).isEqualTo(2);
    assertThat(reply.entries()).extracting(SequencedEntry::entry).contains(fromEarlier);
    assertThat(reply.entries())
        .extracting(SequencedEntry::entry)
        .noneMatch(e -> e instanceof Carried c && c.epoch() == E2);
  }

  @Test
  void entriesDeliveredInTheEpochBeforeStayInTheSyncReplyWhileNotKnownDeliveredEverywhere() {
    receive(E1, 1, refusal("alice", 1));
    receive(E1, 2, refusal("bob", 2));
    state(E1, 2, 2, 0); // delivered here, not known delivered everywhere
    flushInto(E2);
    receive(E2, 1, new Directory(0, 1, List.of()));

    replica.onSyncRequest(NEXT_LEADER, new SyncRequest(E3));

    assertThat(onlyReplyTo(NEXT_LEADER).entries())
        .extracting(SequencedEntry::entry)
        .contains(new Carried(E1, 1, refusal("alice", 1)), new Carried(E1, 2, refusal("bob", 2)));
  }

  @Test
  void aLargeSyncReplyIsSplitIntoNumberedPartsThatEachFitInOneFrame() {
    String name = "a".repeat(ClientNames.MAX_LENGTH);
    String text = "x".repeat(StreamEntry.MAX_TEXT_BYTES);
    receive(E1, 1, new Joined(name, ALICE, OTHER));
    int chats = 40;
    for (int i = 1; i <= chats; i++) {
      receive(E1, 1 + i, new Chat(name, ALICE, i, null, text));
    }
    state(E1, 1 + chats, 1 + chats, 0);
    NodeId longServer = NodeId.of("s".repeat(NodeId.MAX_LENGTH));
    List<Session> report = new ArrayList<>();
    for (int i = 0; i < 1_000; i++) {
      report.add(new Session(
          ("c" + i + "-" + name).substring(0, ClientNames.MAX_LENGTH), 1000 + i, longServer, i));
    }
    sink.report = report;

    replica.onSyncRequest(NEXT_LEADER, new SyncRequest(E3));

    List<SyncReply> parts = outbox.sentTo(NEXT_LEADER, SyncReply.class);
    assertThat(parts).hasSizeGreaterThan(1);
    List<StreamEntry> entries = new ArrayList<>();
    List<Session> sessions = new ArrayList<>();
    for (int i = 0; i < parts.size(); i++) {
      SyncReply part = parts.get(i);
      assertThat(part.part()).isEqualTo(i);
      assertThat(part.parts()).isEqualTo(parts.size());
      assertThat(part.epoch()).isEqualTo(E3);
      assertThat(part.previousEpoch()).isEqualTo(E1);
      assertThat(part.delivered()).isEqualTo(1 + chats);
      ClusterEnvelope frame = new ClusterEnvelope(
          "c".repeat(ClusterEnvelope.MAX_CLUSTER_NAME_LENGTH), longServer, 1, part);
      assertThat(ClusterCodec.frameSize(frame)).isLessThanOrEqualTo(ClusterCodec.MAX_FRAME_BYTES);
      part.entries().forEach(e -> entries.add(e.entry()));
      sessions.addAll(part.sessions());
    }
    assertThat(entries).hasSize(1 + chats);
    assertThat(entries.get(0)).isEqualTo(new Carried(E1, 1, new Joined(name, ALICE, OTHER)));
    assertThat(entries.get(chats))
        .isEqualTo(new Carried(E1, 1 + chats, new Chat(name, ALICE, chats, null, text)));
    assertThat(sessions).isEqualTo(report);
  }

  // ---------------------------------------------------------------- carried entries

  @Test
  void aCarriedEntryIsAppliedOnlyIfTheReplicaWasInItsEpochAndHadNotDeliveredIt() {
    receive(E1, 1, refusal("alice", 1));
    receive(E1, 2, refusal("bob", 2));
    receive(E1, 3, refusal("carol", 3)); // received, never delivered: the flush came first
    state(E1, 3, 2, 0);
    assertThat(sink.delivered).containsExactly(refusal("alice", 1), refusal("bob", 2));

    flushInto(E3);
    receive(E3, 1, new Directory(0, 1, List.of()));
    receive(E3, 2, new Carried(E0, 1, refusal("erin", 5))); // an epoch this replica was never in
    receive(E3, 3, new Carried(E1, 2, refusal("bob", 2))); // delivered already
    receive(E3, 4, new Carried(E1, 3, refusal("carol", 3))); // not delivered yet
    state(E3, 4, 4, 0);

    assertThat(sink.delivered)
        .containsExactly(refusal("alice", 1), refusal("bob", 2), refusal("carol", 3));
    assertThat(replica.delivered())
        .as("skipped entries still count as stream positions")
        .isEqualTo(4);
  }

  @Test
  void aCarriedEntryIsAppliedAtMostOnceEvenWhenCarriedIntoSeveralEpochs() {
    receive(E1, 1, refusal("alice", 1));
    state(E1, 1, 1, 0);
    Carried lateOne = new Carried(E1, 2, refusal("bob", 2));

    flushInto(E2);
    receive(E2, 1, lateOne);
    state(E2, 1, 1, 0);
    flushInto(E3);
    receive(E3, 1, lateOne);
    state(E3, 1, 1, 0);

    assertThat(sink.delivered).containsExactly(refusal("alice", 1), refusal("bob", 2));
  }

  // ---------------------------------------------------------------- chats, directory

  @Test
  void aChatIsDeliveredOnceEvenWhenSequencedAgainInALaterEpoch() {
    receive(E1, 1, joined("alice", ALICE));
    receive(E1, 2, chat("alice", ALICE, 1));
    state(E1, 2, 2, 0);

    flushInto(E2);
    receive(E2, 1, new Directory(0, 1, List.of(new Session("alice", ALICE, OTHER, 1))));
    receive(E2, 2, chat("alice", ALICE, 1));
    receive(E2, 3, chat("alice", ALICE, 2));
    receive(E2, 4, chat("alice", ALICE, 2));
    state(E2, 4, 4, 0);

    assertThat(sink.delivered)
        .containsExactly(joined("alice", ALICE), chat("alice", ALICE, 1), chat("alice", ALICE, 2));
    assertThat(replica.lastClientSeq(ALICE)).isEqualTo(2);
  }

  @Test
  void aRejectedChatUsesUpItsNumberSoTheSameRequestIsNotDeliveredAsAChat() {
    receive(E1, 1, joined("alice", ALICE));
    ChatRejected rejected = new ChatRejected("alice", ALICE, 1, "no client named zed is connected");
    receive(E1, 2, rejected);
    receive(E1, 3, new Chat("alice", ALICE, 1, "zed", "hi"));
    state(E1, 3, 3, 0);

    assertThat(sink.delivered).containsExactly(joined("alice", ALICE), rejected);
    assertThat(replica.lastClientSeq(ALICE)).isEqualTo(1);
  }

  @Test
  void chatsOfDifferentSessionsAreNumberedIndependently() {
    receive(E1, 1, joined("alice", ALICE));
    receive(E1, 2, joined("bob", BOB));
    receive(E1, 3, chat("alice", ALICE, 1));
    receive(E1, 4, chat("bob", BOB, 1));
    state(E1, 4, 4, 0);

    assertThat(sink.delivered).contains(chat("alice", ALICE, 1), chat("bob", BOB, 1));
    assertThat(replica.lastClientSeq(BOB)).isEqualTo(1);
    assertThat(replica.lastClientSeq(CAROL)).isZero();
  }

  @Test
  void joinedAndLeftChangeTheDirectoryBeforeTheSinkHearsOfThem() {
    Left aliceLeft = new Left("alice", ALICE, "left");
    receive(E1, 1, joined("alice", ALICE));
    receive(E1, 2, joined("bob", BOB));
    receive(E1, 3, aliceLeft);
    state(E1, 3, 3, 0);

    assertThat(sink.delivered)
        .containsExactly(joined("alice", ALICE), joined("bob", BOB), aliceLeft);
    assertThat(sink.directoryAtDelivery)
        .extracting(Map::keySet)
        .containsExactly(
            java.util.Set.of(ALICE), java.util.Set.of(ALICE, BOB), java.util.Set.of(BOB));
    assertThat(replica.directory()).containsOnlyKeys(BOB);
    assertThat(replica.directory().get(BOB)).isEqualTo(new Session("bob", BOB, OTHER, 0));
  }

  @Test
  void aDirectoryReplacesTheOldOneOnlyOnceEveryPartIsDelivered() {
    receive(E1, 1, joined("alice", ALICE));
    state(E1, 1, 1, 0);
    Session bob = new Session("bob", BOB, OTHER, 3);
    Session carol = new Session("carol", CAROL, SELF, 0);

    flushInto(E2);
    receive(E2, 1, new Directory(0, 2, List.of(bob)));
    state(E2, 1, 1, 0);
    assertThat(replica.directory()).as("one part of two").containsOnlyKeys(ALICE);
    assertThat(sink.replacements).isEmpty();

    receive(E2, 2, new Directory(1, 2, List.of(carol)));
    state(E2, 2, 2, 0);

    assertThat(replica.directory()).containsOnlyKeys(BOB, CAROL);
    assertThat(sink.replacements).hasSize(1);
    assertThat(sink.replacements.get(0).before())
        .isEqualTo(Map.of(ALICE, new Session("alice", ALICE, OTHER, 0)));
    assertThat(sink.replacements.get(0).after()).isEqualTo(Map.of(BOB, bob, CAROL, carol));
  }

  // ---------------------------------------------------------------- bounds

  @Test
  void anEntryFartherThanTheReceiveWindowIsDropped() {
    receive(E1, StreamReplica.RECEIVE_WINDOW + 1, refusal("zed", 9));
    assertThat(replica.buffered()).isZero();
    replica.flush();
    assertThat(outbox.sent)
        .as("the replica says where it is")
        .containsExactly(new RecordingOutbox.Sent(LEADER, new StreamAck(E1, 0, 0)));

    receive(E1, StreamReplica.RECEIVE_WINDOW, refusal("zed", 9));
    assertThat(replica.buffered()).isEqualTo(1);
  }

  @Test
  void aReplicaNeverGoesBackToAnEpochItHasLeftSoNothingIsDeliveredTwice() {
    receive(E1, 1, refusal("alice", 1));
    state(E1, 1, 1, 0);
    flushInto(E3);
    receive(E3, 1, new Directory(0, 1, List.of()));
    state(E3, 1, 1, 0);

    // Late copies of E1's stream from its leader (who may lead again in a later term, so the
    // router lets them through).
    replica.onSequenced(LEADER, new Sequenced(E1, 1, refusal("alice", 1)), now);
    replica.onStreamState(LEADER, new StreamState(E1, 1, 1, 0), now);

    assertThat(replica.epoch()).as("E1 is older than E3").isEqualTo(E3);
    assertThat(sink.delivered).as("delivered never twice").containsExactly(refusal("alice", 1));
  }

  // ---------------------------------------------------------------- helpers

  private static NodeId leaderOf(long epoch) {
    return epoch == E3 ? NEXT_LEADER : LEADER;
  }

  /** The epoch's leader asks this replica to sync for it; the reply is forgotten. */
  private void flushInto(long epoch) {
    replica.onSyncRequest(leaderOf(epoch), new SyncRequest(epoch));
    assertThat(outbox.sentTo(leaderOf(epoch), SyncReply.class)).as("answered").isNotEmpty();
    outbox.clear();
  }

  private void receive(long epoch, long seq, StreamEntry entry) {
    replica.onSequenced(leaderOf(epoch), new Sequenced(epoch, seq, entry), now);
  }

  private void state(long epoch, long head, long stable, long delivered) {
    replica.onStreamState(leaderOf(epoch), new StreamState(epoch, head, stable, delivered), now);
  }

  private SyncReply onlyReplyTo(NodeId to) {
    List<SyncReply> replies = outbox.sentTo(to, SyncReply.class);
    assertThat(replies).hasSize(1);
    return replies.get(0);
  }

  private static Joined joined(String name, long session) {
    return new Joined(name, session, OTHER);
  }

  private static Chat chat(String name, long session, long clientSeq) {
    return new Chat(name, session, clientSeq, null, name + " says " + clientSeq);
  }

  /** An entry with no effect on the directory or the numbering: it is delivered exactly as often as applied. */
  private static JoinRefused refusal(String name, long session) {
    return new JoinRefused(name, session, OTHER, "the name is taken");
  }

  /** Records what the replica delivers, with a copy of the directory at each delivery. */
  static final class RecordingSink implements StreamReplica.Sink {
    record Replacement(Map<Long, Session> before, Map<Long, Session> after) {}

    final List<StreamEntry> delivered = new ArrayList<>();
    final List<Map<Long, Session>> directoryAtDelivery = new ArrayList<>();
    final List<Replacement> replacements = new ArrayList<>();
    final List<Long> epochsStarted = new ArrayList<>();
    List<Session> report = List.of();

    @Override
    public void onDelivered(StreamEntry entry, Map<Long, Session> directory) {
      delivered.add(entry);
      directoryAtDelivery.add(new LinkedHashMap<>(directory));
    }

    @Override
    public void onDirectoryReplaced(Map<Long, Session> before, Map<Long, Session> after) {
      replacements.add(new Replacement(new LinkedHashMap<>(before), new LinkedHashMap<>(after)));
    }

    @Override
    public void onEpochStarted(long epoch) {
      epochsStarted.add(epoch);
    }

    @Override
    public List<Session> sessionReport() {
      return report;
    }
  }
}
