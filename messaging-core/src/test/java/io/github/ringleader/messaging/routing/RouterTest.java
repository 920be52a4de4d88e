package io.github.ringleader.messaging.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.ringleader.messaging.node.MemberInfo;
import io.github.ringleader.messaging.node.NodeId;
import io.github.ringleader.messaging.protocol.ClusterMessage;
import io.github.ringleader.messaging.protocol.Forward;
import io.github.ringleader.messaging.protocol.Sequenced;
import io.github.ringleader.messaging.protocol.StreamAck;
import io.github.ringleader.messaging.protocol.StreamEntry;
import io.github.ringleader.messaging.protocol.StreamEntry.Chat;
import io.github.ringleader.messaging.protocol.StreamEntry.ChatRejected;
import io.github.ringleader.messaging.protocol.StreamEntry.Directory;
import io.github.ringleader.messaging.protocol.StreamEntry.JoinRefused;
import io.github.ringleader.messaging.protocol.StreamEntry.Joined;
import io.github.ringleader.messaging.protocol.StreamEntry.Left;
import io.github.ringleader.messaging.protocol.StreamEntry.Session;
import io.github.ringleader.messaging.protocol.StreamState;
import io.github.ringleader.messaging.protocol.SyncReply;
import io.github.ringleader.messaging.protocol.SyncRequest;
import io.github.ringleader.messaging.session.ClientLink;
import io.github.ringleader.messaging.session.ClientRequest;
import io.github.ringleader.messaging.session.ResumeToken;
import io.github.ringleader.messaging.session.ServerEvent;
import io.github.ringleader.messaging.session.ServerEvent.Reason;
import io.github.ringleader.messaging.session.WithoutPositions;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * One server's routing, driven by hand. Mostly the server is a follower: the tests play the
 * leader (they read the {@link Forward}s the router sends and answer with {@link Sequenced}
 * entries and {@link StreamState}) and the clients (recording links). Time is an explicit {@code
 * now}. The last tests make the server lead.
 */
class RouterTest {

  private static final NodeId SELF = NodeId.of("server2");
  private static final NodeId LEADER = NodeId.of("server9");
  private static final NodeId NEW_LEADER = NodeId.of("server10");
  private static final NodeId OTHER = NodeId.of("server5");
  private static final NodeId ROOMY = NodeId.of("server4");
  private static final long RETRY = 100;
  private static final long STATE_INTERVAL = 1_000;
  private static final int CAPACITY = 3;

  /** The fake leader's first two flushes, in term 1. */
  private static final long E1 = Epochs.of(1, LEADER, 1, 0);

  private static final long E2 = Epochs.of(1, LEADER, 1, 1);
  /** The first flush of {@code NEW_LEADER}, in term 2. */
  private static final long NEW_LEADERS_EPOCH = Epochs.of(2, NEW_LEADER, 1, 0);
  /** This server's incarnation. */
  private static final long INCARNATION = 7;

  private static final long DAN = 44;

  private final RecordingOutbox outbox = new RecordingOutbox();
  private @Nullable NodeId roomElsewhere = ROOMY;
  private Router router = router(0, () -> roomElsewhere, () -> null);
  private long now = 1_000;

  /** The fake leader's stream. */
  private long epoch = E1;

  private long head;

  @BeforeEach
  void followTheLeaderAndStartItsEpoch() {
    router.onCluster(LEADER, false, 1, lives(SELF, LEADER, OTHER), now);
    router.onSyncRequest(LEADER, new SyncRequest(E1));
    deliver(new Directory(0, 1, List.of()));
    outbox.clear();
  }

  /** Starts over with a router that holds lost sessions for a grace period. */
  private void withGrace() {
    router = router(30_000_000_000L, () -> roomElsewhere, () -> null);
    epoch = E2;
    head = 0;
    router.onCluster(LEADER, false, 1, lives(SELF, LEADER, OTHER), now);
    router.onSyncRequest(LEADER, new SyncRequest(E2));
    deliver(new Directory(0, 1, List.of()));
    outbox.clear();
  }

  // ---------------------------------------------------------------- resume

  @Test
  void aLateCopyOfAnEarlierLettingGoOfALiveSessionIsUndoneByResumingItHere() {
    withGrace();
    Client alice = join("alice");

    deliver(new StreamEntry.Detached("alice", alice.session, "lost its connection"));

    assertThat(forwardedRequests())
        .containsExactly(new StreamEntry.Resumed("alice", alice.session, SELF, 0, alice.token));
    assertThat(alice.link.closed).isFalse();
  }

  @Test
  void aClientIsWelcomedWithItsSessionsTokenWhichTheJoinCarriesToTheCluster() {
    withGrace();
    Client alice = join("alice");

    assertThat(alice.token.isNone()).isFalse();
    assertThat(alice.link.events(ServerEvent.Welcome.class))
        .singleElement()
        .satisfies(w -> assertThat(w.token()).isEqualTo(alice.token));
  }

  @Test
  void aConnectionThatNamesASessionWithoutItsTokenIsRefusedAndTheSessionIsUntouched() {
    withGrace();
    Client alice = join("alice");
    ResumeToken nearMiss = new ResumeToken(alice.token.high(), alice.token.low() ^ 1);
    List<Client> impostors = new ArrayList<>();
    for (ResumeToken guess : List.of(ResumeToken.NONE, nearMiss)) {
      Client impostor = connect();
      impostors.add(impostor);
      router.onClientRequest(
          impostor.connection, new ClientRequest.Resume("alice", alice.session, 0, 0, guess));
    }
    router.flush(now);

    assertThat(impostors).allSatisfy(i -> {
      assertThat(i.link.events)
          .singleElement()
          .isInstanceOfSatisfying(
              ServerEvent.Refused.class, r -> assertThat(r.code()).isEqualTo(Reason.SESSION_ENDED));
      assertThat(i.link.closed).isTrue();
    });
    assertThat(alice.link.closed).as("the session stays with its client").isFalse();
    assertThat(forwardedRequests()).isEmpty();

    // Held for her after her connection broke: the token the directory has decides.
    router.onClientClosed(alice.connection);
    deliver(new StreamEntry.Detached("alice", alice.session, "lost its connection"));
    outbox.clear();
    Client late = connect();
    router.onClientRequest(
        late.connection, new ClientRequest.Resume("alice", alice.session, 0, 0, nearMiss));
    router.flush(now);

    assertThat(late.link.events)
        .singleElement()
        .isInstanceOfSatisfying(
            ServerEvent.Refused.class, r -> assertThat(r.code()).isEqualTo(Reason.SESSION_ENDED));
    assertThat(forwardedRequests()).as("not even asked of the leader").isEmpty();
  }

  @Test
  void aLateCopyOfAnEarlierResumptionHereWithNobodyBehindItIsLetGoAgain() {
    withGrace();

    deliver(new StreamEntry.Resumed("alice", 77, SELF, 3));

    assertThat(forwardedRequests())
        .containsExactly(new StreamEntry.Detached("alice", 77, "lost its connection"));
  }

  @Test
  void aClientTakingOverItsSessionOnTheSameServerIsToldOnlyWhatWasDeliveredAndLosesNothing() {
    withGrace();
    Client alice = join("alice");
    send(alice, 1, null, "one");
    send(alice, 2, null, "two");
    deliver(forwardedRequests().get(0)); // one is delivered, two is still on its way

    Client again = connect();
    router.onClientRequest(
        again.connection, new ClientRequest.Resume("alice", alice.session, 0, 0, alice.token));
    router.flush(now);
    assertThat(again.link.events(ServerEvent.Resumed.class))
        .singleElement()
        .satisfies(
            r -> assertThat(r.lastSendSeq()).as("two is not sequenced yet").isEqualTo(1));
    assertThat(alice.link.closed).as("the old connection is let go").isTrue();

    send(again, 2, null, "two"); // the client sends it again
    assertThat(again.link.events(ServerEvent.Rejected.class)).as("not refused").isEmpty();
    deliver(new Chat("alice", alice.session, 2, null, "two", 1));
    assertThat(again.link.events(ServerEvent.Accepted.class))
        .containsExactly(new ServerEvent.Accepted(2));
  }

  @Test
  void aResumingClientIsToldOfItsRefusedSendsBeforeItIsToldWhatWasTaken() {
    withGrace();
    Client alice = join("alice");
    send(alice, 1, "zed", "psst");
    deliver(new StreamEntry.ChatRejected(
        "alice", alice.session, 1, "no client named zed is connected"));

    Client again = connect();
    router.onClientRequest(
        again.connection, new ClientRequest.Resume("alice", alice.session, 0, 0, alice.token));
    router.flush(now);

    assertThat(again.link.events).hasSizeGreaterThanOrEqualTo(2);
    assertThat(again.link.events.get(0)).isInstanceOfSatisfying(ServerEvent.Rejected.class, r -> {
      assertThat(r.seq()).isEqualTo(1);
      assertThat(r.code()).isEqualTo(Reason.UNKNOWN_RECIPIENT);
    });
    assertThat(again.link.events.get(1)).isInstanceOf(ServerEvent.Resumed.class);
  }

  @Test
  void aServerThatCameUpAfterTheClientsLastMessageSendsItToOneUpLonger() {
    router = router(30_000_000_000L, () -> roomElsewhere, () -> OTHER);
    epoch = E2;
    head = 0;
    router.onCluster(LEADER, false, 1, lives(SELF, LEADER, OTHER), now);
    router.onSyncRequest(LEADER, new SyncRequest(E2));
    deliver(new Directory(0, 1, List.of()));
    outbox.clear();

    Client alice = connect();
    router.onClientRequest(
        alice.connection, new ClientRequest.Resume("alice", 5, E1, 40)); // before E2
    Client bob = connect();
    router.onClientRequest(bob.connection, new ClientRequest.Resume("bob", 6, E2, 1)); // known here
    router.flush(now);

    assertThat(alice.link.events)
        .singleElement()
        .isInstanceOfSatisfying(ServerEvent.Refused.class, r -> {
          assertThat(r.code()).isEqualTo(Reason.BUSY);
          assertThat(r.redirect()).isEqualTo(OTHER);
        });
    assertThat(bob.link.events).as("waits for the leader").isEmpty();
    assertThat(forwardedRequests()).containsExactly(new StreamEntry.Resumed("bob", 6, SELF, 0));
  }

  @Test
  void aResumeIsRefusedWhenTheClusterHoldsNoSessions() {
    Client alice = connect();
    router.onClientRequest(alice.connection, new ClientRequest.Resume("alice", 5, 0, 0));

    assertThat(alice.link.events)
        .singleElement()
        .isInstanceOfSatisfying(
            ServerEvent.Refused.class, r -> assertThat(r.code()).isEqualTo(Reason.SESSION_ENDED));
    assertThat(alice.link.closed).isTrue();
  }

  // ---------------------------------------------------------------- hello

  @Test
  void aHelloWithAnInvalidNameIsRefusedSayingWhyAndTheConnectionIsClosed() {
    Client client = connect();

    hello(client, "-x");

    assertThat(client.link.events)
        .containsExactly(new ServerEvent.Refused(
            Reason.INVALID_NAME,
            "invalid name \"-x\": a name must start with an ASCII letter or digit, not '-'",
            null));
    assertThat(client.link.closed).isTrue();
    assertThat(outbox.sent(Forward.class)).isEmpty();
    assertThat(router.clientCount()).isZero();
  }

  @Test
  void aFullServerRefusesAHelloAndNamesAServerWithRoom() {
    for (String name : List.of("alice", "bob", "carol")) {
      hello(connect(), name); // joining counts
    }
    Client late = connect();

    hello(late, "dave");

    assertThat(late.link.events)
        .singleElement()
        .isInstanceOfSatisfying(ServerEvent.Refused.class, refused -> {
          assertThat(refused.code()).isEqualTo(Reason.SERVER_FULL);
          assertThat(refused.redirect()).isEqualTo(ROOMY);
          assertThat(refused.reason()).contains(SELF.value()).contains(ROOMY.value());
        });
    assertThat(late.link.closed).isTrue();
    assertThat(router.clientCount()).isEqualTo(CAPACITY);
  }

  @Test
  void aFullServerWithNowhereToSendTheClientRefusesWithoutARedirect() {
    roomElsewhere = null;
    for (String name : List.of("alice", "bob", "carol")) {
      hello(connect(), name);
    }
    Client late = connect();

    hello(late, "dave");

    ServerEvent.Refused refused = (ServerEvent.Refused) late.link.events.get(0);
    assertThat(refused.code()).isEqualTo(Reason.SERVER_FULL);
    assertThat(refused.redirect()).isNull();
    assertThat(refused.reason()).contains("no server has room");
  }

  @Test
  void aNameTakenOnThisServerIsRefusedIgnoringCase() {
    join("alice");
    hello(connect(), "bob"); // still joining: its name is taken too
    Client second = connect();
    Client third = connect();

    hello(second, "ALICE");
    hello(third, "Bob");

    assertThat(second.link.events)
        .singleElement()
        .isInstanceOfSatisfying(
            ServerEvent.Refused.class, r -> assertThat(r.code()).isEqualTo(Reason.NAME_TAKEN));
    assertThat(third.link.events)
        .singleElement()
        .isInstanceOfSatisfying(
            ServerEvent.Refused.class, r -> assertThat(r.code()).isEqualTo(Reason.NAME_TAKEN));
    assertThat(second.link.closed).isTrue();
  }

  @Test
  void aJoinIsForwardedToTheLeaderAndWelcomedOnlyOnceItsJoinedEntryIsDelivered() {
    Client alice = connect();
    hello(alice, "alice");

    List<Forward> forwards = outbox.sentTo(LEADER, Forward.class);
    assertThat(forwards).singleElement().extracting(Forward::request).isInstanceOf(Joined.class);
    Joined join = (Joined) forwards.get(0).request();
    assertThat(join.name()).isEqualTo("alice");
    assertThat(join.server()).isEqualTo(SELF);
    assertThat(alice.link.events).as("not before the join is delivered").isEmpty();

    receive(join);
    assertThat(alice.link.events).as("received but not stable").isEmpty();

    stable();
    assertThat(WithoutPositions.of(alice.link.events))
        .containsExactly(new ServerEvent.Welcome("alice", join.session(), SELF));
    assertThat(router.clientCount()).isEqualTo(1);
  }

  @Test
  void aJoinSequencedInAnEpochCutShortIsWelcomedWhenTheNextEpochCarriesIt() {
    Client alice = connect();
    hello(alice, "alice");
    Joined join = (Joined) forwardedRequests().get(0);
    receive(join); // sequenced in E1, not stable here before the flush
    router.onCluster(NEW_LEADER, false, 2, lives(SELF, NEW_LEADER), now);
    router.onSyncRequest(NEW_LEADER, new SyncRequest(NEW_LEADERS_EPOCH));
    assertThat(router.replica().isFrozen()).isTrue();
    stable();
    assertThat(alice.link.events).as("frozen").isEmpty();

    long e = NEW_LEADERS_EPOCH;
    router.onSequenced(NEW_LEADER, new Sequenced(e, 1, new Directory(0, 1, List.of())), now);
    router.onSequenced(
        NEW_LEADER, new Sequenced(e, 2, new StreamEntry.Carried(E1, head, join)), now);
    router.onStreamState(NEW_LEADER, new StreamState(e, 2, 2, 0), now);
    router.flush(now);

    assertThat(WithoutPositions.of(alice.link.events))
        .containsExactly(new ServerEvent.Welcome("alice", join.session(), SELF));
  }

  @Test
  void sessionIdsAreDistinctAndPositive() {
    Client alice = join("alice");
    Client bob = join("bob");

    assertThat(alice.session).isPositive();
    assertThat(bob.session).isPositive().isNotEqualTo(alice.session);
  }

  @Test
  void aSecondHelloOnAJoinedConnectionIsAProtocolError() {
    Client alice = join("alice");

    hello(alice, "alicia");

    assertThat(alice.link.events)
        .last()
        .isInstanceOfSatisfying(
            ServerEvent.Refused.class, r -> assertThat(r.code()).isEqualTo(Reason.PROTOCOL_ERROR));
    assertThat(outbox.sent(Forward.class)).isEmpty();
  }

  @Test
  void aJoinTheLeaderRefusesIsRefusedAsNameTakenAndNotForwardedAgain() {
    Client alice = connect();
    hello(alice, "alice");
    Joined join = (Joined) outbox.sentTo(LEADER, Forward.class).get(0).request();
    outbox.clear();

    deliver(new JoinRefused(
        "alice", join.session(), SELF, "the name Alice is taken by a connected client"));

    assertThat(alice.link.events)
        .containsExactly(new ServerEvent.Refused(
            Reason.NAME_TAKEN, "the name Alice is taken by a connected client", null));
    assertThat(alice.link.closed).isTrue();
    router.onTick(now + 10 * RETRY);
    router.flush(now + 10 * RETRY);
    assertThat(outbox.sent(Forward.class)).isEmpty();
    assertThat(router.clientCount()).isZero();
  }

  // ---------------------------------------------------------------- send

  @Test
  void aSendIsForwardedWithTheClientsNumberChainedToTheLastAndAcceptedOnlyOnceDelivered() {
    Client alice = join("alice");

    send(alice, 10, null, "hello");
    send(alice, 20, null, "again");

    List<StreamEntry> forwarded = forwardedRequests();
    assertThat(forwarded)
        .containsExactly(
            new Chat("alice", alice.session, 10, null, "hello", 0),
            new Chat("alice", alice.session, 20, null, "again", 10));
    assertThat(alice.link.events(ServerEvent.Accepted.class)).isEmpty();

    receive(forwarded.get(0));
    receive(forwarded.get(1));
    assertThat(alice.link.events(ServerEvent.Accepted.class))
        .as("not stable yet")
        .isEmpty();

    stable();
    assertThat(alice.link.events(ServerEvent.Accepted.class))
        .containsExactly(new ServerEvent.Accepted(10), new ServerEvent.Accepted(20));
  }

  @Test
  void aSendWhoseNumberDoesNotIncreaseIsAProtocolErrorUnlessItIsStillOnItsWay() {
    Client alice = join("alice");

    send(alice, 5, null, "one");
    send(alice, 5, null, "two"); // 5 is on its way: taken as sent again (after a resume), ignored
    send(alice, 3, null, "three");
    send(alice, 9, null, "four");

    assertThat(alice.link.events(ServerEvent.Rejected.class))
        .extracting(ServerEvent.Rejected::seq, ServerEvent.Rejected::code)
        .containsExactly(org.assertj.core.groups.Tuple.tuple(3L, Reason.PROTOCOL_ERROR));
    assertThat(forwardedRequests())
        .containsExactly(
            new Chat("alice", alice.session, 5, null, "one", 0),
            new Chat("alice", alice.session, 9, null, "four", 5));
  }

  @Test
  void aSendBeforeTheJoinIsWelcomedIsAProtocolError() {
    Client fresh = connect();
    send(fresh, 1, null, "too early");
    Client joining = connect();
    hello(joining, "alice");
    outbox.clear();
    send(joining, 1, null, "still too early");

    assertThat(fresh.link.events)
        .singleElement()
        .isInstanceOfSatisfying(
            ServerEvent.Rejected.class, r -> assertThat(r.code()).isEqualTo(Reason.PROTOCOL_ERROR));
    assertThat(joining.link.events)
        .singleElement()
        .isInstanceOfSatisfying(
            ServerEvent.Rejected.class, r -> assertThat(r.code()).isEqualTo(Reason.PROTOCOL_ERROR));
    assertThat(outbox.sent(Forward.class)).isEmpty();
  }

  @Test
  void aTextOverTheLimitIsRejectedAsABadMessageAndOneAtTheLimitIsForwarded() {
    Client alice = join("alice");
    String atLimit = "\u20ac".repeat(1365) + "a"; // 4,096 bytes of UTF-8
    String overLimit = atLimit + "a";

    send(alice, 1, null, overLimit);
    send(alice, 2, null, atLimit);

    assertThat(alice.link.events(ServerEvent.Rejected.class)).singleElement().satisfies(r -> {
      assertThat(r.seq()).isEqualTo(1);
      assertThat(r.code()).isEqualTo(Reason.BAD_MESSAGE);
      assertThat(r.reason()).contains("4097").contains("4096");
    });
    assertThat(forwardedRequests())
        .as("the refused send is not in the chain")
        .containsExactly(new Chat("alice", alice.session, 2, null, atLimit, 0));
  }

  @Test
  void aPrivateMessageToANameThatCannotExistIsRejectedAsAnUnknownRecipient() {
    Client alice = join("alice");

    send(alice, 1, "not a name", "psst");

    assertThat(alice.link.events(ServerEvent.Rejected.class))
        .singleElement()
        .satisfies(r -> assertThat(r.code()).isEqualTo(Reason.UNKNOWN_RECIPIENT));
    assertThat(outbox.sent(Forward.class)).isEmpty();
  }

  @Test
  void aChatTheLeaderRejectsIsReportedAsAnUnknownRecipient() {
    Client alice = join("alice");
    send(alice, 7, "zed", "psst");

    deliver(new ChatRejected("alice", alice.session, 7, "no client named zed is connected"));

    assertThat(alice.link.events(ServerEvent.Rejected.class))
        .containsExactly(new ServerEvent.Rejected(
            7, Reason.UNKNOWN_RECIPIENT, "no client named zed is connected"));
    assertThat(alice.link.events(ServerEvent.Accepted.class)).isEmpty();
  }

  @Test
  void aClientWithTooManyUnansweredMessagesIsToldTheServerIsBusy() {
    Client alice = join("alice");
    for (int seq = 1; seq <= Router.MAX_PENDING_PER_SESSION; seq++) {
      send(alice, seq, null, "m" + seq);
    }
    assertThat(alice.link.events(ServerEvent.Rejected.class)).isEmpty();

    send(alice, Router.MAX_PENDING_PER_SESSION + 1, null, "one too many");

    assertThat(alice.link.events(ServerEvent.Rejected.class))
        .singleElement()
        .satisfies(r -> assertThat(r.code()).isEqualTo(Reason.BUSY));
  }

  // ---------------------------------------------------------------- forwarding again

  @Test
  void aPendingRequestIsForwardedAgainEveryRetryIntervalUntilItIsDelivered() {
    Client alice = connect();
    hello(alice, "alice");
    Joined join = (Joined) forwardedRequests().get(0);
    outbox.clear();

    router.flush(now + 1);
    router.onTick(now + RETRY - 1);
    router.flush(now + RETRY - 1);
    assertThat(outbox.sent).isEmpty();
    assertThat(router.nextDeadlineNanos()).isLessThanOrEqualTo(now + RETRY);

    router.onTick(now + RETRY);
    assertThat(outbox.sent).containsExactly(new RecordingOutbox.Sent(LEADER, new Forward(join)));

    outbox.clear();
    now += RETRY;
    deliver(join);
    outbox.clear();
    router.onTick(now + 10 * RETRY);
    router.flush(now + 10 * RETRY);
    assertThat(outbox.sent(Forward.class)).as("delivered: no more forwards").isEmpty();
  }

  @Test
  void pendingRequestsGoAtOnceToANewLeader() {
    Client alice = connect();
    hello(alice, "alice");
    Joined join = (Joined) forwardedRequests().get(0);
    outbox.clear();

    router.onCluster(NEW_LEADER, false, 2, lives(SELF, NEW_LEADER), now + 1);
    router.flush(now + 1);

    assertThat(outbox.sent)
        .containsExactly(new RecordingOutbox.Sent(NEW_LEADER, new Forward(join)));
  }

  @Test
  void pendingRequestsAreForwardedAgainAtOnceWhenANewEpochStarts() {
    Client alice = join("alice");
    send(alice, 1, null, "hi");
    StreamEntry chat = forwardedRequests().get(0);
    router.onSyncRequest(LEADER, new SyncRequest(E2));
    outbox.clear();

    router.onSequenced(LEADER, new Sequenced(E2, 1, new Directory(0, 1, List.of())), now + 1);
    router.flush(now + 1);

    assertThat(outbox.sentTo(LEADER, Forward.class)).containsExactly(new Forward(chat));
  }

  @Test
  void nothingIsForwardedWhileThereIsNoLeaderAndEverythingPendingGoesToTheNextOne() {
    router.onCluster(null, false, 2, lives(SELF), now);
    Client alice = connect();
    hello(alice, "alice");
    router.onTick(now + 5 * RETRY);
    router.flush(now + 5 * RETRY);
    assertThat(outbox.sent(Forward.class)).isEmpty();

    router.onCluster(NEW_LEADER, false, 2, lives(SELF, NEW_LEADER), now + 5 * RETRY);
    router.flush(now + 5 * RETRY);

    assertThat(outbox.sentTo(NEW_LEADER, Forward.class)).hasSize(1);
  }

  @Test
  void aSyncRequestFromAServerThatIsNotTheLeaderIsIgnored() {
    router.onSyncRequest(OTHER, new SyncRequest(Epochs.of(2, OTHER, 1, 0)));

    assertThat(outbox.sent(SyncReply.class)).isEmpty();
    assertThat(router.replica().isFrozen()).isFalse();
  }

  @Test
  void streamMessagesOfAnotherEpochFromAServerThatIsNotTheLeaderAreIgnored() {
    Client alice = join("alice");
    long rivalEpoch = Epochs.of(2, OTHER, 1, 0);
    router.onSyncRequest(
        LEADER, new SyncRequest(rivalEpoch)); // answered: only the router keeps it out

    router.onSequenced(
        OTHER,
        new Sequenced(rivalEpoch, 1, new Chat("dan", DAN, 1, null, "from the other side")),
        now);
    router.onStreamState(OTHER, new StreamState(rivalEpoch, 1, 1, 0), now);

    assertThat(router.replica().epoch()).isEqualTo(E1);
    assertThat(alice.link.events(ServerEvent.Message.class)).isEmpty();
  }

  // ---------------------------------------------------------------- deliveries

  @Test
  void aBroadcastReachesEveryJoinedClientHereIncludingTheSender() {
    Client alice = join("alice");
    Client bob = join("bob");
    Client carol = connect();
    hello(carol, "carol"); // not joined yet
    send(alice, 1, null, "hi all");

    deliver(new Joined("dan", DAN, OTHER), new Chat("dan", DAN, 1, null, "hello from dan"));
    deliver(forwardedRequests().get(1));

    ServerEvent.Message fromDan = new ServerEvent.Message("dan", null, "hello from dan");
    ServerEvent.Message fromAlice = new ServerEvent.Message("alice", null, "hi all");
    assertThat(WithoutPositions.of(alice.link.events(ServerEvent.Message.class)))
        .containsExactly(fromDan, fromAlice);
    assertThat(WithoutPositions.of(bob.link.events(ServerEvent.Message.class)))
        .containsExactly(fromDan, fromAlice);
    assertThat(carol.link.events(ServerEvent.Message.class)).isEmpty();
  }

  @Test
  void aPrivateMessageReachesOnlyItsAddresseeWhateverTheCaseOfTheName() {
    Client alice = join("alice");
    Client bob = join("bob");

    deliver(new Joined("dan", DAN, OTHER), new Chat("dan", DAN, 1, "ALICE", "psst"));

    assertThat(WithoutPositions.of(alice.link.events(ServerEvent.Message.class)))
        .containsExactly(new ServerEvent.Message("dan", "ALICE", "psst"));
    assertThat(bob.link.events(ServerEvent.Message.class)).isEmpty();
  }

  @Test
  void clientsHereHearWhoJoinedAndLeftButNotAboutThemselves() {
    Client alice = join("alice");
    Client bob = join("bob");

    deliver(new Joined("dan", DAN, OTHER));
    deliver(new Left("dan", DAN, "lost its connection"));

    assertThat(alice.link.events(ServerEvent.Presence.class))
        .containsExactly(
            new ServerEvent.Presence("bob", true, ""),
            new ServerEvent.Presence("dan", true, ""),
            new ServerEvent.Presence("dan", false, "lost its connection"));
    assertThat(bob.link.events(ServerEvent.Presence.class))
        .containsExactly(
            new ServerEvent.Presence("dan", true, ""),
            new ServerEvent.Presence("dan", false, "lost its connection"));
  }

  @Test
  void aNewEpochsDirectoryTellsClientsHereWhoIsGoneAndWhoIsNew() {
    Client alice = join("alice");
    deliver(new Joined("dan", DAN, OTHER));
    Session aliceHere = new Session("alice", alice.session, SELF, 0);
    Session erin = new Session("erin", 66, LEADER, 0);

    router.onSyncRequest(LEADER, new SyncRequest(E2));
    epoch = E2;
    head = 0;
    deliver(new Directory(0, 1, List.of(aliceHere, erin)));

    assertThat(alice.link.events(ServerEvent.Presence.class))
        .containsExactly(
            new ServerEvent.Presence("dan", true, ""),
            new ServerEvent.Presence("dan", false, "its server server5 is gone"),
            new ServerEvent.Presence("erin", true, ""));
    assertThat(alice.link.closed).isFalse();
  }

  @Test
  void byeIsAnsweredWithGoodbyeAndTheLeaveIsForwarded() {
    Client alice = join("alice");
    Client bob = join("bob");

    router.onClientRequest(alice.connection, new ClientRequest.Bye());
    router.flush(now);

    assertThat(alice.link.events).last().isEqualTo(new ServerEvent.Goodbye("bye"));
    assertThat(alice.link.closed).isTrue();
    Left left = new Left("alice", alice.session, "left");
    assertThat(forwardedRequests()).containsExactly(left);

    int before = alice.link.events.size();
    deliver(left);
    assertThat(alice.link.events).as("one goodbye").hasSize(before);
    assertThat(bob.link.events).last().isEqualTo(new ServerEvent.Presence("alice", false, "left"));
    assertThat(router.clientCount()).isEqualTo(1);
  }

  @Test
  void aClientWhoseConnectionClosesIsMadeToLeave() {
    Client alice = join("alice");

    router.onClientClosed(alice.connection);
    router.flush(now);

    assertThat(forwardedRequests())
        .containsExactly(new Left("alice", alice.session, "lost its connection"));
  }

  @Test
  void aClientThatDisconnectsWhileJoiningIsMadeToLeaveOnceItsJoinIsDelivered() {
    Client alice = connect();
    hello(alice, "alice");
    Joined join = (Joined) forwardedRequests().get(0);
    router.onClientClosed(alice.connection);
    outbox.clear();

    deliver(join);

    assertThat(alice.link.events).as("the link is gone").isEmpty();
    assertThat(forwardedRequests())
        .containsExactly(new Left("alice", join.session(), "lost its connection"));
  }

  @Test
  void aClientWhoseSessionTheStreamEndsIsToldGoodbyeWithTheReason() {
    Client alice = join("alice");

    deliver(new Left(
        "alice", alice.session, "another client took the name alice while the cluster was split"));

    assertThat(alice.link.events)
        .last()
        .isEqualTo(new ServerEvent.Goodbye(
            "another client took the name alice while the cluster was split"));
    assertThat(alice.link.closed).isTrue();
    assertThat(router.clientCount()).isZero();
  }

  @Test
  void listUsersNamesEveryConnectedClientInAlphabeticalOrderIgnoringCase() {
    Client alice = join("alice");
    join("Carol");
    deliver(new Joined("Bob", DAN, OTHER));

    router.onClientRequest(alice.connection, new ClientRequest.ListUsers());

    assertThat(alice.link.events)
        .last()
        .isEqualTo(new ServerEvent.Users(List.of("alice", "Bob", "Carol")));
  }

  @Test
  void theSessionReportHasTheLocalClientsAndEveryOtherKnownSessionWithWhatWasDeliveredOfEach() {
    Client alice = join("alice");
    send(alice, 1, null, "one");
    send(alice, 2, null, "two");
    List<StreamEntry> chats = forwardedRequests();
    deliver(chats.get(0), chats.get(1));
    deliver(new Joined("dan", DAN, OTHER), new Chat("dan", DAN, 1, null, "hi"));

    assertThat(router.sessionReport())
        .containsExactlyInAnyOrder(
            new Session("alice", alice.session, SELF, 2, alice.token),
            new Session("dan", DAN, OTHER, 1));
  }

  // ---------------------------------------------------------------- leading

  @Test
  void aServerThatBecomesLeaderStartsAnEpochOfItsTermAndAsksTheOtherMembersForTheirState() {
    Router leader = newRouter();
    NodeId a = NodeId.of("server1");

    leader.onCluster(SELF, true, 4, lives(SELF, a, OTHER), now);

    Sequencer sequencer = present(leader.sequencer());
    assertThat(sequencer.epoch()).isEqualTo(Epochs.of(4, SELF, INCARNATION, 0));
    assertThat(sequencer.members()).containsExactlyInAnyOrder(SELF, a, OTHER);
    assertThat(outbox.sent)
        .containsExactlyInAnyOrder(
            new RecordingOutbox.Sent(a, new SyncRequest(Epochs.of(4, SELF, INCARNATION, 0))),
            new RecordingOutbox.Sent(OTHER, new SyncRequest(Epochs.of(4, SELF, INCARNATION, 0))));
    assertThat(leader.replica().isFrozen()).isTrue();
  }

  @Test
  void aLeaderStartsANewEpochWhenTheLiveMembersChangeAndOnlyThen() {
    Router leader = newRouter();
    leader.onCluster(SELF, true, 4, lives(SELF, OTHER), now);
    Sequencer first = leader.sequencer();

    leader.onCluster(SELF, true, 4, lives(OTHER, SELF), now);
    assertThat(leader.sequencer()).as("same members").isSameAs(first);

    leader.onCluster(SELF, true, 4, lives(SELF), now);
    Sequencer second = present(leader.sequencer());
    assertThat(second).isNotSameAs(first);
    assertThat(second.epoch()).isEqualTo(Epochs.of(4, SELF, INCARNATION, 1));

    leader.onCluster(SELF, true, 4, lives(SELF, OTHER, LEADER), now);
    Sequencer third = present(leader.sequencer());
    assertThat(third.epoch()).isEqualTo(Epochs.of(4, SELF, INCARNATION, 2));
  }

  @Test
  void aLeaderStartsANewEpochWhenAMemberComesBackInANewIncarnation() {
    Router leader = newRouter();
    leader.onCluster(SELF, true, 4, lives(SELF, OTHER), now);
    Sequencer first = leader.sequencer();

    leader.onCluster(SELF, true, 4, List.of(new MemberInfo(OTHER, 2, 7000, 0, 10)), now);

    Sequencer second = present(leader.sequencer());
    assertThat(second).isNotSameAs(first);
    assertThat(second.epoch()).isEqualTo(Epochs.of(4, SELF, INCARNATION, 1));
  }

  @Test
  void aLeaderOfANewTermStartsAtThatTermsFirstEpochAndAFollowerHasNoSequencer() {
    Router leader = newRouter();
    leader.onCluster(SELF, true, 4, lives(SELF, OTHER), now);
    leader.onCluster(SELF, true, 4, lives(SELF), now);

    leader.onCluster(SELF, true, 6, lives(SELF), now);
    Sequencer sequencer = present(leader.sequencer());
    assertThat(sequencer.epoch()).isEqualTo(Epochs.of(6, SELF, INCARNATION, 0));

    leader.onCluster(OTHER, false, 7, lives(SELF, OTHER), now);
    assertThat(leader.sequencer()).isNull();
  }

  @Test
  void aLeaderAloneWelcomesAClientAndDeliversItsMessages() {
    Router leader = newRouter();
    leader.onCluster(SELF, true, 1, lives(SELF), now);
    settle(leader);
    RecordingLink link = new RecordingLink();
    long connection = leader.attach(link);

    leader.onClientRequest(connection, new ClientRequest.Hello("alice"));
    settle(leader);
    leader.onClientRequest(connection, new ClientRequest.Send(1, null, "hello, me"));
    settle(leader);

    assertThat(link.events).hasSize(3);
    assertThat(link.events.get(0)).isInstanceOfSatisfying(ServerEvent.Welcome.class, w -> {
      assertThat(w.name()).isEqualTo("alice");
      assertThat(w.server()).isEqualTo(SELF);
    });
    assertThat(WithoutPositions.of(link.events.subList(1, 3)))
        .containsExactlyInAnyOrder(
            new ServerEvent.Accepted(1), new ServerEvent.Message("alice", null, "hello, me"));
  }

  // ---------------------------------------------------------------- helpers

  /** Live members as membership reports them, each in its first incarnation. */
  private static List<MemberInfo> lives(NodeId... ids) {
    List<MemberInfo> members = new ArrayList<>();
    for (NodeId id : ids) {
      members.add(new MemberInfo(id, 1, 7000, 0, 10));
    }
    return members;
  }

  private static <T> T present(@Nullable T value) {
    assertThat(value).isNotNull();
    if (value == null) {
      throw new AssertionError("unreachable");
    }
    return value;
  }

  private Router newRouter() {
    outbox.clear();
    return router(0, () -> null, () -> null);
  }

  /** A router for {@code SELF} with the test's capacity and timings, sending to {@code outbox}. */
  private Router router(
      long graceNanos, Supplier<@Nullable NodeId> redirect, Supplier<@Nullable NodeId> elder) {
    return new Router(
        RoutingConfig.builder(SELF)
            .capacity(CAPACITY)
            .retryNanos(RETRY)
            .stateIntervalNanos(STATE_INTERVAL)
            .graceNanos(graceNanos)
            .build(),
        outbox,
        () -> INCARNATION,
        redirect,
        elder,
        new java.security.SecureRandom());
  }

  /** Plays the node: hands the router what it sent itself and to all, until nothing is left. */
  private void settle(Router self) {
    for (int round = 0; round < 10_000; round++) {
      self.flush(now);
      List<ClusterMessage> mine = new ArrayList<>(outbox.toAll);
      for (RecordingOutbox.Sent sent : outbox.sent) {
        if (sent.to().equals(SELF)) {
          mine.add(sent.message());
        }
      }
      outbox.clear();
      if (mine.isEmpty()) {
        return;
      }
      for (ClusterMessage message : mine) {
        if (message instanceof Forward forward) {
          self.onForward(SELF, forward, now);
        } else if (message instanceof SyncRequest request) {
          self.onSyncRequest(SELF, request);
        } else if (message instanceof SyncReply reply) {
          self.onSyncReply(SELF, reply, now);
        } else if (message instanceof Sequenced sequenced) {
          self.onSequenced(SELF, sequenced, now);
        } else if (message instanceof StreamAck ack) {
          self.onStreamAck(SELF, ack, now);
        } else if (message instanceof StreamState state) {
          self.onStreamState(SELF, state, now);
        }
      }
    }
    throw new AssertionError("routing did not settle");
  }

  private Client connect() {
    RecordingLink link = new RecordingLink();
    return new Client(link, router.attach(link));
  }

  private void hello(Client client, String name) {
    router.onClientRequest(client.connection, new ClientRequest.Hello(name));
    router.flush(now);
  }

  /** Connects a client, lets it join through the fake leader, and forgets the forwards. */
  private Client join(String name) {
    Client client = connect();
    hello(client, name);
    Joined join = null;
    for (StreamEntry request : forwardedRequests()) {
      if (request instanceof Joined j && j.name().equals(name)) {
        join = j;
      }
    }
    join = present(join);
    deliver(join);
    client.session = join.session();
    client.token = join.token();
    assertThat(client.link.events).last().isInstanceOf(ServerEvent.Welcome.class);
    outbox.clear();
    return client;
  }

  private void send(Client client, long seq, @Nullable String to, String text) {
    router.onClientRequest(client.connection, new ClientRequest.Send(seq, to, text));
    router.flush(now);
  }

  /** The requests forwarded to the leader so far, in order. */
  private List<StreamEntry> forwardedRequests() {
    List<StreamEntry> requests = new ArrayList<>();
    for (Forward forward : outbox.sentTo(LEADER, Forward.class)) {
      requests.add(forward.request());
    }
    return requests;
  }

  /** The fake leader sequences {@code entries} (not yet stable). */
  private void receive(StreamEntry... entries) {
    for (StreamEntry entry : entries) {
      router.onSequenced(LEADER, new Sequenced(epoch, ++head, entry), now);
    }
    router.flush(now);
  }

  /** The fake leader announces everything it sequenced as stable. */
  private void stable() {
    router.onStreamState(LEADER, new StreamState(epoch, head, head, 0), now);
    router.flush(now);
  }

  private void deliver(StreamEntry... entries) {
    receive(entries);
    stable();
  }

  private static final class Client {
    final RecordingLink link;
    final long connection;
    long session;
    ResumeToken token = ResumeToken.NONE;

    Client(RecordingLink link, long connection) {
      this.link = link;
      this.connection = connection;
    }
  }

  static final class RecordingLink implements ClientLink {
    final List<ServerEvent> events = new ArrayList<>();
    boolean closed;

    @Override
    public void send(ServerEvent event) {
      assertThat(closed).as("an event after the link was closed: " + event).isFalse();
      events.add(event);
    }

    @Override
    public void close() {
      closed = true;
    }

    <T extends ServerEvent> List<T> events(Class<T> type) {
      List<T> found = new ArrayList<>();
      for (ServerEvent event : events) {
        if (type.isInstance(event)) {
          found.add(type.cast(event));
        }
      }
      return found;
    }
  }
}
