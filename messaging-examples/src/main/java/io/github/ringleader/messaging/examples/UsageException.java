package io.github.ringleader.messaging.examples;

/** A bad command line: the message says what is wrong; the caller prints it and the usage. */
final class UsageException extends Exception {
  private static final long serialVersionUID = 1L;

  UsageException(String message) {
    super(message);
  }
}
