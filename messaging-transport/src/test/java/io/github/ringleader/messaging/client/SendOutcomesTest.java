package io.github.ringleader.messaging.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.ringleader.messaging.session.ClientRequest;
import io.github.ringleader.messaging.session.ServerEvent;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Every message sent is settled exactly once: no future left incomplete, no report twice. */
class SendOutcomesTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  private final List<String> publishFailures = new CopyOnWriteArrayList<>();
  private final ListenerDispatcher events = new ListenerDispatcher("alice");
  private final SendOutcomes outcomes = new SendOutcomes(
      new MessageListener() {
        @Override
        public void onPublishFailed(SentMessage message, SendFailedException failure) {
          publishFailures.add(message.number() + " " + failure.kind());
        }
      },
      events);

  @AfterEach
  void stop() {
    events.stop();
    events.awaitStopped(WAIT);
  }

  @Test
  void whenTheClientEndsEveryMessageStillWaitingFailsThoseTheSessionNoLongerListsIncluded() {
    CompletableFuture<SendResult> listed = new CompletableFuture<>();
    CompletableFuture<SendResult> droppedBySession = new CompletableFuture<>();
    outcomes.expect(message(1), listed);
    outcomes.expect(message(2), droppedBySession);
    outcomes.expect(message(3), null); // published

    outcomes.unconfirmedAll("the client closed before the server answered");
    events.drain(WAIT);

    assertThat(kind(listed)).isEqualTo(SendFailedException.Kind.UNCONFIRMED);
    assertThat(kind(droppedBySession)).isEqualTo(SendFailedException.Kind.UNCONFIRMED);
    assertThat(publishFailures).containsExactly("3 UNCONFIRMED");
    assertThat(outcomes.size()).isZero();
  }

  @Test
  void anAnswerForAMessageSettledAlreadyIsIgnoredNotReportedAsAPublishFailure() {
    CompletableFuture<SendResult> sent = new CompletableFuture<>();
    outcomes.expect(message(1), sent);
    outcomes.unconfirmed(List.of(send(1)), "the session ended");
    // The same message given up again (the session ended as the client closed), then refused.
    outcomes.unconfirmed(List.of(send(1)), "the session ended");
    outcomes.rejected(send(1), new ServerEvent.Rejected(1, ServerEvent.Reason.BUSY, "busy"));
    outcomes.unconfirmedAll("closed");
    events.drain(WAIT);

    assertThat(kind(sent)).isEqualTo(SendFailedException.Kind.UNCONFIRMED);
    assertThat(publishFailures).as("a send() is never reported as a publish").isEmpty();
  }

  @Test
  void aPublishedMessageIsReportedOnceWhenRefusedAndNotAtAllWhenAccepted() {
    outcomes.expect(message(1), null);
    outcomes.expect(message(2), null);
    outcomes.accepted(1);
    outcomes.rejected(send(2), new ServerEvent.Rejected(2, ServerEvent.Reason.BUSY, "busy"));
    outcomes.unconfirmedAll("closed");
    events.drain(WAIT);

    assertThat(publishFailures).containsExactly("2 REJECTED");
  }

  private static SentMessage message(long number) {
    return new SentMessage(number, null, "text " + number);
  }

  private static ClientRequest.Send send(long number) {
    return new ClientRequest.Send(number, null, "text " + number);
  }

  private static SendFailedException.Kind kind(CompletableFuture<SendResult> future) {
    assertThat(future).isDone();
    try {
      future.get();
      throw new AssertionError("succeeded");
    } catch (ExecutionException e) {
      return ((SendFailedException) java.util.Objects.requireNonNull(e.getCause())).kind();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
