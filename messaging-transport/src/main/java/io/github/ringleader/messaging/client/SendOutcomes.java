package io.github.ringleader.messaging.client;

import io.github.ringleader.messaging.session.ClientRequest;
import io.github.ringleader.messaging.session.ServerEvent;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/**
 * The futures of the messages sent with {@link MessagingClient#send} that are not answered yet,
 * and how each answer settles its message: the future of a {@code send}, or {@link
 * MessageListener#onPublishFailed} for a {@code publish} (which has no future). Each method
 * returns the call to hand to the event thread, so that the owner settles futures in order with
 * the listener calls; the owner calls it under its session lock.
 */
final class SendOutcomes {
  private record Pending(SentMessage message, CompletableFuture<SendResult> future) {}

  private final Map<Long, Pending> pending = new HashMap<>();
  private final MessageListener listener;

  SendOutcomes(MessageListener listener) {
    this.listener = listener;
  }

  /** Remembers the future of message {@code message}, to settle when it is answered. */
  synchronized void expect(SentMessage message, CompletableFuture<SendResult> future) {
    pending.put(message.number(), new Pending(message, future));
  }

  /** Message {@code seq} was accepted: its future completes (a published one: nothing). */
  synchronized @Nullable Runnable accepted(long seq) {
    Pending accepted = pending.remove(seq);
    if (accepted == null) {
      return null;
    }
    SendResult result = new SendResult(accepted.message());
    return () -> accepted.future().complete(result);
  }

  /** Message {@code send} was refused: its future fails, or the listener hears of it. */
  synchronized Runnable rejected(ClientRequest.Send send, ServerEvent.Rejected rejected) {
    SentMessage message = sent(send);
    SendFailedException failure = SendFailedException.rejected(message, rejected);
    Pending refused = pending.remove(send.seq());
    if (refused != null) {
      return () -> refused.future().completeExceptionally(failure);
    }
    return () -> listener.onPublishFailed(message, failure);
  }

  /** Messages {@code lost} will never be answered ({@code why}): each fails as unconfirmed, one call each. */
  synchronized List<Runnable> unconfirmed(List<ClientRequest.Send> lost, String why) {
    List<Runnable> calls = new ArrayList<>(lost.size());
    for (ClientRequest.Send send : lost) {
      SentMessage message = sent(send);
      SendFailedException failure = SendFailedException.unconfirmed(message, why);
      Pending left = pending.remove(send.seq());
      calls.add(
          left != null
              ? () -> left.future().completeExceptionally(failure)
              : () -> listener.onPublishFailed(message, failure));
    }
    return calls;
  }

  static SentMessage sent(ClientRequest.Send send) {
    return new SentMessage(send.seq(), send.to(), send.text());
  }

  static List<SentMessage> sent(List<ClientRequest.Send> sends) {
    return sends.stream().map(SendOutcomes::sent).toList();
  }
}
