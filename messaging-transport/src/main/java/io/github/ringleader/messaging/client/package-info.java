/**
 * The client SDK: {@link io.github.ringleader.messaging.client.MessagingClient} connects to a
 * Ringleader cluster over TCP, sends ({@code send} with a {@code CompletableFuture} of the answer,
 * or {@code publish} without), and tells a {@link
 * io.github.ringleader.messaging.client.MessageListener} what it receives and a {@link
 * io.github.ringleader.messaging.client.ConnectionListener} how its connection fares, both on the
 * client's one event thread. Values are the user's: {@link
 * io.github.ringleader.messaging.client.ReceivedMessage}, {@link
 * io.github.ringleader.messaging.client.SessionInfo}, {@link
 * io.github.ringleader.messaging.client.SendResult}, {@link
 * io.github.ringleader.messaging.client.SendFailedException}.
 */
@NullMarked
package io.github.ringleader.messaging.client;

import org.jspecify.annotations.NullMarked;
