package io.github.ringleader.messaging.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.ringleader.messaging.client.ClientSession.State;
import io.github.ringleader.messaging.client.ServerEvent.Reason;
import io.github.ringleader.messaging.protocol.NodeId;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/** A client's side of its session: its states, the numbering of its messages, the listener calls. */
class ClientSessionTest {

  private static final NodeId SERVER = NodeId.of("server2");
  private static final ServerEvent.Welcome WELCOME = new ServerEvent.Welcome("alice", 42, SERVER);

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
    ServerEvent.Refused refused = new ServerEvent.Refused(Reason.SERVER_FULL, "full", NodeId.of("server4"));

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

  private void join() {
    session.hello("alice");
    session.onEvent(WELCOME);
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
