package io.github.ringleader.messaging.examples;

import io.github.ringleader.messaging.client.SendFailedException;
import io.github.ringleader.messaging.client.SendResult;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.jspecify.annotations.Nullable;

/** Reading the future of a send: was the message taken at all, was it refused. */
final class Answers {
  private Answers() {}

  /**
   * Why the client did not take the message ({@link SendFailedException.Kind#NOT_SENT}, decided
   * before {@code send} returned), or null if it did.
   */
  static @Nullable SendFailedException notSent(CompletableFuture<SendResult> answer) {
    SendFailedException failed = failure(answer.handle((ok, e) -> e).getNow(null));
    return failed != null && failed.kind() == SendFailedException.Kind.NOT_SENT ? failed : null;
  }

  /** The server's refusal, if {@code failed} is one ({@link SendFailedException.Kind#REJECTED}). */
  static @Nullable SendFailedException rejection(@Nullable Throwable failed) {
    SendFailedException f = failure(failed);
    return f != null && f.kind() == SendFailedException.Kind.REJECTED ? f : null;
  }

  private static @Nullable SendFailedException failure(@Nullable Throwable failed) {
    Throwable cause = failed instanceof CompletionException c ? c.getCause() : failed;
    return cause instanceof SendFailedException f ? f : null;
  }
}
