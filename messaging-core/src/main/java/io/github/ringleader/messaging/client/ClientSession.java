package io.github.ringleader.messaging.client;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * A client's side of its session with a server, independent of the transport: it numbers the
 * client's messages, remembers which are still unanswered, and turns the server's events into
 * listener calls. The client SDK wraps it around a TCP connection; the simulation around an
 * in-memory link.
 *
 * <p>Not thread-safe: the owner calls it from one thread (or under its own lock).
 */
public final class ClientSession {

  /** What the session tells its owner. Every method has an empty default. */
  public interface Listener {
    default void onWelcome(ServerEvent.Welcome welcome) {}

    default void onRefused(ServerEvent.Refused refused) {}

    default void onAccepted(long seq) {}

    default void onRejected(ServerEvent.Rejected rejected) {}

    default void onMessage(ServerEvent.Message message) {}

    default void onPresence(ServerEvent.Presence presence) {}

    default void onUsers(ServerEvent.Users users) {}

    default void onServers(ServerEvent.Servers servers) {}

    /** The server ended the session ({@code reason}), or the connection broke (reason null). */
    default void onClosed(@Nullable String reason) {}

    /**
     * The connection to the server was lost and the client is reconnecting to another (or the
     * same) server. {@code unconfirmed} are the messages sent and not yet answered: each may or
     * may not have been delivered, and will not be answered.
     */
    default void onConnectionLost(String reason, List<ClientRequest.Send> unconfirmed) {}

    /** The client joined again, on {@code welcome.server()}, after losing its connection. */
    default void onReconnected(ServerEvent.Welcome welcome) {}

    /**
     * A round of reconnecting failed ({@code lastError} says why for each server tried); the next
     * round starts within {@code nextRoundWithin} (a random part of it, so clients spread out).
     */
    default void onReconnecting(int round, String lastError, java.time.Duration nextRoundWithin) {}
  }

  /** Where the session is. */
  public enum State {
    NEW,
    JOINING,
    JOINED,
    CLOSED
  }

  private final Consumer<ClientRequest> toServer;
  private final Listener listener;
  private State state = State.NEW;
  private @Nullable String name;
  private long nextSeq = 1;
  private final Map<Long, ClientRequest.Send> unanswered = new LinkedHashMap<>();

  public ClientSession(Consumer<ClientRequest> toServer, Listener listener) {
    this.toServer = toServer;
    this.listener = listener;
  }

  public State state() {
    return state;
  }

  public @Nullable String name() {
    return name;
  }

  /** Messages sent and not yet accepted or rejected, by number. */
  public Map<Long, ClientRequest.Send> unanswered() {
    return unanswered;
  }

  /** Asks to join as {@code name}. */
  public void hello(String name) {
    if (state != State.NEW) {
      throw new IllegalStateException("hello was already sent");
    }
    this.name = name;
    state = State.JOINING;
    toServer.accept(new ClientRequest.Hello(name));
  }

  /**
   * Sends {@code text} to everyone ({@code to} null) or to the client named {@code to}.
   *
   * @return the message's number, echoed in {@link Listener#onAccepted} or {@link
   *     Listener#onRejected}
   * @throws IllegalStateException if the session has not joined
   */
  public long send(@Nullable String to, String text) {
    if (state != State.JOINED) {
      throw new IllegalStateException("not joined (" + state + ")");
    }
    long seq = nextSeq++;
    ClientRequest.Send send = new ClientRequest.Send(seq, to, text);
    unanswered.put(seq, send);
    toServer.accept(send);
    return seq;
  }

  public void listUsers() {
    toServer.accept(new ClientRequest.ListUsers());
  }

  /** Asks for the servers and their loads; allowed before {@link #hello}. */
  public void listServers() {
    toServer.accept(new ClientRequest.ListServers());
  }

  /** Leaves; the server answers with a goodbye. */
  public void bye() {
    if (state != State.CLOSED) {
      toServer.accept(new ClientRequest.Bye());
    }
  }

  /** Takes an event from the server. */
  public void onEvent(ServerEvent event) {
    if (state == State.CLOSED) {
      return;
    }
    if (event instanceof ServerEvent.Welcome) {
      state = State.JOINED;
      listener.onWelcome((ServerEvent.Welcome) event);
    } else if (event instanceof ServerEvent.Refused) {
      ServerEvent.Refused refused = (ServerEvent.Refused) event;
      listener.onRefused(refused);
      if (refused.code() != ServerEvent.Reason.PROTOCOL_ERROR) {
        // The server closes the connection after every refusal but a protocol complaint.
        state = State.CLOSED;
        listener.onClosed(refused.reason());
      }
    } else if (event instanceof ServerEvent.Accepted) {
      long seq = ((ServerEvent.Accepted) event).seq();
      if (unanswered.remove(seq) != null) {
        listener.onAccepted(seq);
      }
    } else if (event instanceof ServerEvent.Rejected) {
      ServerEvent.Rejected rejected = (ServerEvent.Rejected) event;
      unanswered.remove(rejected.seq());
      listener.onRejected(rejected);
    } else if (event instanceof ServerEvent.Message) {
      listener.onMessage((ServerEvent.Message) event);
    } else if (event instanceof ServerEvent.Presence) {
      listener.onPresence((ServerEvent.Presence) event);
    } else if (event instanceof ServerEvent.Users) {
      listener.onUsers((ServerEvent.Users) event);
    } else if (event instanceof ServerEvent.Servers) {
      listener.onServers((ServerEvent.Servers) event);
    } else if (event instanceof ServerEvent.Goodbye) {
      state = State.CLOSED;
      listener.onClosed(((ServerEvent.Goodbye) event).reason());
    }
  }

  /**
   * The connection broke and the owner will join again over a new one: the session goes back to
   * {@link State#NEW} (keeping its numbering, so that answers are never mistaken for older ones)
   * and hands back the messages that will now never be answered.
   */
  public List<ClientRequest.Send> detach() {
    List<ClientRequest.Send> unconfirmed = new ArrayList<>(unanswered.values());
    unanswered.clear();
    state = State.NEW;
    return unconfirmed;
  }

  /** The connection broke. */
  public void onDisconnected() {
    if (state != State.CLOSED) {
      state = State.CLOSED;
      listener.onClosed(null);
    }
  }
}
