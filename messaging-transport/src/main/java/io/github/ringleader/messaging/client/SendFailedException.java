package io.github.ringleader.messaging.client;

import io.github.ringleader.messaging.session.ServerEvent;
import java.io.IOException;
import org.jspecify.annotations.Nullable;

/**
 * A message did not get through, or may not have: how a {@link MessagingClient#send} future
 * fails, what {@link MessagingClient#publish} throws ({@link Kind#NOT_SENT} only), and what
 * {@link MessageListener#onPublishFailed} reports. {@link #kind()} says which case it is.
 */
public final class SendFailedException extends IOException {
  private static final long serialVersionUID = 1L;

  /** The cases, by what the sender can conclude. */
  public enum Kind {
    /**
     * The client did not take the message, so nobody receives it: the client is closed, or it is
     * reconnecting and cannot keep it (its reconnect buffer is full, or its session cannot be
     * resumed). The message says which; try again later, or not.
     */
    NOT_SENT,
    /** The server refused it and nobody receives it: {@link #code()} and the message say why. */
    REJECTED,
    /**
     * It was sent, but its session ended or the client closed before the server answered: it
     * may or may not have been delivered.
     */
    UNCONFIRMED
  }

  private final Kind kind;
  private final @Nullable SentMessage sent;
  private final ServerEvent.@Nullable Reason code;
  private final String reason;

  private SendFailedException(
      Kind kind,
      @Nullable SentMessage sent,
      ServerEvent.@Nullable Reason code,
      String reason,
      String message) {
    super(message);
    this.kind = kind;
    this.sent = sent;
    this.code = code;
    this.reason = reason;
  }

  static SendFailedException notSent(String why) {
    return new SendFailedException(Kind.NOT_SENT, null, null, why, "not sent: " + why);
  }

  static SendFailedException rejected(SentMessage sent, ServerEvent.Rejected rejected) {
    return new SendFailedException(
        Kind.REJECTED,
        sent,
        rejected.code(),
        rejected.reason(),
        "message " + sent.number() + " rejected: " + rejected.code() + ": " + rejected.reason());
  }

  static SendFailedException unconfirmed(SentMessage sent, String why) {
    return new SendFailedException(
        Kind.UNCONFIRMED,
        sent,
        null,
        why,
        "message " + sent.number() + " unconfirmed (it may or may not have been delivered): "
            + why);
  }

  /**
   * Why, in words, without the framing of {@link #getMessage()}: the server's words for {@link
   * Kind#REJECTED} (e.g. {@code nobody called "dave" is connected}), the client's otherwise.
   */
  public String reason() {
    return reason;
  }

  public Kind kind() {
    return kind;
  }

  /** The message concerned; null for {@link Kind#NOT_SENT} (it was never numbered). */
  public @Nullable SentMessage sent() {
    return sent;
  }

  /**
   * Why the server refused it, as a code ({@code UNKNOWN_RECIPIENT}, {@code BAD_MESSAGE}, {@code
   * BUSY}, ...), for {@link Kind#REJECTED}; null otherwise.
   */
  public ServerEvent.@Nullable Reason code() {
    return code;
  }
}
