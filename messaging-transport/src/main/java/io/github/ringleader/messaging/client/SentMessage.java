package io.github.ringleader.messaging.client;

import org.jspecify.annotations.Nullable;

/**
 * A message this client sent.
 *
 * @param number its number: the client numbers its messages 1, 2, 3, ... in the order it sends
 *     them (the same number across a failover, since the session goes on)
 * @param to the recipient, or {@code null} for a broadcast
 * @param text the message
 */
public record SentMessage(long number, @Nullable String to, String text) {}
