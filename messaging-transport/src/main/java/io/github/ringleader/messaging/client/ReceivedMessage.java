package io.github.ringleader.messaging.client;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A message a client received.
 *
 * @param from the sender's name
 * @param to the recipient's name (this client's own) for a private message; {@code null} for a
 *     broadcast, which everyone receives (the sender included)
 * @param text the message
 */
public record ReceivedMessage(String from, @Nullable String to, String text) {
  public ReceivedMessage {
    Objects.requireNonNull(from, "from");
    Objects.requireNonNull(text, "text");
  }

  /** Whether it went to everyone ({@link #to()} is null). */
  public boolean isBroadcast() {
    return to == null;
  }
}
