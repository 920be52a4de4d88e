package io.github.ringleader.messaging.protocol;

/** Argument checks for message constructors; each message names the field. */
final class Checks {
  private Checks() {}

  static void nonNegative(String field, long value) {
    if (value < 0) {
      throw new IllegalArgumentException(field + " must be >= 0, was " + value);
    }
  }

  static void port(String field, int value) {
    if (value < 0 || value > 0xFFFF) {
      throw new IllegalArgumentException(field + " must be in 0..65535, was " + value);
    }
  }
}
