package io.github.ringleader.messaging.client;

/**
 * What a {@link MessagingClient#send} future completes with: the cluster accepted the message, so
 * it reaches every connected recipient once, in the cluster's one order.
 *
 * @param message the message accepted
 */
public record SendResult(SentMessage message) {
  /** The message's number ({@link SentMessage#number()}). */
  public long number() {
    return message.number();
  }
}
