package io.github.ringleader.messaging.routing;

import io.github.ringleader.messaging.protocol.IdChars;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * The rules for client names: 1 to 32 characters of ASCII letters and digits, {@code '.'},
 * {@code '_'} and {@code '-'} ({@code [A-Za-z0-9._-]}), starting with a letter or a digit. Names are unique across the cluster
 * <em>ignoring case</em> ({@code Alice} and {@code alice} cannot both be connected), and shown as
 * the client wrote them.
 */
public final class ClientNames {
  /** The longest name, in characters. */
  public static final int MAX_LENGTH = 32;

  private ClientNames() {}

  /** Why {@code name} is not a valid client name, or null if it is. */
  public static @Nullable String problemWith(String name) {
    if (name.isEmpty()) {
      return "a name must not be empty";
    }
    if (name.length() > MAX_LENGTH) {
      return "a name must be at most " + MAX_LENGTH + " characters, \""
          + IdChars.escape(shorten(name)) + "\" has " + name.length();
    }
    // Every character first: "ëlise" breaks the character rule, not the rule on the first one
    // (ë is a letter, only not an ASCII one).
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (!isLetterOrDigit(c) && c != '.' && c != '_' && c != '-') {
        return String.format(
            "a name may only contain %s; found %s at position %d",
            IdChars.ALLOWED, IdChars.describe(c), i + 1);
      }
    }
    if (!isLetterOrDigit(name.charAt(0))) {
      return "a name must start with an ASCII letter or digit, not "
          + IdChars.describe(name.charAt(0));
    }
    return null;
  }

  private static boolean isLetterOrDigit(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  }

  /**
   * Returns {@code name} if it is a valid client name; else throws an exception that names the
   * {@code field} it was given for and shows the value, e.g. {@code name must be 1-32 of
   * [A-Za-z0-9._-], was 'bad name'}.
   *
   * @throws IllegalArgumentException if {@code name} breaks the rules
   * @throws NullPointerException if {@code name} is null (the message is {@code field})
   */
  public static String requireValid(String field, String name) {
    java.util.Objects.requireNonNull(name, field);
    if (problemWith(name) == null) {
      return name;
    }
    String shown = "'" + IdChars.escape(name.length() > MAX_LENGTH ? shorten(name) : name) + "'";
    if (name.isEmpty() || name.length() > MAX_LENGTH || !allAllowed(name)) {
      return fail(field + " must be 1-" + MAX_LENGTH + " of [A-Za-z0-9._-], was " + shown);
    }
    return fail(field + " must start with an ASCII letter or digit, was " + shown);
  }

  private static String fail(String message) {
    throw new IllegalArgumentException(message);
  }

  private static boolean allAllowed(String name) {
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (!isLetterOrDigit(c) && c != '.' && c != '_' && c != '-') {
        return false;
      }
    }
    return true;
  }

  /** Whether {@code name} is valid. */
  public static boolean isValid(String name) {
    return problemWith(name) == null;
  }

  /** The key names are unique by: the name in lower case. */
  public static String key(String name) {
    return name.toLowerCase(Locale.ROOT);
  }

  private static String shorten(String name) {
    return name.substring(0, MAX_LENGTH) + "…";
  }
}
