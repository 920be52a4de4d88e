package io.github.ringleader.messaging.client;

import io.github.ringleader.messaging.session.ServerEvent;
import java.util.List;

/**
 * What a {@link MessagingClient} receives: messages, who joins and leaves, the lists it asked
 * for, and the failures of messages sent with {@link MessagingClient#publish}. The connection's
 * life cycle goes to the {@link ConnectionListener}. Every method has an empty default; {@link
 * #NONE} ignores everything.
 *
 * <p><b>Threading.</b> Every call, of this listener and of the client's {@link
 * ConnectionListener} alike, is made on the client's one event thread (named {@code
 * ringleader-client-events-<name>}), one at a time, in the order the events happened: the
 * order the server sent them, with the client's own life-cycle events in their place. The
 * futures of {@link MessagingClient#send} complete on that thread too, in the same order (so
 * their dependent actions run there; an action added to a future that has already completed runs
 * on the thread that adds it, as always with {@code CompletableFuture}). A
 * method must be quick — the events behind it wait, and past a limit the client stops reading
 * from its server — and must not block on the client's own future events. It may call the
 * client ({@code send}, {@code publish}, {@code close}): no lock of the client is held while it
 * runs ({@code close()} from here returns at once: see {@link MessagingClient#close()}). A method
 * that throws, an exception or an error such as {@link StackOverflowError} alike, is logged once
 * (naming the listener's class and method) and ignored; the next call is made as usual, on the
 * same thread. Only an error after which the JVM itself may be unsound ({@link
 * OutOfMemoryError}, {@link InternalError}) is rethrown, to the thread's uncaught-exception
 * handler; a new event thread of the same name then makes the calls after it.
 */
public interface MessageListener {
  /** A listener that ignores everything. */
  MessageListener NONE = new MessageListener() {};

  /** A message for this client: a broadcast ({@link ReceivedMessage#isBroadcast()}) or private. */
  default void onMessage(ReceivedMessage message) {}

  /**
   * Someone joined ({@code presence.joined()}) or left the cluster, with the reason for leaving
   * ({@code "left"} when they said goodbye).
   */
  default void onPresence(ServerEvent.Presence presence) {}

  /** Who is connected, by name: the answer to {@link MessagingClient#listUsers()}. */
  default void onUsers(List<String> names) {}

  /**
   * The cluster's live servers with their loads: the answer to {@link
   * MessagingClient#listServers()}, or news the server sends when the list changes (also during
   * {@code connect()}, before the client joins).
   */
  default void onServers(ServerEvent.Servers servers) {}

  /**
   * A message sent with {@link MessagingClient#publish} did not get through: the server refused
   * it ({@link SendFailedException.Kind#REJECTED}), or its session ended or the client closed
   * before the answer ({@link SendFailedException.Kind#UNCONFIRMED}: it may or may not have been
   * delivered). An accepted published message is not reported.
   */
  default void onPublishFailed(SentMessage message, SendFailedException failure) {}
}
