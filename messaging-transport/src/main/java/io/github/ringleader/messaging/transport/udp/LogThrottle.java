package io.github.ringleader.messaging.transport.udp;

/**
 * Which occurrences of a repeated problem are worth a log line: the first, then every 100th, so a
 * flood of garbage datagrams shows in the log without filling it. Public for the TCP client
 * listener, which throttles its audit lines the same way.
 */
public final class LogThrottle {
  /** Log every this many occurrences after the first. */
  static final long EVERY = 100;

  private LogThrottle() {}

  /** Whether the {@code count}-th occurrence (counting from 1) should be logged. */
  public static boolean worthLogging(long count) {
    return count == 1 || count % EVERY == 0;
  }
}
