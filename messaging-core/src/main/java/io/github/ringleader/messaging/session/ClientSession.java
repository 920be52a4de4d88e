package io.github.ringleader.messaging.session;

import io.github.ringleader.messaging.protocol.Utf8;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Supplier;
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
     * same) server. {@code unconfirmed} are the messages sent and not yet answered: if the client
     * resumes its session they are answered then; if not, {@link #onSessionEnded} says so.
     */
    default void onConnectionLost(String reason, List<ClientRequest.Send> unconfirmed) {}

    /**
     * The client joined again, on {@code welcome.server()}, after losing its connection, as a new
     * session: its earlier session had ended (see {@link #onSessionEnded}).
     */
    default void onReconnected(ServerEvent.Welcome welcome) {}

    /**
     * The client took up its session again on {@code resumed.server()} after losing its
     * connection: its unanswered messages are answered as if nothing happened (those the cluster
     * had already taken are accepted now, the others were sent again), and the messages for it
     * that it missed follow, in order, then new ones.
     */
    default void onResumed(ServerEvent.Resumed resumed) {}

    /**
     * The session could not be resumed ({@code reason}: its grace period passed, say); the client
     * joins afresh. {@code unconfirmed} are the messages that will never be answered: each may or
     * may not have been delivered. Messages sent to the client meanwhile are lost for it.
     */
    default void onSessionEnded(String reason, List<ClientRequest.Send> unconfirmed) {}

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
    /** Asked to take up the session again over a new connection. */
    RESUMING,
    JOINED,
    CLOSED
  }

  private final Consumer<ClientRequest> toServer;
  private final Listener listener;
  private State state = State.NEW;
  private @Nullable String name;
  private long nextSeq = 1;
  private final Map<Long, ClientRequest.Send> unanswered = new LinkedHashMap<>();
  /** What the unanswered messages cost together, by {@link #keptSize}. */
  private long unansweredBytes;
  /** The most {@link #unansweredBytes} may reach by keeping a message (see {@link #send}). */
  private long reconnectBufferBytes = DEFAULT_RECONNECT_BUFFER_BYTES;
  /**
   * After a resume: the numbers of the unanswered messages not yet written to the new server, in
   * order. They go out as answers come, {@link #RESEND_WINDOW} at a time, and new sends queue
   * behind them; empty otherwise.
   */
  private final ArrayDeque<Long> backlog = new ArrayDeque<>();
  /** The session's id, once welcomed (0 before). */
  private long session;
  /** The session's secret, from its welcome: shown to resume it. */
  private ResumeToken token = ResumeToken.NONE;
  /** The position of the last event with one: where a resumed session picks up. */
  private long positionEpoch;

  private long positionSeq;
  /** Per sender session (the most recent ones), the highest number of its messages received. */
  private final Map<Long, Long> lastFrom = new LinkedHashMap<>(16, 0.75f, true) {
    private static final long serialVersionUID = 1L;

    @Override
    protected boolean removeEldestEntry(Map.Entry<Long, Long> eldest) {
      return size() > REMEMBERED_SENDERS;
    }
  };

  /** Senders whose last message number a session remembers, at most. */
  static final int REMEMBERED_SENDERS = 65_536;

  /**
   * How many bytes of messages a session keeps, by default, while it waits to be resumed: 8 MiB
   * (as NATS keeps by default in its reconnect buffer). See {@link #reconnectBufferBytes(long)}.
   */
  public static final long DEFAULT_RECONNECT_BUFFER_BYTES = 8L * 1024 * 1024;

  /**
   * What a kept message costs beyond the UTF-8 bytes of its text and recipient: about its
   * number, its frame's header and its bookkeeping here. Counted so that a flood of empty
   * messages is bounded too (the default budget holds at most 131,072 of them).
   */
  public static final int KEPT_MESSAGE_OVERHEAD = 64;

  /**
   * Messages sent again after a resume that may be unanswered at once: the rest wait for answers.
   * A server takes at most 1,024 of a client's messages at a time and refuses more as busy; a
   * TCP server stops reading well before (256 by default), so this is what it takes anyway.
   */
  static final int RESEND_WINDOW = 256;

  public ClientSession(Consumer<ClientRequest> toServer, Listener listener) {
    this.toServer = toServer;
    this.listener = listener;
  }

  /** A session whose reconnect buffer holds {@code reconnectBufferBytes}: see the setter. */
  public ClientSession(
      Consumer<ClientRequest> toServer, Listener listener, long reconnectBufferBytes) {
    this(toServer, listener);
    reconnectBufferBytes(reconnectBufferBytes);
  }

  /**
   * Sets how many bytes of unanswered messages the session may hold when a send cannot go out at
   * once (it waits for a resume, or behind the messages sent again after one): a message is kept
   * only if all unanswered ones together, it included, cost at most this many, by {@link
   * #keptSize}. 0 keeps nothing: sends fail while the session is not joined.
   *
   * @throws IllegalArgumentException if negative
   */
  public void reconnectBufferBytes(long bytes) {
    if (bytes < 0) {
      throw new IllegalArgumentException("reconnectBufferBytes must be >= 0, was " + bytes);
    }
    this.reconnectBufferBytes = bytes;
  }

  public long reconnectBufferBytes() {
    return reconnectBufferBytes;
  }

  /** What the unanswered messages cost together, by {@link #keptSize}. */
  public long unansweredBytes() {
    return unansweredBytes;
  }

  /**
   * What keeping a message costs against the reconnect buffer: the UTF-8 bytes of its text and
   * recipient, and {@link #KEPT_MESSAGE_OVERHEAD}. Not its encoded frame: the session does not
   * depend on a wire format (the simulation has none), and the two differ by a few bytes.
   */
  public static long keptSize(@Nullable String to, String text) {
    return (long) Utf8.length(text) + (to == null ? 0 : Utf8.length(to)) + KEPT_MESSAGE_OVERHEAD;
  }

  /** Where each Hello and Resume gets its credential (default: none). */
  private Supplier<@Nullable Credential> credentials = () -> null;

  /**
   * Shows a credential with every Hello and Resume, for a server that requires authentication:
   * {@code source} is asked for a fresh one each time (the receiver of the request may clear it
   * once it is sent).
   */
  public void credentials(Supplier<@Nullable Credential> source) {
    this.credentials = java.util.Objects.requireNonNull(source, "source");
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

  /**
   * Asks to join as {@code name}, as a new session. Messages of an earlier session still
   * unanswered are dropped: see {@link #abandon()}.
   */
  public void hello(String name) {
    if (state != State.NEW) {
      throw new IllegalStateException("hello was already sent");
    }
    this.name = name;
    clearUnanswered();
    session = 0;
    token = ResumeToken.NONE;
    positionEpoch = 0;
    positionSeq = 0;
    state = State.JOINING;
    toServer.accept(new ClientRequest.Hello(name, credentials.get()));
  }

  /** Whether {@link #resume()} can be tried: the session was welcomed, with a position. */
  public boolean canResume() {
    return state == State.NEW && name != null && session != 0 && positionSeq != 0;
  }

  /**
   * Asks to take up this session again, over a new connection (after {@link #detach()}).
   * Answered by {@link ServerEvent.Resumed}, after which the unanswered messages the cluster did
   * not take are sent again, or by a refusal.
   */
  public void resume() {
    String known = name;
    if (!canResume() || known == null) {
      throw new IllegalStateException("nothing to resume (" + state + ")");
    }
    state = State.RESUMING;
    toServer.accept(new ClientRequest.Resume(
        known, session, positionEpoch, positionSeq, token, credentials.get()));
  }

  /** The session's resume token ({@link ResumeToken#NONE} before the first welcome). */
  public ResumeToken resumeToken() {
    return token;
  }

  /** The session's id (0 before the first welcome). */
  public long sessionId() {
    return session;
  }

  /**
   * Gives up the unanswered messages of a session that cannot be resumed: they are returned, and
   * will never be answered.
   */
  public List<ClientRequest.Send> abandon() {
    List<ClientRequest.Send> lost = new ArrayList<>(unanswered.values());
    clearUnanswered();
    // The session is over: nothing more is kept for it, nor can it be resumed.
    session = 0;
    token = ResumeToken.NONE;
    positionEpoch = 0;
    positionSeq = 0;
    return lost;
  }

  /**
   * Sends {@code text} to everyone ({@code to} null) or to the client named {@code to}. While the
   * session is being resumed ({@link #canQueue()}), or its messages are being sent again after a
   * resume, the message is kept and sent in its turn, if the reconnect buffer has room for it.
   *
   * @return the message's number, echoed in {@link Listener#onAccepted} or {@link
   *     Listener#onRejected}
   * @throws IllegalStateException if the session has not joined and cannot be resumed, or the
   *     reconnect buffer is full (the message says which: {@link #refusal})
   */
  public long send(@Nullable String to, String text) {
    String refusal = refusal(to, text);
    if (refusal != null) {
      throw new IllegalStateException(refusal);
    }
    long seq = nextSeq++;
    ClientRequest.Send send = new ClientRequest.Send(seq, to, text);
    unanswered.put(seq, send);
    unansweredBytes += keptSize(to, text);
    if (state == State.JOINED && backlog.isEmpty()) {
      toServer.accept(send);
    } else if (state == State.JOINED) {
      backlog.add(seq);
      sendBacklog();
    }
    return seq;
  }

  /**
   * Why {@link #send} would refuse this message now, or null if it would send or keep it: the
   * session has not joined and cannot be resumed, or keeping it would overfill the reconnect
   * buffer (see {@link #reconnectBufferBytes(long)}).
   */
  public @Nullable String refusal(@Nullable String to, String text) {
    if (state == State.JOINED && backlog.isEmpty()) {
      return null;
    }
    if (state != State.JOINED && !canQueue()) {
      return name != null && state == State.NEW
          ? "not joined (NEW): the session cannot be resumed, so nothing is kept until it has joined again"
          : "not joined (" + state + ")";
    }
    if (unansweredBytes + keptSize(to, text) > reconnectBufferBytes) {
      return "reconnect buffer full: "
          + unansweredBytes
          + " bytes of "
          + unanswered.size()
          + (state == State.JOINED
              ? " messages wait to go out after the resume; this one needs "
              : " messages wait for the session to resume; this one needs ")
          + keptSize(to, text)
          + " and the limit is "
          + reconnectBufferBytes;
    }
    return null;
  }

  /**
   * Whether a message sent now is kept for later: the connection was lost and the session can be
   * resumed (or is being resumed). It is kept if it fits in the reconnect buffer ({@link
   * #refusal}).
   */
  public boolean canQueue() {
    return canResume() || state == State.RESUMING;
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
      ServerEvent.Welcome welcome = (ServerEvent.Welcome) event;
      state = State.JOINED;
      session = welcome.session();
      token = welcome.token();
      at(welcome.epoch(), welcome.seq());
      listener.onWelcome(welcome);
    } else if (event instanceof ServerEvent.Resumed) {
      resumed((ServerEvent.Resumed) event);
    } else if (event instanceof ServerEvent.Position) {
      if (state == State.JOINED) {
        ServerEvent.Position position = (ServerEvent.Position) event;
        at(position.epoch(), position.seq());
      }
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
      if (answered(seq)) {
        listener.onAccepted(seq);
        sendBacklog();
      }
    } else if (event instanceof ServerEvent.Rejected) {
      ServerEvent.Rejected rejected = (ServerEvent.Rejected) event;
      if (answered(rejected.seq())) {
        listener.onRejected(rejected);
        sendBacklog();
      }
    } else if (event instanceof ServerEvent.Message) {
      ServerEvent.Message message = (ServerEvent.Message) event;
      at(message.epoch(), message.seq());
      if (seenBefore(message)) {
        return;
      }
      listener.onMessage(message);
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
   * Whether the client had this message already. A sender's messages arrive in the order it sent
   * them, so the highest number had from each sender's session tells. The cluster sends a message
   * again only in a rare case: every server that delivered it failed before the others had it,
   * and its sender, never told it was taken, sent it again.
   */
  private boolean seenBefore(ServerEvent.Message message) {
    if (message.fromSession() == 0) {
      return false;
    }
    Long last = lastFrom.get(message.fromSession());
    if (last != null && message.fromSeq() <= last) {
      return true;
    }
    lastFrom.put(message.fromSession(), message.fromSeq());
    return false;
  }

  private void at(long epoch, long seq) {
    if (seq != 0) {
      positionEpoch = epoch;
      positionSeq = seq;
    }
  }

  /**
   * The session continues: the sends the cluster took are answered now, the others go again with
   * their numbers, in order.
   */
  private void resumed(ServerEvent.Resumed resumed) {
    state = State.JOINED;
    // Not the resumption's position: the messages it missed, which come next, are older.
    List<Long> taken = new ArrayList<>();
    for (long seq : unanswered.keySet()) {
      if (seq <= resumed.lastSendSeq()) {
        taken.add(seq);
      }
    }
    for (long seq : taken) {
      answered(seq);
    }
    listener.onResumed(resumed);
    for (long seq : taken) {
      listener.onAccepted(seq);
    }
    backlog.clear();
    backlog.addAll(unanswered.keySet());
    sendBacklog();
  }

  /** Forgets an answered message; false if it was not unanswered. */
  private boolean answered(long seq) {
    ClientRequest.Send send = unanswered.remove(seq);
    if (send == null) {
      return false;
    }
    unansweredBytes -= keptSize(send.to(), send.text());
    return true;
  }

  private void clearUnanswered() {
    unanswered.clear();
    unansweredBytes = 0;
    backlog.clear();
  }

  /**
   * Writes messages of the backlog, in order, while fewer than {@link #RESEND_WINDOW} written ones
   * are unanswered (all unanswered messages not in the backlog were written to this server).
   */
  private void sendBacklog() {
    while (state == State.JOINED
        && !backlog.isEmpty()
        && unanswered.size() - backlog.size() < RESEND_WINDOW) {
      ClientRequest.Send next = unanswered.get(backlog.poll());
      if (next != null) {
        toServer.accept(next);
      }
    }
  }

  /**
   * The connection broke and the owner will join again over a new one: the session goes back to
   * {@link State#NEW}, keeping its numbering (so that answers are never mistaken for older ones),
   * and returns the messages still unanswered. They are kept: {@link #resume()} sends again those
   * the cluster did not take; {@link #abandon()} gives them up.
   */
  public List<ClientRequest.Send> detach() {
    state = State.NEW;
    backlog.clear(); // a resume sends again all that is unanswered
    return new ArrayList<>(unanswered.values());
  }

  /** The connection broke. */
  public void onDisconnected() {
    if (state != State.CLOSED) {
      state = State.CLOSED;
      listener.onClosed(null);
    }
  }
}
