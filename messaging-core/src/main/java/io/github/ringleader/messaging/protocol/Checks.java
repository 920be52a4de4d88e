package io.github.ringleader.messaging.protocol;

/** Argument checks for message constructors; each message names the field. */
final class Checks {
  private Checks() {}

  static void nonNegative(String field, long value) {
    if (value < 0) {
      throw new IllegalArgumentException(field + " must be >= 0, was " + value);
    }
  }

  /**
   * Whether {@code value} is 1 to {@code maxLength} characters of letters, digits, '.', '_' and
   * '-': the rule for node ids and cluster names. A loop, not a regular expression: every frame
   * that arrives is checked with it.
   */
  static boolean isIdText(String value, int maxLength) {
    int length = value.length();
    if (length == 0 || length > maxLength) {
      return false;
    }
    for (int i = 0; i < length; i++) {
      char c = value.charAt(i);
      boolean ok = (c >= 'a' && c <= 'z')
          || (c >= 'A' && c <= 'Z')
          || (c >= '0' && c <= '9')
          || c == '.'
          || c == '_'
          || c == '-';
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  static void port(String field, int value) {
    if (value < 0 || value > 0xFFFF) {
      throw new IllegalArgumentException(field + " must be in 0..65535, was " + value);
    }
  }
}
