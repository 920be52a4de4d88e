package io.github.ringleader.messaging.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.ringleader.messaging.node.NodeId;
import io.github.ringleader.messaging.session.ClientSession.State;
import io.github.ringleader.messaging.session.ServerEvent.Reason;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/** A client's side of its session: its states, the numbering of its messages, the listener calls. */
class ClientSessionTest {

  private static final NodeId SERVER = NodeId.of("server2");
  private static final ServerEvent.Welcome WELCOME = new ServerEvent.Welcome("alice", 42, SERVER);

  /** An epoch id (term 3, leader hash a4f2c1, flush 1) and the same leader's next one. */
  private static final long EPOCH = 0x0000_03a4_f2c1_0001L;

  private static final long NEXT_EPOCH = EPOCH + 1;

  private final List<ClientRequest> toServer = new ArrayList<>();
  private final RecordingListener listener = new RecordingListener();
  private final ClientSession session = new ClientSession(toServer::add, listener);

  @Test
  void aNewSessionHasSentNothingAndHasNoName() {
    assertThat(session.state()).isEqualTo(State.NEW);
    assertThat(session.name()).isNull();
    assertThat(session.unanswered()).isEmpty();
    assertThat(toServer).isEmpty();
  }

  @Test
  void helloAsksToJoinUnderTheName() {
    session.hello("alice");

    assertThat(toServer).containsExactly(new ClientRequest.Hello("alice"));
    assertThat(session.state()).isEqualTo(State.JOINING);
    assertThat(session.name()).isEqualTo("alice");
  }

  @Test
  void aRejectionOfASendNoLongerPendingIsNotPassedOn() {
    session.hello("alice");
    session.onEvent(new ServerEvent.Welcome("alice", 42, SERVER, EPOCH, 3));
    long seq = session.send(null, "hi");
    session.onEvent(new ServerEvent.Accepted(seq));
    listener.calls.clear();

    session.onEvent(new ServerEvent.Rejected(seq, ServerEvent.Reason.UNKNOWN_RECIPIENT, "late"));

    assertThat(listener.calls).isEmpty();
  }

  @Test
  void anAbandonedSessionCanNeitherBeResumedNorKeepMessages() {
    session.hello("alice");
    session.onEvent(new ServerEvent.Welcome("alice", 42, SERVER, EPOCH, 3));
    session.send(null, "hi");
    session.detach();
    assertThat(session.canResume()).isTrue();
    assertThat(session.canQueue()).isTrue();

    assertThat(session.abandon()).extracting(ClientRequest.Send::text).containsExactly("hi");

    assertThat(session.canResume()).isFalse();
    assertThat(session.canQueue())
        .as("a send now would be lost by the fresh hello")
        .isFalse();
  }

  @Test
  void helloCanBeSentOnlyOnce() {
    session.hello("alice");

    assertThatThrownBy(() -> session.hello("bob"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("hello was already sent");
    assertThat(toServer).hasSize(1);
    assertThat(session.name()).isEqualTo("alice");
  }

  @Test
  void aWelcomeJoinsTheSessionAndTellsTheListener() {
    session.hello("alice");

    session.onEvent(WELCOME);

    assertThat(session.state()).isEqualTo(State.JOINED);
    assertThat(listener.calls).containsExactly("welcome " + WELCOME);
  }

  @Test
  void sendingBeforeTheSessionHasJoinedThrows() {
    assertThatThrownBy(() -> session.send(null, "hi"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("not joined (NEW)");
    session.hello("alice");
    assertThatThrownBy(() -> session.send(null, "hi"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("not joined (JOINING)");

    assertThat(toServer).containsExactly(new ClientRequest.Hello("alice"));
    assertThat(session.unanswered()).isEmpty();
  }

  @Test
  void messagesAreNumberedFromOneAndRememberedUntilAnswered() {
    join();

    long first = session.send(null, "hello all");
    long second = session.send("bob", "hello bob");

    assertThat(first).isEqualTo(1);
    assertThat(second).isEqualTo(2);
    assertThat(toServer)
        .containsExactly(
            new ClientRequest.Hello("alice"),
            new ClientRequest.Send(1, null, "hello all"),
            new ClientRequest.Send(2, "bob", "hello bob"));
    assertThat(session.unanswered())
        .containsExactly(
            java.util.Map.entry(1L, new ClientRequest.Send(1, null, "hello all")),
            java.util.Map.entry(2L, new ClientRequest.Send(2, "bob", "hello bob")));
  }

  @Test
  void anAcceptedMessageIsNoLongerUnansweredAndTheListenerHearsOfItOnce() {
    join();
    session.send(null, "one");
    session.send(null, "two");

    session.onEvent(new ServerEvent.Accepted(2));
    session.onEvent(new ServerEvent.Accepted(2));
    session.onEvent(new ServerEvent.Accepted(9));

    assertThat(session.unanswered()).containsOnlyKeys(1L);
    assertThat(listener.calls).containsExactly("accepted 2");
  }

  @Test
  void aRejectedMessageIsNoLongerUnansweredAndTheListenerHearsWhy() {
    join();
    session.send("zed", "psst");
    ServerEvent.Rejected rejected =
        new ServerEvent.Rejected(1, Reason.UNKNOWN_RECIPIENT, "no client named zed is connected");

    session.onEvent(rejected);

    assertThat(session.unanswered()).isEmpty();
    assertThat(listener.calls).containsExactly("rejected " + rejected);
    assertThat(session.state()).isEqualTo(State.JOINED);
  }

  @Test
  void aRefusedJoinClosesTheSessionWithTheRefusalsReason() {
    session.hello("alice");
    ServerEvent.Refused refused =
        new ServerEvent.Refused(Reason.SERVER_FULL, "full", NodeId.of("server4"));

    session.onEvent(refused);

    assertThat(session.state()).isEqualTo(State.CLOSED);
    assertThat(listener.calls).containsExactly("refused " + refused, "closed full");
  }

  @Test
  void aRefusalAfterJoiningIsReportedButDoesNotEndTheSession() {
    join();
    ServerEvent.Refused refused =
        new ServerEvent.Refused(Reason.PROTOCOL_ERROR, "this connection has already joined", null);

    session.onEvent(refused);

    assertThat(session.state()).isEqualTo(State.JOINED);
    assertThat(listener.calls).containsExactly("refused " + refused);
  }

  @Test
  void messagesPresenceAndUserListsGoToTheListener() {
    join();
    ServerEvent.Message message = new ServerEvent.Message("bob", null, "hi");
    ServerEvent.Presence presence = new ServerEvent.Presence("bob", false, "left");
    ServerEvent.Users users = new ServerEvent.Users(List.of("alice", "bob"));

    session.onEvent(message);
    session.onEvent(presence);
    session.onEvent(users);

    assertThat(listener.calls)
        .containsExactly("message " + message, "presence " + presence, "users " + users);
  }

  @Test
  void aMessageWhoseSenderNumberIsNotAboveTheLastFromItsSessionIsDropped() {
    join();
    ServerEvent.Message one = new ServerEvent.Message("bob", null, "one", EPOCH, 40, 7, 1);
    ServerEvent.Message two = new ServerEvent.Message("bob", "alice", "two", EPOCH, 41, 7, 2);
    ServerEvent.Message three = new ServerEvent.Message("bob", null, "three", EPOCH, 44, 7, 3);

    session.onEvent(one);
    session.onEvent(two);
    session.onEvent(new ServerEvent.Message("bob", "alice", "two", NEXT_EPOCH, 2, 7, 2));
    session.onEvent(new ServerEvent.Message("bob", null, "one", NEXT_EPOCH, 3, 7, 1));
    session.onEvent(three);

    assertThat(listener.calls)
        .as("the same number again, and a lower one, are messages had before")
        .containsExactly("message " + one, "message " + two, "message " + three);
  }

  @Test
  void senderNumbersAreComparedWithinEachSenderSessionOnly() {
    join();
    ServerEvent.Message fromBob = new ServerEvent.Message("bob", null, "hi", EPOCH, 40, 7, 5);
    ServerEvent.Message fromCarol = new ServerEvent.Message("carol", null, "hi", EPOCH, 41, 8, 5);
    ServerEvent.Message fromBobAgain =
        new ServerEvent.Message("bob", null, "back", EPOCH, 43, 9, 1);

    session.onEvent(fromBob);
    session.onEvent(fromCarol);
    session.onEvent(new ServerEvent.Message("carol", null, "hi", EPOCH, 42, 8, 5));
    session.onEvent(fromBobAgain);

    assertThat(listener.calls)
        .as("the same number from another session, even one of the same name, is a new message")
        .containsExactly("message " + fromBob, "message " + fromCarol, "message " + fromBobAgain);
  }

  @Test
  void aMessageWithoutSenderNumbersIsNeverDropped() {
    join();
    ServerEvent.Message unnumbered = new ServerEvent.Message("bob", null, "hi");
    ServerEvent.Message unnumberedAtAPosition =
        new ServerEvent.Message("bob", null, "hi", EPOCH, 40, 0, 5);
    ServerEvent.Message numbered = new ServerEvent.Message("bob", null, "hi", EPOCH, 41, 7, 5);

    session.onEvent(unnumbered);
    session.onEvent(unnumbered);
    session.onEvent(unnumberedAtAPosition);
    session.onEvent(unnumberedAtAPosition);
    session.onEvent(numbered);
    session.onEvent(numbered);

    assertThat(listener.calls)
        .as("fromSession 0: the message has no sender numbers")
        .containsExactly(
            "message " + unnumbered,
            "message " + unnumbered,
            "message " + unnumberedAtAPosition,
            "message " + unnumberedAtAPosition,
            "message " + numbered);
  }

  @Test
  void aDroppedMessageStillMovesThePositionAResumeNames() {
    joinAt(EPOCH, 39);
    ServerEvent.Message hi = new ServerEvent.Message("bob", null, "hi", EPOCH, 40, 7, 1);
    session.onEvent(hi);
    session.detach();
    session.resume();
    session.onEvent(new ServerEvent.Resumed("alice", 42, SERVER, 0, NEXT_EPOCH, 1, true));
    // Every server that delivered "hi" failed before the others had it: bob sent it again.
    session.onEvent(new ServerEvent.Message("bob", null, "hi", NEXT_EPOCH, 4, 7, 1));

    session.detach();
    session.resume();

    assertThat(listener.calls).containsExactly("message " + hi);
    assertThat(toServer)
        .containsSubsequence(
            new ClientRequest.Resume("alice", 42, EPOCH, 40),
            new ClientRequest.Resume("alice", 42, NEXT_EPOCH, 4));
    assertThat(toServer).last().isEqualTo(new ClientRequest.Resume("alice", 42, NEXT_EPOCH, 4));
  }

  @Test
  void listUsersAsksTheServer() {
    join();

    session.listUsers();

    assertThat(toServer).last().isEqualTo(new ClientRequest.ListUsers());
  }

  @Test
  void byeAsksTheServerToEndTheSessionAndItsGoodbyeClosesIt() {
    join();

    session.bye();
    assertThat(toServer).last().isEqualTo(new ClientRequest.Bye());
    assertThat(session.state()).as("until the server answers").isEqualTo(State.JOINED);

    session.onEvent(new ServerEvent.Goodbye("bye"));

    assertThat(session.state()).isEqualTo(State.CLOSED);
    assertThat(listener.calls).containsExactly("closed bye");
  }

  @Test
  void aClosedSessionIgnoresEventsSendsNoByeAndCannotSend() {
    join();
    session.send(null, "unanswered");
    session.onEvent(new ServerEvent.Goodbye("server shutting down"));
    toServer.clear();
    listener.calls.clear();

    session.onEvent(new ServerEvent.Message("bob", null, "late"));
    session.onEvent(new ServerEvent.Accepted(1));
    session.bye();

    assertThat(listener.calls).isEmpty();
    assertThat(toServer).isEmpty();
    assertThatThrownBy(() -> session.send(null, "too late"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("not joined (CLOSED)");
  }

  @Test
  void aBrokenConnectionClosesTheSessionOnceWithoutAReason() {
    join();

    session.onDisconnected();
    session.onDisconnected();

    assertThat(session.state()).isEqualTo(State.CLOSED);
    assertThat(listener.calls).containsExactly("closed null");
  }

  @Test
  void aConnectionBrokenBeforeJoiningClosesTheSessionToo() {
    session.hello("alice");

    session.onDisconnected();

    assertThat(session.state()).isEqualTo(State.CLOSED);
    assertThat(listener.calls).containsExactly("closed null");
  }

  @Test
  void listenerMethodsAllHaveDefaults() {
    ClientSession quiet = new ClientSession(toServer::add, new ClientSession.Listener() {});
    quiet.hello("alice");

    quiet.onEvent(WELCOME);
    quiet.onEvent(new ServerEvent.Message("bob", null, "hi"));
    quiet.onDisconnected();

    assertThat(quiet.state()).isEqualTo(State.CLOSED);
  }

  @Test
  void keptMessagesAreCountedInBytesNotInNumber() {
    joinAt(EPOCH, 3);
    session.detach();

    // Far more than the 256 messages a session once kept: the default budget holds them.
    for (int i = 0; i < 3_000; i++) {
      session.send(null, "m" + i);
    }

    assertThat(session.unanswered()).hasSize(3_000);
    long expected = 0;
    for (int i = 0; i < 3_000; i++) {
      expected += ("m" + i).length() + ClientSession.KEPT_MESSAGE_OVERHEAD;
    }
    assertThat(session.unansweredBytes()).isEqualTo(expected);
    assertThat(ClientSession.keptSize("bob", "héllo"))
        .as("UTF-8 bytes of recipient and text, and the overhead")
        .isEqualTo(3 + 6 + ClientSession.KEPT_MESSAGE_OVERHEAD);
  }

  @Test
  void aFullReconnectBufferRefusesAndSaysHowMuchWaits() {
    ClientSession small = new ClientSession(toServer::add, listener, 3 * (10 + 64));
    small.hello("alice");
    small.onEvent(new ServerEvent.Welcome("alice", 42, SERVER, EPOCH, 3));
    small.detach();
    String text = "0123456789"; // 10 bytes: each message costs 74
    small.send(null, text);
    small.send(null, text);
    small.send(null, text);

    assertThatThrownBy(() -> small.send(null, text))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("reconnect buffer full: 222 bytes of 3 messages wait for the session to resume;"
            + " this one needs 74 and the limit is 222");
    assertThat(small.unanswered()).hasSize(3);
    assertThat(small.unansweredBytes()).isEqualTo(222);

    small.resume();
    small.onEvent(new ServerEvent.Resumed("alice", 42, SERVER, 1, NEXT_EPOCH, 1, true));
    assertThat(small.unansweredBytes()).as("the taken one is no longer counted").isEqualTo(148);
  }

  @Test
  void sendsQueuedBehindTheResentOnesCountAgainstTheSameBudget() {
    long each = ClientSession.keptSize(null, "m");
    ClientSession small =
        new ClientSession(toServer::add, listener, (ClientSession.RESEND_WINDOW + 2) * each);
    small.hello("alice");
    small.onEvent(new ServerEvent.Welcome("alice", 42, SERVER, EPOCH, 3));
    small.detach();
    for (int i = 0; i < ClientSession.RESEND_WINDOW + 2; i++) {
      small.send(null, "m");
    }
    small.resume();
    small.onEvent(new ServerEvent.Resumed("alice", 42, SERVER, 0, NEXT_EPOCH, 1, true));

    assertThat(small.state()).isEqualTo(State.JOINED);
    assertThatThrownBy(() -> small.send(null, "m"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("messages wait to go out after the resume");
    small.onEvent(new ServerEvent.Accepted(1));
    long next = small.send(null, "m");
    assertThat(toServer)
        .as("queued behind the last resent one, not sent yet")
        .doesNotContain(new ClientRequest.Send(next, null, "m"));
  }

  @Test
  void aZeroBudgetKeepsNothingWhileReconnecting() {
    ClientSession none = new ClientSession(toServer::add, listener, 0);
    none.hello("alice");
    none.onEvent(new ServerEvent.Welcome("alice", 42, SERVER, EPOCH, 3));
    long sent = none.send(null, "sent while joined"); // not limited while joined
    none.detach();

    assertThat(none.canQueue()).isTrue();
    assertThatThrownBy(() -> none.send(null, "x"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith("reconnect buffer full: ")
        .hasMessageEndingWith("the limit is 0");
    assertThat(none.unanswered()).containsOnlyKeys(sent);
  }

  @Test
  void aNegativeBudgetIsRefused() {
    assertThatThrownBy(() -> session.reconnectBufferBytes(-1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("reconnectBufferBytes must be >= 0, was -1");
    assertThat(session.reconnectBufferBytes())
        .isEqualTo(ClientSession.DEFAULT_RECONNECT_BUFFER_BYTES);
  }

  @Test
  void aSessionThatCannotBeResumedSaysSoWhenASendIsRefused() {
    joinAt(EPOCH, 3);
    session.detach();
    session.abandon();

    assertThatThrownBy(() -> session.send(null, "x"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage(
            "not joined (NEW): the session cannot be resumed, so nothing is kept until it has joined again");
  }

  @Test
  void onResumeThousandsOfKeptMessagesGoOutInOrderAWindowAtATime() {
    joinAt(EPOCH, 3);
    session.send(null, "before 1");
    session.send(null, "before 2");
    session.detach();
    for (int i = 0; i < 2_998; i++) {
      session.send(null, "kept " + i);
    }
    session.resume();
    toServer.clear();

    // The cluster had taken message 1 only.
    session.onEvent(new ServerEvent.Resumed("alice", 42, SERVER, 1, NEXT_EPOCH, 1, true));
    assertThat(toServer)
        .as("no more unanswered on the new server than it takes at once")
        .hasSize(ClientSession.RESEND_WINDOW);
    // New sends queue behind the kept ones.
    long late = session.send(null, "sent after the resume");
    assertThat(toServer).hasSize(ClientSession.RESEND_WINDOW);

    // The server answers what it has, and the rest follows as answers come.
    int answered = 0;
    while (answered < toServer.size()) {
      ClientRequest request = toServer.get(answered++);
      session.onEvent(new ServerEvent.Accepted(((ClientRequest.Send) request).seq()));
      long written = toServer.size() - answered;
      assertThat(written).isLessThanOrEqualTo(ClientSession.RESEND_WINDOW);
    }

    List<Long> order = new ArrayList<>();
    for (ClientRequest request : toServer) {
      order.add(((ClientRequest.Send) request).seq());
    }
    List<Long> expected = new ArrayList<>();
    for (long seq = 2; seq <= late; seq++) {
      expected.add(seq);
    }
    assertThat(order).as("each once, in order").isEqualTo(expected);
    assertThat(session.unanswered()).isEmpty();
    assertThat(session.unansweredBytes()).isZero();

    // Once the backlog has drained a send goes out at once again.
    long next = session.send(null, "now");
    assertThat(toServer).last().isEqualTo(new ClientRequest.Send(next, null, "now"));
  }

  private void join() {
    session.hello("alice");
    session.onEvent(WELCOME);
    listener.calls.clear();
  }

  /** Joins with a welcome at a position, so that the session can be resumed. */
  private void joinAt(long epoch, long seq) {
    session.hello("alice");
    session.onEvent(new ServerEvent.Welcome("alice", 42, SERVER, epoch, seq));
    listener.calls.clear();
  }

  /** Records each listener call as a line of text. */
  private static final class RecordingListener implements ClientSession.Listener {
    final List<String> calls = new ArrayList<>();

    @Override
    public void onWelcome(ServerEvent.Welcome welcome) {
      calls.add("welcome " + welcome);
    }

    @Override
    public void onRefused(ServerEvent.Refused refused) {
      calls.add("refused " + refused);
    }

    @Override
    public void onAccepted(long seq) {
      calls.add("accepted " + seq);
    }

    @Override
    public void onRejected(ServerEvent.Rejected rejected) {
      calls.add("rejected " + rejected);
    }

    @Override
    public void onMessage(ServerEvent.Message message) {
      calls.add("message " + message);
    }

    @Override
    public void onPresence(ServerEvent.Presence presence) {
      calls.add("presence " + presence);
    }

    @Override
    public void onUsers(ServerEvent.Users users) {
      calls.add("users " + users);
    }

    @Override
    public void onClosed(@Nullable String reason) {
      calls.add("closed " + reason);
    }
  }
}
