package io.github.ringleader.messaging.client;

import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The life cycle of a {@link MessagingClient}'s connection: connected, lost, reconnecting,
 * resumed, session ended, closed. What the client receives goes to the {@link MessageListener}.
 * Every method has an empty default; {@link #NONE} ignores everything.
 *
 * <p><b>A few methods, not one with an enum.</b> jnats has one {@code connectionEvent(conn,
 * Events type)}; its events carry no details, so a listener asks the connection afterwards, when
 * it may have moved on. Here each event carries its own details (the reason, the messages
 * concerned, the round and the wait), typed, at the moment it happened; a method per event gives
 * them without casts, and an empty default lets a listener take only what it needs.
 *
 * <p><b>Order.</b> {@code onConnected} comes first (after {@link MessageListener#onServers}, which
 * tells where the client is). With failover, a lost server gives {@code onConnectionLost}, then
 * {@code onReconnecting} for each failed round, then either {@code onResumed} (the session goes
 * on, nothing lost) or {@code onSessionEnded} followed by {@code onConnected(session, true)} (a
 * new session); a session that cannot be resumed at all gets its {@code onSessionEnded} right
 * after {@code onConnectionLost}, before the rounds. {@code onClosed} comes once, last.
 *
 * <p><b>Threading.</b> As {@link MessageListener} says: every call of both listeners is made on
 * the client's one event thread, one at a time, in the order the events happened, including
 * those of {@code connect()} and of the failover, which happen on other threads. {@link
 * MessagingClient#connect()} returns after its events have been delivered; {@link
 * MessagingClient#close()} returns after {@code onClosed} has been delivered, except when called
 * from a listener, which cannot wait for its own thread: then it returns at once, and {@code
 * onClosed} comes after that listener call has returned. A method must be quick and must not
 * block; it may call the client. A method that throws is logged and ignored, as {@link
 * MessageListener} says.
 */
public interface ConnectionListener {
  /** A listener that ignores everything. */
  ConnectionListener NONE = new ConnectionListener() {};

  /**
   * The client joined the cluster as a new session: at {@code connect()}, or after a failover
   * whose session could not be resumed ({@code afresh}: {@link #onSessionEnded} came before it).
   */
  default void onConnected(SessionInfo session, boolean afresh) {}

  /**
   * The connection to the server was lost ({@code reason}) and the client is reconnecting (with
   * failover; without, {@link #onClosed} comes instead). {@code unanswered} are the messages sent
   * and not yet answered: if the session resumes they are answered then; if not, {@link
   * #onSessionEnded} lists those that never will be. Messages sent meanwhile are kept (see {@link
   * MessagingClient.Builder#reconnectBufferBytes}).
   */
  default void onConnectionLost(String reason, List<SentMessage> unanswered) {}

  /**
   * Reconnect round {@code round} failed ({@code lastError} says why for each server tried); the
   * next round starts within {@code nextRoundWithin} (a random part of it, so that clients spread
   * out).
   */
  default void onReconnecting(int round, String lastError, Duration nextRoundWithin) {}

  /**
   * The client took up its session again on {@code session.server()} after losing its
   * connection: its unanswered messages are answered as if nothing happened, and the messages for
   * it that it missed follow, in order, then new ones. {@code complete} is false if the cluster
   * no longer had some of those (they are lost for this client).
   */
  default void onResumed(SessionInfo session, boolean complete) {}

  /**
   * The session could not be resumed ({@code reason}: its grace period passed, say, or the
   * connection was lost before the server gave the session a position to resume from); the client
   * joins afresh ({@link #onConnected} with {@code afresh} true follows). {@code unconfirmed} are
   * the messages that will never be answered: each sent before the connection was lost may or may
   * not have been delivered, and one kept while reconnecting was never sent at all (their futures
   * fail with {@link SendFailedException.Kind#UNCONFIRMED}). Messages sent to the client
   * meanwhile are lost for it.
   */
  default void onSessionEnded(String reason, List<SentMessage> unconfirmed) {}

  /**
   * The client is over, once: closed by {@link MessagingClient#close()} (the reason is the
   * server's answer to the goodbye, {@code "bye"}), ended by the server ({@code reason} its
   * words), turned away during a failover, or its connection lost without failover ({@code reason}
   * null). Messages still unanswered fail with {@link SendFailedException.Kind#UNCONFIRMED}.
   */
  default void onClosed(@Nullable String reason) {}
}
