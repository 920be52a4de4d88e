package io.github.ringleader.messaging.examples;

/** A bad command line: the message says what is wrong; the caller prints it and the usage. */
final class UsageException extends Exception {
  private static final long serialVersionUID = 1L;

  UsageException(String message) {
    super(message);
  }

  /** Prints what is wrong and the usage to {@code err}; returns the exit status for a bad command line. */
  int report(java.io.PrintStream err, String usage) {
    err.println("error: " + getMessage());
    err.println();
    err.print(usage);
    return 2;
  }
}
