package io.github.ringleader.messaging.client;

import io.github.ringleader.messaging.session.ClientRequest;
import io.github.ringleader.messaging.session.ServerEvent;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/**
 * The messages sent with {@link MessagingClient#send} or {@link MessagingClient#publish} that are
 * not answered yet, and how each answer settles its message: the future of a {@code send}, or
 * {@link MessageListener#onPublishFailed} for a {@code publish} (which has no future). Each
 * settlement is handed to the event thread, so that futures complete in order with the listener
 * calls; the owner calls these methods under its session lock, which fixes that order.
 *
 * <p>Every message is settled once: an answer for a message settled already (failed as
 * unconfirmed when the client closed, say) is ignored, and {@link #unconfirmedAll} settles every
 * message still here, whether or not the session still lists it, so that no future of {@code
 * send} is left incomplete when the client ends.
 */
final class SendOutcomes {
  /** A message not answered yet; {@code future} is null for a published one. */
  private record Pending(SentMessage message, @Nullable CompletableFuture<SendResult> future) {}

  /** In the order sent (numbers only grow), so that failures are reported in that order too. */
  private final Map<Long, Pending> pending = new LinkedHashMap<>();

  private final MessageListener listener;
  private final ListenerDispatcher events;

  SendOutcomes(MessageListener listener, ListenerDispatcher events) {
    this.listener = listener;
    this.events = events;
  }

  /**
   * Remembers message {@code message}, to settle when it is answered: its {@code future}, or
   * (null) the listener's {@code onPublishFailed} if it fails.
   */
  synchronized void expect(SentMessage message, @Nullable CompletableFuture<SendResult> future) {
    pending.put(message.number(), new Pending(message, future));
  }

  /** How many messages wait for an answer (for tests). */
  synchronized int size() {
    return pending.size();
  }

  /** Message {@code seq} was accepted: its future completes (a published one: nothing). */
  synchronized void accepted(long seq) {
    Pending accepted = pending.remove(seq);
    CompletableFuture<SendResult> future = accepted == null ? null : accepted.future();
    if (accepted != null && future != null) {
      SendResult result = new SendResult(accepted.message());
      events.execute(() -> future.complete(result));
    }
  }

  /** Message {@code send} was refused: its future fails, or the listener hears of it. */
  synchronized void rejected(ClientRequest.Send send, ServerEvent.Rejected rejected) {
    Pending refused = pending.remove(send.seq());
    if (refused != null) {
      fail(refused, SendFailedException.rejected(refused.message(), rejected));
    }
  }

  /**
   * Messages {@code lost} will never be answered ({@code why}): each fails as unconfirmed, one
   * call each, in the order given.
   */
  synchronized void unconfirmed(List<ClientRequest.Send> lost, String why) {
    for (ClientRequest.Send send : lost) {
      Pending left = pending.remove(send.seq());
      if (left != null) {
        fail(left, SendFailedException.unconfirmed(left.message(), why));
      }
    }
  }

  /**
   * The client is over ({@code why}): every message still waiting fails as unconfirmed, in the
   * order sent, those the session no longer lists included.
   */
  synchronized void unconfirmedAll(String why) {
    List<Pending> left = new ArrayList<>(pending.values());
    pending.clear();
    for (Pending each : left) {
      fail(each, SendFailedException.unconfirmed(each.message(), why));
    }
  }

  private void fail(Pending message, SendFailedException failure) {
    CompletableFuture<SendResult> future = message.future();
    if (future != null) {
      events.execute(() -> future.completeExceptionally(failure));
    } else {
      events.execute(
          listener, "onPublishFailed", () -> listener.onPublishFailed(message.message(), failure));
    }
  }

  static SentMessage sent(ClientRequest.Send send) {
    return new SentMessage(send.seq(), send.to(), send.text());
  }

  static List<SentMessage> sent(List<ClientRequest.Send> sends) {
    return sends.stream().map(SendOutcomes::sent).toList();
  }
}
