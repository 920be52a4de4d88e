package io.github.ringleader.messaging.examples;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Waiting for a condition with a deadline, for the commands that drive a cluster in-process. */
final class Waiting {
  private Waiting() {}

  /**
   * Polls {@code condition} every {@code pollMillis} until it holds or {@code limit} has passed;
   * returns whether it held (false also if the thread was interrupted).
   */
  static boolean until(BooleanSupplier condition, Duration limit, long pollMillis) {
    long deadline = System.nanoTime() + limit.toNanos();
    while (System.nanoTime() < deadline) {
      if (condition.getAsBoolean()) {
        return true;
      }
      try {
        Thread.sleep(pollMillis);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    return condition.getAsBoolean();
  }
}
