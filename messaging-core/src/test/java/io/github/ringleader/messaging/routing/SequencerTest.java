package io.github.ringleader.messaging.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.ringleader.messaging.node.NodeId;
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
import io.github.ringleader.messaging.session.ResumeToken;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The leader's sequencer for one epoch, driven by hand: the tests play the members (their sync
 * replies, forwards and acknowledgements), time is an explicit {@code now}, and a recording
 * outbox catches the stream.
 *
 * <p>The epoch's members are {@code server9} (the leader, this node), {@code server1} and {@code
 * server2}; {@code server7} is not a member.
 */
class SequencerTest {

  private static final NodeId SELF = NodeId.of("server9");
  private static final NodeId A = NodeId.of("server1");
  private static final NodeId B = NodeId.of("server2");
  private static final NodeId OUTSIDER = NodeId.of("server7");
  private static final long RETRY = 100;
  private static final long STATE_INTERVAL = 1_000;

  private static final long EPOCH = Epochs.of(3, SELF, 1, 0);
  private static final long OLDER = Epochs.of(2, A, 1, 1);
  private static final long OLDEST = Epochs.of(1, B, 1, 4);

  private static final long ALICE = 11;
  private static final long BOB = 22;
  private static final long CAROL = 33;
  private static final long DAN = 44;
  private static final long NEWCOMER = 55;

  private static final Session ALICE_ON_A = new Session("alice", ALICE, A, 0);
  private static final Session BOB_ON_B = new Session("bob", BOB, B, 0);
  private static final Session CAROL_HERE = new Session("carol", CAROL, SELF, 0);

  private final RecordingOutbox outbox = new RecordingOutbox();
  private final Sequencer sequencer =
      new Sequencer(SELF, EPOCH, List.of(A, B), outbox, RETRY, STATE_INTERVAL);
  private long now = 1_000;

  // ---------------------------------------------------------------- flush

  @Test
  void theLeaderIsAMemberOfItsOwnEpoch() {
    assertThat(sequencer.members()).containsExactlyInAnyOrder(SELF, A, B);
    assertThat(sequencer.epoch()).isEqualTo(EPOCH);
  }

  @Test
  void beginningAsksEveryOtherMemberForItsStateAndSequencesNothingYet() {
    sequencer.begin(List.of(reply()), now);

    assertThat(outbox.sent)
        .containsExactlyInAnyOrder(
            new RecordingOutbox.Sent(A, new SyncRequest(EPOCH)),
            new RecordingOutbox.Sent(B, new SyncRequest(EPOCH)));
    assertThat(outbox.toAll).isEmpty();
    assertThat(sequencer.isActive()).isFalse();
  }

  @Test
  void membersThatHaveNotAnsweredAreAskedAgainOnTickEveryRetryInterval() {
    sequencer.begin(List.of(reply()), now);
    sequencer.onSyncReply(A, reply(), now);
    outbox.clear();
    assertThat(sequencer.nextDeadlineNanos()).isEqualTo(now + RETRY);

    sequencer.onTick(now + RETRY - 1);
    assertThat(outbox.sent).isEmpty();

    sequencer.onTick(now + RETRY);
    assertThat(outbox.sent).containsExactly(new RecordingOutbox.Sent(B, new SyncRequest(EPOCH)));

    outbox.clear();
    sequencer.onTick(now + 2 * RETRY);
    assertThat(outbox.sent).containsExactly(new RecordingOutbox.Sent(B, new SyncRequest(EPOCH)));
  }

  @Test
  void theEpochStartsOnlyOnceEveryMemberHasAnswered() {
    sequencer.begin(List.of(reply()), now);
    sequencer.onSyncReply(A, reply(), now);
    assertThat(sequencer.isActive()).isFalse();
    assertThat(outbox.toAll).isEmpty();

    sequencer.onSyncReply(B, reply(), now);

    assertThat(sequencer.isActive()).isTrue();
    assertThat(outbox.toAll(Sequenced.class))
        .containsExactly(new Sequenced(EPOCH, 1, new Directory(0, 1, List.of())));
  }

  @Test
  void aReplyIsCompleteOnlyWithAllItsPartsAndAnIncompleteOneIsAskedForAgain() {
    sequencer.begin(List.of(reply()), now);
    SyncReply first = new SyncReply(EPOCH, OLDER, 0, 0, 2, List.of(), List.of(ALICE_ON_A));
    SyncReply second = new SyncReply(EPOCH, OLDER, 0, 1, 2, List.of(), List.of());
    sequencer.onSyncReply(A, first, now);
    sequencer.onSyncReply(A, first, now); // the same part twice does not make two
    sequencer.onSyncReply(B, reply(), now);
    assertThat(sequencer.isActive()).isFalse();
    outbox.clear();

    sequencer.onTick(now + RETRY);
    assertThat(outbox.sent).containsExactly(new RecordingOutbox.Sent(A, new SyncRequest(EPOCH)));

    sequencer.onSyncReply(A, second, now + RETRY);
    assertThat(sequencer.isActive()).isTrue();
    assertThat(directoryOpening()).containsExactly(ALICE_ON_A);
  }

  @Test
  void aSilentMemberThatIsGoneNoLongerHoldsUpTheStart() {
    sequencer.begin(List.of(reply()), now);
    sequencer.onSyncReply(A, reply(), now);

    sequencer.onMemberGone(B, now);

    assertThat(sequencer.isActive()).isTrue();
    assertThat(sequencer.members()).containsExactlyInAnyOrder(SELF, A);
    outbox.clear();
    sequencer.onTick(now + 10 * RETRY);
    assertThat(outbox.sentTo(B, SyncRequest.class)).isEmpty();
  }

  @Test
  void aLeaderAloneStartsAtOnce() {
    Sequencer alone = new Sequencer(SELF, EPOCH, List.of(), outbox, RETRY, STATE_INTERVAL);

    alone.begin(List.of(reply(CAROL_HERE)), now);

    assertThat(alone.isActive()).isTrue();
    assertThat(outbox.sent).isEmpty();
    assertThat(outbox.sequencedEntries()).containsExactly(new Directory(0, 1, List.of(CAROL_HERE)));
  }

  @Test
  void repliesForAnotherEpochOrFromANonMemberAreIgnored() {
    Session danOutside = new Session("dan", DAN, OUTSIDER, 0);
    sequencer.begin(List.of(reply()), now);
    sequencer.onSyncReply(A, new SyncReply(EPOCH + 1, OLDER, 0, 0, 1, List.of(), List.of()), now);
    sequencer.onSyncReply(OUTSIDER, reply(danOutside), now);
    sequencer.onSyncReply(B, reply(), now);
    assertThat(sequencer.isActive()).as("A has not answered for this epoch").isFalse();

    sequencer.onSyncReply(A, reply(), now);

    assertThat(sequencer.isActive()).isTrue();
    assertThat(directoryOpening()).isEmpty();
  }

  @Test
  void theOpeningDirectoryHoldsTheSessionsReportedByTheirOwnServers() {
    Session zedOnB = new Session("zed", 99, B, 4); // A still knows zed; B no longer reports it
    sequencer.begin(List.of(reply(CAROL_HERE)), now);
    sequencer.onSyncReply(A, reply(ALICE_ON_A, new Session("bob", BOB, B, 7), zedOnB), now);
    sequencer.onSyncReply(B, reply(new Session("bob", BOB, B, 3)), now);

    assertThat(outbox.sequencedEntries()).hasSize(1);
    assertThat(directoryOpening())
        .containsExactlyInAnyOrder(ALICE_ON_A, new Session("bob", BOB, B, 3), CAROL_HERE);
  }

  @Test
  void aLargeDirectoryIsSplitIntoNumberedParts() {
    List<Session> many = new ArrayList<>();
    for (int i = 0; i < 2 * Sequencer.DIRECTORY_PART_SESSIONS + 50; i++) {
      many.add(new Session("client" + i, 1000 + i, A, 0));
    }
    sequencer.begin(List.of(reply()), now);
    sequencer.onSyncReply(A, reply(many.toArray(new Session[0])), now);
    sequencer.onSyncReply(B, reply(), now);

    List<StreamEntry> opening = outbox.sequencedEntries();
    assertThat(opening).hasSize(3).allMatch(e -> e instanceof Directory);
    for (int i = 0; i < 3; i++) {
      Directory part = (Directory) opening.get(i);
      assertThat(part.part()).isEqualTo(i);
      assertThat(part.parts()).isEqualTo(3);
      assertThat(part.sessions().size()).isLessThanOrEqualTo(Sequencer.DIRECTORY_PART_SESSIONS);
    }
    assertThat(directoryOpening()).containsExactlyInAnyOrderElementsOf(many);
  }

  @Test
  void carriedEntriesFollowTheDirectoryInOriginOrderEachOnce() {
    Chat c1 = chat("alice", ALICE, 1);
    Chat c2 = chat("alice", ALICE, 2);
    Chat c3 = chat("alice", ALICE, 3);
    Chat c4 = chat("alice", ALICE, 4);
    JoinRefused oldest = new JoinRefused("eve", 66, A, "the name eve is taken");
    sequencer.begin(
        List.of(reply(List.of(new SequencedEntry(1, new Carried(OLDER, 1, c1))), CAROL_HERE)), now);
    sequencer.onSyncReply(
        A,
        reply(
            List.of(
                new SequencedEntry(3, new Carried(OLDER, 3, c3)),
                new SequencedEntry(4, new Carried(OLDER, 4, c4))),
            ALICE_ON_A),
        now);
    sequencer.onSyncReply(
        B,
        reply(List.of(
            new SequencedEntry(0, new Carried(OLDEST, 7, oldest)),
            new SequencedEntry(2, new Carried(OLDER, 2, c2)),
            new SequencedEntry(3, new Carried(OLDER, 3, c3)))),
        now);

    List<Sequenced> stream = outbox.toAll(Sequenced.class);
    assertThat(stream).extracting(Sequenced::epoch).containsOnly(EPOCH);
    assertThat(stream).extracting(Sequenced::seq).containsExactly(1L, 2L, 3L, 4L, 5L, 6L);
    assertThat(stream.get(0).entry()).isInstanceOf(Directory.class);
    assertThat(stream.subList(1, 6))
        .extracting(Sequenced::entry)
        .containsExactly(
            new Carried(OLDEST, 7, oldest),
            new Carried(OLDER, 1, c1),
            new Carried(OLDER, 2, c2),
            new Carried(OLDER, 3, c3),
            new Carried(OLDER, 4, c4));
  }

  @Test
  void aCarriedJoinOfAClientWhoseServerIsNotAMemberIsFollowedByItsLeft() {
    Joined danJoined = new Joined("dan", DAN, OUTSIDER);
    sequencer.begin(List.of(reply()), now);
    sequencer.onSyncReply(
        A, reply(List.of(new SequencedEntry(5, new Carried(OLDER, 5, danJoined)))), now);
    sequencer.onSyncReply(B, reply(), now);

    List<StreamEntry> stream = outbox.sequencedEntries();
    assertThat(stream).hasSize(3);
    assertThat(stream.get(1)).isEqualTo(new Carried(OLDER, 5, danJoined));
    assertThat(stream.get(2)).isInstanceOfSatisfying(Left.class, left -> {
      assertThat(left.name()).isEqualTo("dan");
      assertThat(left.session()).isEqualTo(DAN);
      assertThat(left.reason()).contains(OUTSIDER.value());
    });

    outbox.clear();
    forward(chat("dan", DAN, 1));
    assertThat(outbox.toAll).as("dan is gone").isEmpty();
    forward(new Joined("Dan", NEWCOMER, B));
    assertThat(outbox.sequencedEntries())
        .as("and the name is free")
        .containsExactly(new Joined("Dan", NEWCOMER, B));
  }

  @Test
  void aNameClaimedOnBothSidesOfASplitIsKeptByOneSessionAndTheOtherIsToldToLeave() {
    Session aliceOnB = new Session("Alice", DAN, B, 0);
    sequencer.begin(List.of(reply()), now);
    sequencer.onSyncReply(A, reply(ALICE_ON_A), now);
    sequencer.onSyncReply(B, reply(aliceOnB), now);

    List<StreamEntry> stream = outbox.sequencedEntries();
    assertThat(stream).hasSize(2);
    assertThat(directoryOpening()).containsExactlyInAnyOrder(ALICE_ON_A, aliceOnB);
    Left left = (Left) stream.get(1);
    assertThat(left.session()).isIn(ALICE, DAN);
    assertThat(left.reason()).contains("split");
    long winner = left.session() == ALICE ? DAN : ALICE;
    String winnerName = winner == ALICE ? "alice" : "Alice";

    outbox.clear();
    forward(chat(left.name(), left.session(), 1));
    forward(chat(winnerName, winner, 1));
    forward(new Joined("ALICE", NEWCOMER, B));
    List<StreamEntry> after = outbox.sequencedEntries();
    assertThat(after).as("the loser is gone, the winner keeps the name").hasSize(2);
    assertThat(after.get(0)).isEqualTo(chat(winnerName, winner, 1));
    assertThat(after.get(1)).isInstanceOf(JoinRefused.class);
  }

  @Test
  void nothingForwardedBeforeTheEpochStartsIsSequenced() {
    sequencer.begin(List.of(reply()), now);
    forward(new Joined("alice", ALICE, A));
    sequencer.onSyncReply(A, reply(), now);
    sequencer.onSyncReply(B, reply(), now);

    assertThat(outbox.sequencedEntries()).containsExactly(new Directory(0, 1, List.of()));
  }

  // ---------------------------------------------------------------- the gate

  @Test
  void aJoinOfANameTakenIgnoringCaseIsRefused() {
    startWith(List.of(ALICE_ON_A), List.of());

    forward(new Joined("ALICE", NEWCOMER, B));

    assertThat(outbox.sequencedEntries())
        .singleElement()
        .isInstanceOfSatisfying(JoinRefused.class, refused -> {
          assertThat(refused.name()).isEqualTo("ALICE");
          assertThat(refused.session()).isEqualTo(NEWCOMER);
          assertThat(refused.server()).isEqualTo(B);
          assertThat(refused.reason()).contains("alice").contains("taken");
        });
  }

  @Test
  void aSessionsChatsAreSequencedInTheOrderItsServerNumberedThem() {
    startWith(List.of(ALICE_ON_A), List.of());

    forward(chat("alice", ALICE, 3));
    forward(chat("alice", ALICE, 2));
    assertThat(outbox.toAll).as("1 has not come yet").isEmpty();

    forward(chat("alice", ALICE, 1));

    assertThat(outbox.sequencedEntries())
        .containsExactly(chat("alice", ALICE, 1), chat("alice", ALICE, 2), chat("alice", ALICE, 3));
  }

  @Test
  void aChatForwardedAgainAfterItWasSequencedIsDropped() {
    startWith(List.of(ALICE_ON_A), List.of());

    forward(chat("alice", ALICE, 1));
    forward(chat("alice", ALICE, 1));
    forward(chat("alice", ALICE, 2));
    forward(chat("alice", ALICE, 1));

    assertThat(outbox.sequencedEntries())
        .containsExactly(chat("alice", ALICE, 1), chat("alice", ALICE, 2));
  }

  @Test
  void chatsWaitingForAnEarlierOneAreBoundedPerSession() {
    startWith(List.of(ALICE_ON_A), List.of());
    int held = Sequencer.HELD_PER_SESSION;
    for (long seq = 2; seq <= held + 2; seq++) {
      forward(chat("alice", ALICE, seq));
    }
    assertThat(outbox.toAll).isEmpty();

    forward(chat("alice", ALICE, 1));

    List<StreamEntry> stream = outbox.sequencedEntries();
    assertThat(stream).as("1 and the " + held + " held").hasSize(held + 1);
    assertThat(stream.get(held)).isEqualTo(chat("alice", ALICE, held + 1));

    forward(chat("alice", ALICE, held + 2));
    assertThat(outbox.sequencedEntries()).as("the dropped one, forwarded again").hasSize(held + 2);
  }

  @Test
  void aPrivateChatToANameNobodyHasIsRejectedAndOneToAConnectedNameInAnyCaseIsSequenced() {
    startWith(List.of(ALICE_ON_A), List.of(BOB_ON_B));
    Chat toNobody = new Chat("alice", ALICE, 1, "zed", "psst");
    Chat toBob = new Chat("alice", ALICE, 2, "BOB", "psst");

    forward(toNobody);
    forward(toBob);

    List<StreamEntry> stream = outbox.sequencedEntries();
    assertThat(stream).hasSize(2);
    assertThat(stream.get(0)).isInstanceOfSatisfying(ChatRejected.class, rejected -> {
      assertThat(rejected.from()).isEqualTo("alice");
      assertThat(rejected.session()).isEqualTo(ALICE);
      assertThat(rejected.clientSeq()).isEqualTo(1);
      assertThat(rejected.reason()).contains("zed");
    });
    assertThat(stream.get(1)).isEqualTo(toBob);

    forward(toNobody);
    assertThat(outbox.sequencedEntries())
        .as("a rejected chat is sequenced once too")
        .hasSize(2);
  }

  @Test
  void aChatFromASessionThatIsNotConnectedIsDropped() {
    startWith(List.of(ALICE_ON_A), List.of());

    forward(chat("zed", 99, 1));

    assertThat(outbox.toAll).isEmpty();
  }

  @Test
  void aLeftIsSequencedOnceAndEndsTheSession() {
    startWith(List.of(ALICE_ON_A), List.of());
    Left left = new Left("alice", ALICE, "left");

    forward(left);
    forward(left);
    forward(chat("alice", ALICE, 1));
    forward(new Joined("Alice", NEWCOMER, B));

    assertThat(outbox.sequencedEntries()).containsExactly(left, new Joined("Alice", NEWCOMER, B));
  }

  @Test
  void theLastSequencedNumberOfASessionIsTheMostAnyMemberReported() {
    sequencer.begin(List.of(reply()), now);
    sequencer.onSyncReply(A, reply(new Session("alice", ALICE, A, 2)), now);
    sequencer.onSyncReply(B, reply(new Session("alice", ALICE, A, 5)), now);
    outbox.clear();

    forward(chat("alice", ALICE, 3));
    forward(chat("alice", ALICE, 5));
    assertThat(outbox.toAll).as("delivered by B already").isEmpty();

    forward(chat("alice", ALICE, 6));
    assertThat(outbox.sequencedEntries()).containsExactly(chat("alice", ALICE, 6));
  }

  // ---------------------------------------------------------------- stability

  @Test
  void stableIsTheLeastEveryMemberReceivedAndIsAnnouncedOnFlush() {
    startWith(List.of(ALICE_ON_A), List.of());
    forward(chat("alice", ALICE, 1));
    forward(chat("alice", ALICE, 2)); // head 3
    outbox.clear();

    ack(SELF, 3, 0);
    ack(A, 2, 0);
    ack(B, 1, 0);
    sequencer.flush(now);
    assertThat(outbox.toAll).containsExactly(new StreamState(EPOCH, 3, 1, 0));

    outbox.clear();
    ack(B, 3, 1);
    sequencer.flush(now);
    assertThat(outbox.toAll).containsExactly(new StreamState(EPOCH, 3, 2, 0));

    outbox.clear();
    ack(SELF, 3, 3);
    ack(A, 3, 2);
    ack(B, 3, 3);
    sequencer.flush(now);
    assertThat(outbox.toAll).containsExactly(new StreamState(EPOCH, 3, 3, 2));
  }

  @Test
  void theStreamStateIsSentOnlyWhenItChangesAndAgainOnTick() {
    startWith(List.of(), List.of());
    ackAll(1, 0);
    sequencer.flush(now);
    assertThat(outbox.toAll).containsExactly(new StreamState(EPOCH, 1, 1, 0));

    outbox.clear();
    sequencer.flush(now);
    ackAll(1, 0);
    sequencer.flush(now);
    assertThat(outbox.toAll).as("nothing changed").isEmpty();

    sequencer.onTick(now + RETRY - 1);
    assertThat(outbox.toAll).isEmpty();
    sequencer.onTick(now + RETRY);
    assertThat(outbox.toAll)
        .as("not delivered everywhere yet: again after the retry interval")
        .containsExactly(new StreamState(EPOCH, 1, 1, 0));

    outbox.clear();
    now += RETRY;
    ackAll(1, 1);
    sequencer.flush(now);
    assertThat(outbox.toAll).containsExactly(new StreamState(EPOCH, 1, 1, 1));
    outbox.clear();
    sequencer.onTick(now + STATE_INTERVAL - 1);
    assertThat(outbox.toAll).isEmpty();
    sequencer.onTick(now + STATE_INTERVAL);
    assertThat(outbox.toAll)
        .as("all delivered: every state interval")
        .containsExactly(new StreamState(EPOCH, 1, 1, 1));
  }

  @Test
  void anAcknowledgementOfAnotherEpochOrFromANonMemberCountsForNothing() {
    startWith(List.of(), List.of());
    ack(SELF, 1, 1);
    ack(A, 1, 1);
    sequencer.onStreamAck(B, new StreamAck(EPOCH - 1, 1, 1), now);
    sequencer.onStreamAck(OUTSIDER, new StreamAck(EPOCH, 1, 1), now);
    sequencer.flush(now);

    assertThat(outbox.toAll(StreamState.class)).isEmpty();
  }

  @Test
  void aMemberThatIsGoneNoLongerHoldsBackStability() {
    startWith(List.of(), List.of());
    ack(SELF, 1, 1);
    ack(A, 1, 1);
    sequencer.flush(now);
    assertThat(outbox.toAll).isEmpty();

    sequencer.onMemberGone(B, now);
    sequencer.flush(now);

    assertThat(outbox.toAll).containsExactly(new StreamState(EPOCH, 1, 1, 1));
  }

  @Test
  void aLaggingMemberGetsTheMissingEntriesAgainOnceTheRetryIntervalHasPassed() {
    startWith(List.of(ALICE_ON_A), List.of());
    forward(chat("alice", ALICE, 1));
    forward(chat("alice", ALICE, 2)); // head 3
    ack(SELF, 3, 0);
    ack(B, 3, 0);
    ack(A, 1, 0);
    outbox.clear();

    sequencer.onTick(now + RETRY - 1);
    assertThat(outbox.sent).isEmpty();
    assertThat(sequencer.nextDeadlineNanos()).isLessThanOrEqualTo(now + RETRY);

    sequencer.onTick(now + RETRY);
    assertThat(outbox.sent)
        .containsExactly(
            new RecordingOutbox.Sent(A, new Sequenced(EPOCH, 2, chat("alice", ALICE, 1))),
            new RecordingOutbox.Sent(A, new Sequenced(EPOCH, 3, chat("alice", ALICE, 2))));

    outbox.clear();
    sequencer.onStreamAck(A, new StreamAck(EPOCH, 1, 0), now + 2 * RETRY);
    assertThat(outbox.sentTo(A, Sequenced.class))
        .as("an acknowledgement still short of the head, a retry interval later")
        .extracting(Sequenced::seq)
        .containsExactly(2L, 3L);
  }

  @Test
  void noNewRequestIsTakenWhileAWindowOfEntriesIsNotDeliveredEverywhere() {
    startWith(List.of(ALICE_ON_A), List.of());
    for (long seq = 1; seq < Sequencer.WINDOW; seq++) {
      forward(chat("alice", ALICE, seq));
    }
    assertThat(sequencer.head()).isEqualTo(Sequencer.WINDOW);

    forward(chat("alice", ALICE, Sequencer.WINDOW));
    forward(new Joined("bob", BOB, B));
    assertThat(sequencer.head()).as("the window is full").isEqualTo(Sequencer.WINDOW);

    ackAll(Sequencer.WINDOW, 1);
    forward(chat("alice", ALICE, Sequencer.WINDOW));
    assertThat(sequencer.head()).isEqualTo(Sequencer.WINDOW + 1);
    assertThat(sequencer.logSize()).isLessThanOrEqualTo(Sequencer.WINDOW);
  }

  @Test
  void aJoinOfAConnectedSessionIsSequencedAgainEachTimeItsServerAsksAgain() {
    startWith(List.of(), List.of());
    Joined join = new Joined("alice", ALICE, A);

    forward(join);
    forward(join);
    forward(join);

    // A server asks again only while it has not delivered the join (it may have been sequenced
    // where that server was not a member): the same decision each time; others skip the copies.
    assertThat(outbox.sequencedEntries()).containsExactly(join, join, join);
  }

  @Test
  void aChatCarriedFromAnEarlierEpochDoesNotMakeItsSessionConnected() {
    // dan's server is gone; a chat of his that one member delivered is carried into this epoch
    Chat danSaid = chat("dan", DAN, 3);
    sequencer.begin(List.of(reply()), now);
    sequencer.onSyncReply(
        A,
        reply(
            List.of(new SequencedEntry(7, new Carried(OLDER, 7, danSaid))),
            new Session("dan", DAN, OUTSIDER, 3)), // A still remembers dan
        now);
    sequencer.onSyncReply(B, reply(), now);
    assertThat(directoryOpening()).isEmpty();
    outbox.clear();

    forward(chat("dan", DAN, 4)); // e.g. from his cut-off server, which still sees this leader

    assertThat(outbox.toAll)
        .as("a chat from a session that is not connected is dropped")
        .isEmpty();
  }

  @Test
  void noNewRequestIsTakenWhileTheOpeningLeavesAWindowOfEntriesUndelivered() {
    List<SequencedEntry> carried = new ArrayList<>();
    for (long seq = 1; seq <= Sequencer.WINDOW + 100; seq++) {
      carried.add(new SequencedEntry(seq, new Carried(OLDER, seq, chat("alice", ALICE, seq))));
    }
    sequencer.begin(List.of(reply()), now);
    sequencer.onSyncReply(A, reply(carried, ALICE_ON_A), now);
    sequencer.onSyncReply(B, reply(), now);
    long opening = sequencer.head();

    forward(new Joined("bob", 77L, B));

    assertThat(sequencer.head())
        .as("the opening itself may exceed the window; nothing more")
        .isEqualTo(opening);
  }

  @Test
  void aJoinThatWasRefusedIsNotSequencedAgainWhenItsServerForwardsItAgain() {
    startWith(List.of(ALICE_ON_A), List.of());
    Joined join = new Joined("alice", NEWCOMER, B);
    forward(join); // refused: alice is connected on A
    assertThat(outbox.sequencedEntries()).singleElement().isInstanceOf(JoinRefused.class);

    forward(join); // B sent it again before the refusal reached it

    assertThat(outbox.sequencedEntries())
        .as("a request sequenced before is dropped")
        .hasSize(1);
  }

  @Test
  void aRefusedJoinForwardedAgainAfterTheNamesOwnerLeftDoesNotJoinASessionItsServerGaveUp() {
    startWith(List.of(ALICE_ON_A), List.of());
    Joined join = new Joined("alice", NEWCOMER, B);
    forward(join); // refused; B tells its client so and forgets the session
    forward(new Left("alice", ALICE, "left"));
    outbox.clear();

    forward(join); // a copy B sent before the refusal reached it

    assertThat(outbox.sequencedEntries())
        .as("a request sequenced before is dropped")
        .isEmpty();
  }

  @Test
  void aJoinForwardedAgainAfterItsSessionLeftDoesNotBringTheSessionBack() {
    startWith(List.of(), List.of());
    Joined join = new Joined("alice", ALICE, A);
    forward(join);
    forward(new Left("alice", ALICE, "left"));
    outbox.clear();

    forward(join); // a late copy of the first forward

    assertThat(outbox.sequencedEntries())
        .as("a request sequenced before is dropped")
        .isEmpty();
  }

  @Test
  void aResumeWithoutTheSessionsTokenIsRefusedAndTheSessionStaysWithItsClient() {
    ResumeToken secret = new ResumeToken(0x1234, 0x5678);
    startWith(List.of(new Session("alice", ALICE, A, 0, secret)), List.of());

    sequencer.onForward(B, new StreamEntry.Resumed("alice", ALICE, B, 0, ResumeToken.NONE), now);
    sequencer.onForward(
        B, new StreamEntry.Resumed("alice", ALICE, B, 0, new ResumeToken(0x1234, 0x5679)), now);
    forward(chat("alice", ALICE, 1));

    assertThat(outbox.sequencedEntries()).hasSize(3);
    assertThat(outbox.sequencedEntries().subList(0, 2))
        .allSatisfy(e -> assertThat(e)
            .isInstanceOfSatisfying(
                JoinRefused.class, r -> assertThat(r.server()).isEqualTo(B)));
    assertThat(outbox.sequencedEntries().get(2))
        .as("still alice's, on A")
        .isEqualTo(chat("alice", ALICE, 1));

    sequencer.onForward(B, new StreamEntry.Resumed("alice", ALICE, B, 0, secret), now);
    assertThat(outbox.sequencedEntries())
        .last()
        .isEqualTo(new StreamEntry.Resumed("alice", ALICE, B, 1, secret));
  }

  // ---------------------------------------------------------------- helpers

  /** Starts the epoch with the sessions A and B report as their own, then forgets the opening. */
  private void startWith(List<Session> onA, List<Session> onB) {
    for (Session session : onA) {
      serverOf.put(session.session(), session.server());
    }
    for (Session session : onB) {
      serverOf.put(session.session(), session.server());
    }
    sequencer.begin(List.of(reply()), now);
    sequencer.onSyncReply(A, reply(onA.toArray(new Session[0])), now);
    sequencer.onSyncReply(B, reply(onB.toArray(new Session[0])), now);
    assertThat(sequencer.isActive()).isTrue();
    outbox.clear();
  }

  /** Where each session's requests come from: its server, as the tests set it up. */
  private final java.util.Map<Long, NodeId> serverOf = new java.util.HashMap<>();

  private void forward(StreamEntry request) {
    NodeId from;
    if (request instanceof Joined join) {
      serverOf.putIfAbsent(join.session(), join.server());
      from = join.server();
    } else if (request instanceof StreamEntry.Chat chat) {
      from = serverOf.getOrDefault(chat.session(), A);
    } else if (request instanceof StreamEntry.Left left) {
      from = serverOf.getOrDefault(left.session(), A);
    } else {
      from = A;
    }
    sequencer.onForward(from, request, now);
  }

  private void ack(NodeId from, long received, long delivered) {
    sequencer.onStreamAck(from, new StreamAck(EPOCH, received, delivered), now);
  }

  private void ackAll(long received, long delivered) {
    for (NodeId member : List.of(SELF, A, B)) {
      ack(member, received, delivered);
    }
  }

  /** Every session in the directory entries sent so far. */
  private List<Session> directoryOpening() {
    List<Session> sessions = new ArrayList<>();
    for (StreamEntry entry : outbox.sequencedEntries()) {
      if (entry instanceof Directory directory) {
        sessions.addAll(directory.sessions());
      }
    }
    return sessions;
  }

  private static SyncReply reply(Session... sessions) {
    return reply(List.of(), sessions);
  }

  private static SyncReply reply(List<SequencedEntry> entries, Session... sessions) {
    return new SyncReply(EPOCH, OLDER, 0, 0, 1, entries, List.of(sessions));
  }

  private static Chat chat(String name, long session, long clientSeq) {
    return new Chat(name, session, clientSeq, null, name + " says " + clientSeq);
  }
}
