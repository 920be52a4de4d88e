package io.github.ringleader.messaging.node;

import io.github.ringleader.messaging.protocol.IdChars;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The identity of a server in the cluster: 1 to 64 characters of {@code [A-Za-z0-9._-]}.
 *
 * <p>Ids are ordered <em>numeric-aware</em>: an id is split into runs of digits and runs of
 * other characters, runs are compared in turn, digit runs by their numeric value and other runs
 * character by character. So {@code server2 < server9 < server10}, and {@code a-2 < a-10}. Two
 * ids whose runs are all equal in value ({@code server01} and {@code server1}) are then ordered
 * by their plain text, so the order is total and consistent with {@link #equals}.
 *
 * <p>The LCR election makes the <em>highest</em> live id the leader, and the election ring is the
 * live ids in this order.
 */
public final class NodeId implements Comparable<NodeId> {
  /** The longest id, in characters (each character is one byte on the wire). */
  public static final int MAX_LENGTH = 64;

  private final String value;

  private NodeId(String value) {
    this.value = value;
  }

  /**
   * Returns the id for {@code value}.
   *
   * @throws IllegalArgumentException if {@code value} is empty, longer than 64 characters or has
   *     a character outside {@code [A-Za-z0-9._-]}; the message says which
   */
  public static NodeId of(String value) {
    String problem = problemWith(value);
    if (problem != null) {
      throw new IllegalArgumentException(problem);
    }
    return new NodeId(value);
  }

  /** Whether {@code value} is a valid id. */
  public static boolean isValid(String value) {
    return problemWith(value) == null; // a loop, no allocation for a valid id
  }

  /** Why {@code value} is not a valid id, or {@code null} if it is valid. */
  public static @Nullable String problemWith(String value) {
    if (value.isEmpty()) {
      return "node id must not be empty";
    }
    if (value.length() > MAX_LENGTH) {
      return "node id must be at most " + MAX_LENGTH + " characters, was " + value.length();
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (!isIdChar(c)) {
        return String.format(
            "node id may only contain %s; found %s at position %d in \"%s\"",
            IdChars.ALLOWED, IdChars.describe(c), i + 1, IdChars.escape(value));
      }
    }
    return null;
  }

  private static boolean isIdChar(char c) {
    return (c >= 'a' && c <= 'z')
        || (c >= 'A' && c <= 'Z')
        || (c >= '0' && c <= '9')
        || c == '.'
        || c == '_'
        || c == '-';
  }

  /** The id as text. */
  public String value() {
    return value;
  }

  @Override
  public int compareTo(NodeId other) {
    int byRuns = compareNumericAware(value, other.value);
    return byRuns != 0 ? byRuns : value.compareTo(other.value);
  }

  /**
   * Compares two strings run by run: digit runs by numeric value (of any length, no overflow),
   * other characters one by one. Returns 0 when all runs are equal in value.
   */
  static int compareNumericAware(String a, String b) {
    int i = 0;
    int j = 0;
    while (i < a.length() && j < b.length()) {
      char ca = a.charAt(i);
      char cb = b.charAt(j);
      if (isDigit(ca) && isDigit(cb)) {
        int endA = runEnd(a, i);
        int endB = runEnd(b, j);
        int cmp = compareDigitRuns(a, i, endA, b, j, endB);
        if (cmp != 0) {
          return cmp;
        }
        i = endA;
        j = endB;
      } else {
        if (ca != cb) {
          return Character.compare(ca, cb);
        }
        i++;
        j++;
      }
    }
    return Integer.compare(a.length() - i, b.length() - j);
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  private static int runEnd(String s, int start) {
    int end = start;
    while (end < s.length() && isDigit(s.charAt(end))) {
      end++;
    }
    return end;
  }

  private static int compareDigitRuns(
      String a, int startA, int endA, String b, int startB, int endB) {
    while (startA < endA - 1 && a.charAt(startA) == '0') {
      startA++;
    }
    while (startB < endB - 1 && b.charAt(startB) == '0') {
      startB++;
    }
    int lengthA = endA - startA;
    int lengthB = endB - startB;
    if (lengthA != lengthB) {
      return Integer.compare(lengthA, lengthB);
    }
    for (int k = 0; k < lengthA; k++) {
      int cmp = Character.compare(a.charAt(startA + k), b.charAt(startB + k));
      if (cmp != 0) {
        return cmp;
      }
    }
    return 0;
  }

  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof NodeId && ((NodeId) o).value.equals(value);
  }

  @Override
  public int hashCode() {
    return Objects.hashCode(value);
  }

  @Override
  public String toString() {
    return value;
  }
}
